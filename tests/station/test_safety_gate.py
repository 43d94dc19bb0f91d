"""The station's safety gate on its own: what `SafetyGate.clip` lets through and what `GuardedArm` sends.

The only fake is the arm itself (`RecordingArm`, at the hardware boundary): it records every command the gate lets
through and reports the positions the test gives it, like lerobot's SO-101 follower (`get_observation`,
`send_action` returning what it sent).
"""

from __future__ import annotations

import math

import pytest
from lerobot.motors import MotorCalibration

from core.errors import StationError
from core.station.camera_feed import StaleFrame
from core.station.safety import (
    LATCHED,
    GuardedArm,
    JointLimits,
    SafetyGate,
    UnsafeActionError,
    limits_from_calibration,
)

LIMITS = JointLimits(
    lower={"shoulder_pan": -110.0, "elbow_flex": -100.0, "gripper": 0.0},
    upper={"shoulder_pan": 110.0, "elbow_flex": 100.0, "gripper": 100.0},
)


class RecordingArm:
    """A follower at the hardware boundary: reports `position`, records each `send_action` in order."""

    def __init__(self, position: dict[str, float]) -> None:
        self.position = dict(position)
        self.commands: list[dict[str, float]] = []

    def get_observation(self) -> dict:
        return {f"{motor}.pos": value for motor, value in self.position.items()} | {"front": "an image"}

    def send_action(self, action: dict[str, float]) -> dict[str, float]:
        self.commands.append(dict(action))
        return dict(action)


def test_a_joint_beyond_its_range_is_clamped_to_the_range_and_named():
    clipped = SafetyGate(LIMITS, max_step=None).clip(
        {"shoulder_pan.pos": 150.0, "elbow_flex.pos": -20.0, "gripper.pos": -5.0}, present={}
    )
    assert clipped.action == {"shoulder_pan.pos": 110.0, "elbow_flex.pos": -20.0, "gripper.pos": 0.0}
    assert set(clipped.clipped_motors) == {"shoulder_pan", "gripper"}


def test_each_step_is_limited_around_the_present_position_in_both_directions():
    gate = SafetyGate(LIMITS, max_step=10.0)
    present = {"shoulder_pan.pos": 0.0, "elbow_flex.pos": 50.0}
    clipped = gate.clip({"shoulder_pan.pos": 40.0, "elbow_flex.pos": 20.0}, present)
    assert clipped.action == {"shoulder_pan.pos": 10.0, "elbow_flex.pos": 40.0}
    assert set(clipped.clipped_motors) == {"shoulder_pan", "elbow_flex"}
    within = gate.clip({"shoulder_pan.pos": 9.5}, present)
    assert within.action == {"shoulder_pan.pos": 9.5} and within.clipped_motors == ()


def test_the_range_wins_over_the_step_limit():
    clipped = SafetyGate(LIMITS, max_step=10.0).clip({"shoulder_pan.pos": 130.0}, {"shoulder_pan.pos": 108.0})
    assert clipped.action == {"shoulder_pan.pos": 110.0}


def test_a_joint_with_no_reading_gets_no_step_limit_only_its_range():
    """Nothing to step from: the joint goes where it was asked (within range); the joints with a reading are limited."""
    clipped = SafetyGate(LIMITS, max_step=1.0).clip(
        {"shoulder_pan.pos": 60.0, "elbow_flex.pos": 150.0, "gripper.pos": 30.0}, present={"gripper.pos": 20.0}
    )
    assert clipped.action == {"shoulder_pan.pos": 60.0, "elbow_flex.pos": 100.0, "gripper.pos": 21.0}
    assert set(clipped.clipped_motors) == {"elbow_flex", "gripper"}


def test_without_a_step_limit_only_the_range_applies():
    clipped = SafetyGate(LIMITS, max_step=None).clip({"shoulder_pan.pos": 100.0}, {"shoulder_pan.pos": -100.0})
    assert clipped.action == {"shoulder_pan.pos": 100.0} and clipped.clipped_motors == ()


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_value_is_refused_naming_the_motor(bad):
    with pytest.raises(UnsafeActionError, match=r"elbow_flex is .*nothing was sent"):
        SafetyGate(LIMITS, max_step=10.0).clip({"shoulder_pan.pos": 1.0, "elbow_flex.pos": bad}, {})


def test_the_guarded_arm_sends_only_the_clipped_command_keyed_by_position():
    arm = RecordingArm({"shoulder_pan": 0.0, "elbow_flex": 0.0, "gripper": 10.0})
    guarded = GuardedArm(arm)
    guarded.set_limits(LIMITS, max_step=5.0)
    guarded.follower_pos = {"shoulder_pan": 0.0, "elbow_flex": 0.0, "gripper": 10.0}
    sent = guarded.send({"shoulder_pan": 30.0, "elbow_flex.pos": -2.0})  # bare motor names and feature names alike
    assert arm.commands == [{"shoulder_pan.pos": 5.0, "elbow_flex.pos": -2.0}]
    assert sent == guarded.last_sent == {"shoulder_pan": 5.0, "elbow_flex": -2.0}


def test_a_nan_action_reaches_nothing():
    arm = RecordingArm({"shoulder_pan": 0.0})
    guarded = GuardedArm(arm)
    guarded.set_limits(LIMITS, max_step=5.0)
    with pytest.raises(UnsafeActionError):
        guarded.send({"shoulder_pan": math.nan})
    assert arm.commands == [] and guarded.last_sent is None


def test_after_the_emergency_stop_the_hold_is_the_last_command_until_release():
    arm = RecordingArm({"shoulder_pan": 3.0, "elbow_flex": -4.0, "gripper": 20.0})
    guarded = GuardedArm(arm)
    guarded.set_limits(LIMITS, max_step=5.0)
    guarded.follower_pos = dict(arm.position)
    guarded.send({"shoulder_pan": 6.0})
    arm.position["shoulder_pan"] = 4.5  # the arm moved on since the loop's last reading
    guarded.latch_estop()
    with pytest.raises(StationError, match="Emergency stop is latched"):
        guarded.send({"shoulder_pan": 8.0})
    guarded.hold()
    for _ in range(3):  # whatever the policy or a move still asks for
        with pytest.raises(StationError, match=LATCHED.split(":")[0]):
            guarded.send({"shoulder_pan": 8.0})
    hold = {"shoulder_pan.pos": 4.5, "elbow_flex.pos": -4.0, "gripper.pos": 20.0}  # read fresh, not the loop's
    assert arm.commands == [{"shoulder_pan.pos": 6.0}, hold]
    assert guarded.hold_sent and guarded.last_sent == {"shoulder_pan": 4.5, "elbow_flex": -4.0, "gripper": 20.0}
    assert guarded.estop_received_at <= guarded.estop_hold_at

    guarded.release_estop()
    guarded.follower_pos = dict(arm.position)
    guarded.send({"shoulder_pan": 5.0})
    assert arm.commands[-1] == {"shoulder_pan.pos": 5.0}


class StaleCameraArm(RecordingArm):
    """The follower whose camera has gone stale during an episode: reading an observation raises like the
    station's strict camera feed does (`StaleFrame`)."""

    def get_observation(self) -> dict:
        raise StaleFrame("Camera 'front' (/dev/video0) has sent no frame for 640 ms.")


def test_a_stale_camera_never_stops_the_hold_the_joints_read_last_are_held():
    arm = StaleCameraArm({"shoulder_pan": 3.0, "elbow_flex": -4.0, "gripper": 20.0})
    guarded = GuardedArm(arm)
    guarded.set_limits(LIMITS, max_step=5.0)
    guarded.follower_pos = {"shoulder_pan": 2.5, "elbow_flex": -4.0, "gripper": 20.0}  # the loop's last reading
    guarded.latch_estop()
    guarded.hold()
    assert arm.commands == [{"shoulder_pan.pos": 2.5, "elbow_flex.pos": -4.0, "gripper.pos": 20.0}]
    assert guarded.hold_sent


def test_calibrated_limits_in_degrees_are_half_the_range_around_zero_and_the_gripper_0_to_100():
    calibration = {
        "shoulder_pan": MotorCalibration(id=1, drive_mode=0, homing_offset=0, range_min=1000, range_max=3047),
        "gripper": MotorCalibration(id=6, drive_mode=0, homing_offset=0, range_min=2000, range_max=3000),
    }
    degrees = limits_from_calibration(calibration, use_degrees=True)
    assert degrees.upper["shoulder_pan"] == pytest.approx(2047 / 2 * 360 / 4095)
    assert degrees.lower["shoulder_pan"] == -degrees.upper["shoulder_pan"]
    assert (degrees.lower["gripper"], degrees.upper["gripper"]) == (0.0, 100.0)
    ranged = limits_from_calibration(calibration, use_degrees=False)
    assert (ranged.lower["shoulder_pan"], ranged.upper["shoulder_pan"]) == (-100.0, 100.0)
