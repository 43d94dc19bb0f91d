"""Calibration sanity (causes: calibration_range, calibration_pair): the arm's calibration files before a run.

`calibration_range`: critical when a follower joint's range is inverted (range_min >= range_max: lerobot's
normalisation divides by the span); a warning when an arm joint's calibrated range, in lerobot degrees
(±steps_to_degrees(span / 2) around the middle), is narrower than the training data's `observation.state` by more
than NARROW_MARGIN_DEG (the policy would be clamped where training went). Compared only with the station in
degrees and the training data proven in degrees: in -100..100 units every calibration spans the whole range.
`calibration_pair`: a warning when a leader and follower arm joint's spans differ by more than
PAIR_SPAN_TOLERANCE_DEG, or the leader's range is inverted. The gripper's span is never compared (the leader's is a
handle). Reasoning: docs/station.md#calibration-sanity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from core.rules.finding import CannotJudge, Evidence, Finding
from core.so101 import GRIPPER, motor_of, steps_to_degrees
from core.training.frame_stats import JointRange, JointUnits

RANGE_ID = "calibration_range"
PAIR_ID = "calibration_pair"
NARROW_MARGIN_DEG = 3.0  # training values this far beyond the calibrated range are servo overshoot, not a narrower arm
PAIR_SPAN_TOLERANCE_DEG = 10.0  # a span this much shorter shifts the calibrated middle by up to half of it


@dataclass(frozen=True)
class MotorRange:
    """One motor's calibrated range in encoder steps, as lerobot's `MotorCalibration` stores it."""

    range_min: int
    range_max: int

    @property
    def inverted(self) -> bool:
        return self.range_min >= self.range_max

    @property
    def span_deg(self) -> float:
        return steps_to_degrees(self.range_max - self.range_min)


@dataclass(frozen=True)
class ArmCalibration:
    """The calibration an arm of the station runs with: lerobot's file and the ranges it loaded from it."""

    arm: Literal["follower", "leader"]
    path: str  # the file lerobot read (`Robot.calibration_fpath`)
    motors: Mapping[str, MotorRange]

    @property
    def inverted(self) -> dict[str, MotorRange]:
        return {motor: cal for motor, cal in self.motors.items() if cal.inverted}


def _named(calibrations: Sequence[ArmCalibration], arm: str) -> ArmCalibration | None:
    return next((calibration for calibration in calibrations if calibration.arm == arm), None)


def _recalibrate(calibration: ArmCalibration) -> str:
    flag, kind = ("robot", "so101_follower") if calibration.arm == "follower" else ("teleop", "so101_leader")
    return (
        f"Calibrate the {calibration.arm} again, moving every joint through its whole range: lerobot-calibrate "
        f"--{flag}.type={kind} --{flag}.port=<its port> --{flag}.id={Path(calibration.path).stem} (it rewrites "
        f"{calibration.path}), or put back the calibration file the training data was recorded with."
    )


def judge_follower_range(
    calibrations: Sequence[ArmCalibration],
    training: Sequence[JointRange],
    training_units: JointUnits,
    station_use_degrees: bool,
) -> Finding:
    """Inverted follower ranges (critical), else arm joints narrower than the training data's range (warning)."""
    follower = _named(calibrations, "follower")
    if follower is None:
        raise CannotJudge("the station reported no follower calibration")
    numbers: dict[str, object] = {
        "calibration_file": follower.path,
        "ranges_steps": {motor: [cal.range_min, cal.range_max] for motor, cal in follower.motors.items()},
    }
    inverted = follower.inverted
    if inverted:
        listed = _inverted_ranges(inverted)
        return Finding(
            RANGE_ID,
            "critical",
            "The follower's calibration has inverted ranges",
            Evidence(f"{follower.path}: {listed}. lerobot cannot convert these joints' positions.", numbers),
            _recalibrate(follower),
        )
    why_not = _why_not_compared(training, training_units, station_use_degrees)
    if why_not:
        return Finding(
            RANGE_ID,
            "ok",
            "The follower's calibration ranges are valid",
            Evidence(
                f"{follower.path}: no range is inverted; not compared with the training range: {why_not}.", numbers
            ),
        )
    observed = {motor_of(joint.joint): joint for joint in training}
    narrow = {}
    for motor, cal in follower.motors.items():
        if motor == GRIPPER or motor not in observed:
            continue
        half = cal.span_deg / 2
        beyond = max(observed[motor].max - half, -half - observed[motor].min)
        if beyond > NARROW_MARGIN_DEG:
            narrow[motor] = (half, observed[motor], beyond)
    numbers.update(
        margin_deg=NARROW_MARGIN_DEG,
        calibrated_deg={m: [round(-c.span_deg / 2, 2), round(c.span_deg / 2, 2)] for m, c in follower.motors.items()},
        training_deg={m: [round(j.min, 2), round(j.max, 2)] for m, j in observed.items() if m != GRIPPER},
    )
    if narrow:
        listed = "; ".join(
            f"{m}: calibrated {-half:.1f}° to {half:.1f}°, training reached {j.min:.1f}° to {j.max:.1f}° "
            f"({beyond:.1f}° beyond)"
            for m, (half, j, beyond) in narrow.items()
        )
        numbers["narrow_joints"] = sorted(narrow)
        return Finding(
            RANGE_ID,
            "warning",
            "The follower's calibration is narrower than the training data",
            Evidence(
                f"{follower.path}: {listed}. The station clamps every command to the calibrated range, so the policy "
                "cannot reach where the training data went.",
                numbers,
            ),
            _recalibrate(follower) + " Check this is the arm the training data was recorded on.",
        )
    return Finding(
        RANGE_ID,
        "ok",
        "The follower's calibration covers the training range",
        Evidence(f"{follower.path}: every arm joint's calibrated range holds the training data's.", numbers),
    )


def _why_not_compared(training: Sequence[JointRange], units: JointUnits, station_use_degrees: bool) -> str:
    if not training:
        return "the training profile was saved before joint ranges were profiled (build it again to compare)"
    if not station_use_degrees:
        return "the station is in -100..100 units, where every calibration spans the whole range"
    if units.units != "degrees":
        return f"the training data's units are not proven degrees ({units.reason})"
    return ""


def judge_calibration_pair(calibrations: Sequence[ArmCalibration]) -> Finding:
    """Leader and follower arm-joint spans within PAIR_SPAN_TOLERANCE_DEG of each other, no inverted leader range."""
    follower, leader = _named(calibrations, "follower"), _named(calibrations, "leader")
    if follower is None or leader is None:
        raise CannotJudge("the station has no leader arm" if leader is None else "no follower calibration")
    joints = [m for m in follower.motors if m in leader.motors and m != GRIPPER]
    spans = {m: (follower.motors[m].span_deg, leader.motors[m].span_deg) for m in joints}
    numbers: dict[str, object] = {
        "follower_file": follower.path,
        "leader_file": leader.path,
        "tolerance_deg": PAIR_SPAN_TOLERANCE_DEG,
        "span_deg": {m: {"follower": round(f, 2), "leader": round(lo, 2)} for m, (f, lo) in spans.items()},
    }
    files = f"follower {follower.path}, leader {leader.path}"
    inverted = leader.inverted
    if inverted:
        listed = _inverted_ranges(inverted)
        return Finding(
            PAIR_ID,
            "warning",
            "The leader's calibration has inverted ranges",
            Evidence(f"{leader.path}: {listed}; mirroring the leader would read nonsense on these joints.", numbers),
            _recalibrate(leader),
        )
    apart = {m: (f, lo) for m, (f, lo) in spans.items() if abs(f - lo) > PAIR_SPAN_TOLERANCE_DEG}
    if apart:
        listed = "; ".join(
            f"{m}: follower {f:.1f}°, leader {lo:.1f}° ({abs(f - lo):.1f}° apart)" for m, (f, lo) in apart.items()
        )
        numbers["joints_apart"] = sorted(apart)
        shorter = leader if sum(lo - f for f, lo in apart.values()) < 0 else follower
        return Finding(
            PAIR_ID,
            "warning",
            "Leader and follower calibrations disagree",
            Evidence(
                f"Calibrated spans differ by more than {PAIR_SPAN_TOLERANCE_DEG:g}° ({files}): {listed}. Mirrored "
                "poses (resets, teleoperated episodes) are then offset from the leader's.",
                numbers,
            ),
            _recalibrate(shorter),
        )
    return Finding(
        PAIR_ID,
        "ok",
        "Leader and follower calibrations agree",
        Evidence(f"Every arm joint's span within {PAIR_SPAN_TOLERANCE_DEG:g}° ({files}).", numbers),
    )


def _inverted_ranges(inverted: dict) -> str:
    """ "motor range_min A >= range_max B, ..." for the inverted joints of one calibration."""
    return ", ".join(f"{m} range_min {c.range_min} >= range_max {c.range_max}" for m, c in inverted.items())
