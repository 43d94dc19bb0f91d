"""A lockstep simulated lab per test (its own lab id, so tests never share a world)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from core.sim.devices import SimCameraConfig, SimFollowerConfig
from core.sim.devices.sim_follower import SimFollower
from core.sim.lab import SimLab, close_lab, get_lab

_lab_ids = itertools.count()


@pytest.fixture
def lab_id() -> Iterator[str]:
    lab_id = f"test-{next(_lab_ids)}"
    yield lab_id
    close_lab(lab_id)


@pytest.fixture
def lockstep_lab(lab_id: str) -> SimLab:
    return get_lab(lab_id, "lockstep")


def follower_config(lab_id: str, clock: str = "lockstep", **options) -> SimFollowerConfig:
    cameras = {"front": SimCameraConfig(device="sim:cam0"), "wrist": SimCameraConfig(device="sim:cam1")}
    return SimFollowerConfig(lab_id=lab_id, clock=clock, cameras=cameras, **options)


@pytest.fixture
def follower(lockstep_lab: SimLab) -> Iterator[SimFollower]:
    robot = SimFollower(follower_config(lockstep_lab.lab_id))
    robot.connect()
    yield robot
    if robot.is_connected:
        robot.disconnect()
