"""The mapping between MuJoCo radians and lerobot's SO-101 units, and the lab's home pose."""

from __future__ import annotations

import math

import pytest

from core.sim.lab import SIM_HOME_POSE
from core.sim.units import motor_units, to_lerobot, to_radians
from core.so101 import HOME_POSE, MOTOR_NAMES


def test_round_trip_is_exact_for_every_motor():
    for motor, units in motor_units().items():
        for value in (-90.0, -12.5, 0.0, 33.3, 80.0) if motor != "gripper" else (0.0, 0.5, 42.0, 100.0):
            assert units.to_lerobot(units.to_radians(value)) == pytest.approx(value, abs=1e-9)


def test_degrees_are_centred_on_the_middle_of_the_range():
    units = motor_units()
    for motor in ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex"):
        lower, upper = units[motor].lerobot_limits
        assert lower == pytest.approx(-upper)
    # wrist_roll is lerobot's full-turn motor: zero is the calibration pose (model zero), not its off-centre range.
    assert units["wrist_roll"].to_lerobot(0.0) == 0.0
    assert units["elbow_flex"].to_lerobot(1.69) == pytest.approx(math.degrees(1.69))


def test_gripper_is_percent_with_zero_closed():
    gripper = motor_units()["gripper"]
    assert gripper.to_lerobot(gripper.lower_rad) == pytest.approx(0.0)
    assert gripper.to_lerobot(gripper.upper_rad) == pytest.approx(100.0)
    assert to_radians({"gripper": 0.0})["gripper"] == pytest.approx(-0.17453297762778586)


def test_home_pose_differs_from_the_documented_one_only_where_the_model_forces_it():
    units = motor_units()
    for motor in MOTOR_NAMES:
        lower, upper = units[motor].lerobot_limits
        assert lower <= SIM_HOME_POSE[motor] <= upper
        documented_fits = lower <= HOME_POSE[motor] <= upper
        assert (SIM_HOME_POSE[motor] == HOME_POSE[motor]) == documented_fits, motor
    assert [m for m in MOTOR_NAMES if SIM_HOME_POSE[m] != HOME_POSE[m]] == ["elbow_flex"]


def test_dict_helpers_convert_every_motor():
    assert to_lerobot(to_radians(SIM_HOME_POSE)) == pytest.approx(SIM_HOME_POSE)
