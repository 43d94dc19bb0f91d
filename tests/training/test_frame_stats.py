"""Frame statistics on plain arrays: the rules Analytics reuses on deployment runs."""

from __future__ import annotations

import numpy as np
import pytest

from core.training import frame_stats


def test_jumps_never_cross_an_episode_boundary() -> None:
    actions = np.array([[0.0], [1.0], [2.0], [100.0], [101.0], [-50.0]])
    episode_index = np.array([0, 0, 0, 1, 1, 2])
    assert frame_stats.action_jumps(actions, episode_index).ravel().tolist() == [1.0, 1.0, 1.0]


def test_first_frames_are_one_per_episode() -> None:
    values = np.arange(12.0).reshape(6, 2)
    assert frame_stats.first_frames(values, np.array([3, 3, 5, 5, 5, 9])).tolist() == [
        [0.0, 1.0],
        [4.0, 5.0],
        [10.0, 11.0],
    ]


def test_jump_stats_of_no_pairs_are_zero() -> None:
    stats = frame_stats.jump_stats(np.zeros((0, 2)), ["a", "b"])
    assert [(s.joint, s.p50, s.p95, s.max) for s in stats] == [("a", 0.0, 0.0, 0.0), ("b", 0.0, 0.0, 0.0)]


def test_two_gripper_positions_split_in_the_middle_of_the_gap() -> None:
    values = np.array([0.0] * 30 + [2.0] * 10 + [60.0] * 60)
    threshold = frame_stats.gripper_closed_threshold(values)
    assert threshold.rule == "otsu"
    assert threshold.value == pytest.approx(31.0, abs=0.3)
    assert frame_stats.closed_fraction(values, threshold.value) == pytest.approx(0.4)


def test_a_gripper_that_never_moves_falls_back_to_the_fixed_threshold() -> None:
    threshold = frame_stats.gripper_closed_threshold(np.full(50, 40.0))
    assert (threshold.rule, threshold.value) == ("fixed", frame_stats.FIXED_CLOSED_THRESHOLD)


def test_a_gripper_without_two_positions_falls_back_to_the_fixed_threshold() -> None:
    threshold = frame_stats.gripper_closed_threshold(np.linspace(0.0, 100.0, 1001))  # uniform sweep: separability 0.75
    assert threshold.rule == "fixed"
    assert threshold.separability < frame_stats.BIMODAL_MIN_SEPARABILITY


def test_joint_units_beyond_100_are_degrees() -> None:
    units = frame_stats.guess_joint_units(np.array([[10.0, -130.0], [0.0, 20.0]]))
    assert (units.units, units.max_abs_arm_value) == ("degrees", 130.0)


def test_joint_units_within_100_are_ambiguous_not_guessed() -> None:
    units = frame_stats.guess_joint_units(np.array([[-99.0, 40.0], [3.0, 99.5]]), robot_type="so101_follower")
    assert units.units == "ambiguous"
    assert "so101_follower" in units.reason


def test_joint_units_without_arm_columns_are_unknown() -> None:
    assert frame_stats.guess_joint_units(np.zeros((5, 0))).units == "unknown"


@pytest.mark.parametrize("frames", [1, 2, 3, 20, 21, 1001])
def test_jump_percentiles_are_numpys(frames: int) -> None:
    jumps = np.round(np.abs(np.random.default_rng(frames).normal(size=(frames, 3))), 1).astype(np.float32)
    expected = np.percentile(jumps.astype(np.float64), [50, 95], axis=0)
    stats = frame_stats.jump_stats(jumps, ["a", "b", "c"])
    assert [s.p50 for s in stats] == pytest.approx(expected[0], abs=1e-5)
    assert [s.p95 for s in stats] == pytest.approx(expected[1], abs=1e-5)
    assert [s.max for s in stats] == pytest.approx(jumps.max(axis=0))


@pytest.mark.parametrize("frames", [0, 1, 63, 64, 65, 1000])
def test_column_abs_max(frames: int) -> None:
    values = np.random.default_rng(frames).normal(size=(frames, 6)).astype(np.float32) * 50
    expected = np.abs(values).max(axis=0) if frames else np.zeros(6)
    assert frame_stats.column_abs_max(values).tolist() == pytest.approx(expected.tolist())


@pytest.mark.parametrize("lengths", [(1,), (1, 1, 1), (2,), (5, 1, 7), (40, 3, 120, 1, 66)])
def test_pooled_jump_stats_skip_the_episode_boundaries(lengths: tuple[int, ...]) -> None:
    rng = np.random.default_rng(sum(lengths))
    actions = (rng.normal(size=(sum(lengths), 3)) * 20).astype(np.float32)
    episode_index = np.repeat(np.arange(len(lengths)) * 3, lengths)  # indices need not be consecutive
    expected = frame_stats.jump_stats(frame_stats.action_jumps(actions, episode_index), ["a", "b", "c"])
    assert frame_stats.pooled_jump_stats(actions, episode_index, ["a", "b", "c"]) == expected
