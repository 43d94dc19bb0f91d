"""Calibration sanity on lerobot's own calibration files: inverted follower ranges, ranges narrower than the training
data, a leader and follower whose spans disagree; a sane pair and the simulated lab give nothing to fix.

The files are written in tmp_path as lerobot-calibrate writes them (lerobot's `MotorCalibration`, dumped with
draccus) and read by lerobot's real SO101Follower and SO101Leader, whose serial bus is a MagicMock (the hardware
boundary; testkit/lab_hardware.py).
"""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest

from core.rules.calibration import (
    NARROW_MARGIN_DEG,
    PAIR_SPAN_TOLERANCE_DEG,
    judge_calibration_pair,
    judge_follower_range,
)
from core.rules.finding import CannotJudge
from core.so101 import steps_to_degrees
from core.station import devices
from core.station.config import demo_station_config
from core.training.frame_stats import DEGREES, JointRange, JointUnits
from testkit.lab_hardware import SANE, station_calibrations

DEGREES_PROVEN = JointUnits("degrees", 170.0, "values beyond ±100", source="values")


def test_the_profile_holds_each_joints_training_range(profile):
    elbow = next(joint for joint in profile.joint_ranges if joint.joint == "elbow_flex.pos")
    # training_episodes: elbow_flex starts at 100 + offset (-2..2) and ramps 3 per frame; the state lags one frame
    assert (elbow.min, elbow.max) == (98.0, pytest.approx(100.0 + 2.0 + 3 * 22))


def test_a_sane_calibration_gives_no_finding(tmp_path, profile):
    calibrations = station_calibrations(tmp_path, SANE, leader=SANE)
    assert calibrations[0].path == str(tmp_path / "robots" / "follower.json")
    follower = judge_follower_range(calibrations, profile.joint_ranges, profile.joint_units, station_use_degrees=True)
    assert follower.severity == "ok", follower.evidence.sentence
    assert judge_calibration_pair(calibrations).severity == "ok"


def test_an_inverted_follower_range_is_critical_and_names_the_file(tmp_path, profile):
    calibrations = station_calibrations(tmp_path, {**SANE, "shoulder_lift": (3000, 1000), "gripper": (2000, 2000)})
    finding = judge_follower_range(calibrations, profile.joint_ranges, profile.joint_units, station_use_degrees=True)
    path = tmp_path / "robots" / "follower.json"
    assert finding.severity == "critical"
    assert finding.evidence.sentence.startswith(
        f"{path}: shoulder_lift range_min 3000 >= range_max 1000, gripper range_min 2000 >= range_max 2000."
    )
    assert "lerobot-calibrate --robot.type=so101_follower --robot.port=<its port> --robot.id=follower" in finding.fix
    assert finding.evidence.numbers["ranges_steps"]["shoulder_lift"] == [3000, 1000]


def test_a_range_narrower_than_the_training_data_is_warned_with_its_numbers(tmp_path, profile):
    calibrations = station_calibrations(tmp_path, {**SANE, "elbow_flex": (1000, 3000)})
    finding = judge_follower_range(calibrations, profile.joint_ranges, profile.joint_units, station_use_degrees=True)
    half = steps_to_degrees(1000)  # 87.9°: half of the 2000-step span, around the calibrated middle
    assert finding.severity == "warning" and finding.evidence.numbers["narrow_joints"] == ["elbow_flex"]
    assert (
        f"elbow_flex: calibrated {-half:.1f}° to {half:.1f}°, training reached 98.0° to 168.0° "
        f"({168.0 - half:.1f}° beyond)"
    ) in finding.evidence.sentence
    assert str(tmp_path / "robots" / "follower.json") in finding.evidence.sentence


def test_the_narrow_margin_is_servo_overshoot_not_a_finding(tmp_path):
    half = steps_to_degrees(1000)
    within = [JointRange("elbow_flex.pos", -half - NARROW_MARGIN_DEG + 0.1, half + NARROW_MARGIN_DEG - 0.1)]
    calibrations = station_calibrations(tmp_path, {**SANE, "elbow_flex": (1000, 3000)})
    assert judge_follower_range(calibrations, within, DEGREES_PROVEN, station_use_degrees=True).severity == "ok"


def test_ranges_are_not_compared_in_range_units(tmp_path, profile):
    calibrations = station_calibrations(tmp_path, {**SANE, "elbow_flex": (1000, 3000)})
    finding = judge_follower_range(calibrations, profile.joint_ranges, profile.joint_units, station_use_degrees=False)
    assert finding.severity == "ok" and "-100..100 units" in finding.evidence.sentence


def test_an_old_profile_without_ranges_still_checks_inverted_ranges(tmp_path, profile):
    calibrations = station_calibrations(tmp_path, {**SANE, "elbow_flex": (1000, 3000)})
    finding = judge_follower_range(calibrations, (), profile.joint_units, station_use_degrees=True)
    assert finding.severity == "ok" and "build it again" in finding.evidence.sentence
    inverted = station_calibrations(tmp_path / "inverted", {**SANE, "elbow_flex": (3000, 1000)})
    assert judge_follower_range(inverted, (), profile.joint_units, station_use_degrees=True).severity == "critical"


def test_a_leader_whose_span_disagrees_with_the_followers_is_warned(tmp_path):
    short = 200  # steps: 17.6°, beyond the tolerance
    calibrations = station_calibrations(tmp_path, SANE, leader={**SANE, "wrist_flex": (100, 4095 - short + 100)})
    finding = judge_calibration_pair(calibrations)
    assert finding.severity == "warning" and finding.evidence.numbers["joints_apart"] == ["wrist_flex"]
    gap = steps_to_degrees(short)
    assert f"wrist_flex: follower 360.0°, leader {360.0 - gap:.1f}° ({gap:.1f}° apart)" in finding.evidence.sentence
    assert str(tmp_path / "robots" / "follower.json") in finding.evidence.sentence
    assert str(tmp_path / "teleoperators" / "leader.json") in finding.evidence.sentence
    assert "--teleop.id=leader" in finding.fix  # the shorter one is recalibrated


def test_spans_within_the_tolerance_agree_and_the_gripper_is_never_compared(tmp_path):
    within = int(PAIR_SPAN_TOLERANCE_DEG / steps_to_degrees(1)) - 1
    leader = {**SANE, "elbow_flex": (within, 4095), "gripper": (1500, 2500)}  # the leader's gripper is a handle
    assert judge_calibration_pair(station_calibrations(tmp_path, SANE, leader=leader)).severity == "ok"


def test_the_simulated_lab_has_no_calibration_to_judge():
    config = demo_station_config()
    assert devices.calibrations(MagicMock(), MagicMock(), config) == ()
    with pytest.raises(CannotJudge):
        judge_follower_range((), (), DEGREES, station_use_degrees=True)
