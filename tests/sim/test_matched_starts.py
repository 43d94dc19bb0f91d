"""Twins of an evaluation plan share their start in the simulated lab: the brain is placed from the pair's seed."""

from __future__ import annotations

import pytest


def test_the_same_seed_places_the_brain_at_the_same_spot_and_another_seed_elsewhere(lockstep_lab):
    first = lockstep_lab.place_brain_from_seed(41)
    lockstep_lab.advance(0.2)
    resting = lockstep_lab.brain().position_m
    lockstep_lab.place_brain_from_seed(7)  # the other twin pair's start, then this pair's second twin
    lockstep_lab.advance(0.2)
    elsewhere = lockstep_lab.brain().position_m
    again = lockstep_lab.place_brain_from_seed(41)
    lockstep_lab.advance(0.2)

    assert again == first
    assert lockstep_lab.brain().position_m[:2] == pytest.approx(resting[:2], abs=1e-4)
    assert resting[:2] == pytest.approx(first[:2], abs=1e-3)  # where the seed said, and it stays there
    assert abs(elsewhere[0] - resting[0]) + abs(elsewhere[1] - resting[1]) > 1e-3
