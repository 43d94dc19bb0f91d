"""Joint units (cause: unit_mismatch): degrees, radians and lerobot's -100..100 range units.

Units are judged first from what each side declares or proves (`JointUnits.proven`: the recording station's
declaration, the joint names, values beyond ±100 or within one turn); two proven units must agree. Before a run
the training units are compared with what the station reports (`judge_station_units`). After a run, where one
side's units are not proven, the values are evidence only where a joint moved far enough to tell
(`judge_recorded_units`): a joint beyond ±100 in at least UNITS_EVIDENCE_SHARE of one side's values, which the
other side never leaves ±100 on while its mean lies where the first side's joint never went.
Reasoning: docs/diagnosis.md and docs/pages/home-reset.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from core.errors import PreflightError
from core.rules.finding import Evidence, Finding
from core.training.frame_stats import JointSpread, JointUnits

FINDING_ID = "unit_mismatch"
TITLE = "Joint units differ between training and deployment"
UNITS_EVIDENCE_SHARE = 0.02
FIX = (
    "Run the robot in the training units: lerobot >= 0.4.4 records degrees (use_degrees=True); datasets and "
    "policies from lerobot <= 0.4.3 (robot_type so101_follower) use -100..100. Set use_degrees on the follower "
    "to match the training set, or convert and retrain; check the calibration files are the training ones."
)
UNIT_NAMES = {
    "degrees": "degrees",
    "radians": "radians",
    "range": "-100..100 range units",
    "ambiguous": "degrees or -100..100 range units",
    "unknown": "unknown units",
}


class JointUnitsMismatch(PreflightError):
    """The training data and the station provably report arm joints in different units."""


class RecordedValues(Protocol):
    """What the recorded-units rule reads of a dataset's metrics (core.analytics.metrics.DatasetMetrics)."""

    arm_motors: tuple[str, ...]
    beyond_range_fraction: Mapping[str, float]
    arm_spread: Mapping[str, JointSpread]
    joint_units: JointUnits
    robot_type: str | None


def check_joint_units(training: JointUnits, station_use_degrees: bool, station_name: str) -> str:
    """'' when the units match, a caveat when they cannot be proven to; raises when they provably differ."""
    station_units = "degrees" if station_use_degrees else "range"
    station = UNIT_NAMES[station_units]
    if training.proven:
        if training.units == station_units:
            return ""
        advice = {
            "degrees": 'Set "use_degrees": true in the station\'s config.json and restart the station',
            "range": 'Set "use_degrees": false in the station\'s config.json and restart the station',
            "radians": "Stations report degrees or range units: convert the training data to degrees and retrain",
        }[training.units]
        raise JointUnitsMismatch(
            f"The training data is in {UNIT_NAMES[training.units]} ({training.reason}), but station "
            f"'{station_name}' reports its arm joints in {station} (use_degrees={str(station_use_degrees).lower()}). "
            "Deltas between the two would be nonsense, so the start pose is not judged and the arm is not moved "
            f"home. {advice}, or select training data recorded in {station}."
        )
    if training.units == "ambiguous":
        return (
            f"Joint units not proven: {training.reason}. Station '{station_name}' reports {station}; the deltas "
            "assume the training data used the same. Check the dataset's recording setup (use_degrees) if the "
            "deltas look wrong."
        )
    return (
        f"Joint units unknown ({training.reason}). Station '{station_name}' reports {station}; the deltas assume the "
        "training data used the same."
    )


def station_joint_units(use_degrees: bool) -> JointUnits:
    """The units a station reports its arm joints in (its use_degrees)."""
    units = "degrees" if use_degrees else "range"
    return JointUnits(units, None, f"the station reports {UNIT_NAMES[units]}", source="declared")


def judge_station_units(training: JointUnits, station_use_degrees: bool, station_name: str) -> Finding:
    """Before a run: the training data's units against the station's (critical when provably different)."""
    try:
        caveat = check_joint_units(training, station_use_degrees, station_name)
    except JointUnitsMismatch as error:
        return Finding(
            FINDING_ID, "critical", TITLE, Evidence(str(error), _station_numbers(training, station_use_degrees)), FIX
        )
    units = "degrees" if station_use_degrees else "-100..100"
    if caveat:
        return Finding(
            FINDING_ID,
            "info",
            "Joint units not proven to agree",
            Evidence(caveat, _station_numbers(training, station_use_degrees)),
        )
    return Finding(
        FINDING_ID,
        "ok",
        "Joint units agree",
        Evidence(f"Joints in {units} on both sides.", _station_numbers(training, station_use_degrees)),
    )


def _station_numbers(training: JointUnits, station_use_degrees: bool) -> dict[str, object]:
    return {"training_units": training.units, "station_use_degrees": station_use_degrees}


def judge_recorded_units(train: RecordedValues, deploy: RecordedValues) -> Finding:
    """After a run: declared or proven units must agree; else the values decide where they can (module docstring)."""
    t, d = train.joint_units, deploy.joint_units
    numbers: dict[str, object] = {
        "training_units": t.units,
        "deployment_units": d.units,
        "training_units_source": t.source,
        "deployment_units_source": d.source,
        "training_max_abs": t.max_abs_arm_value,
        "deployment_max_abs": d.max_abs_arm_value,
        "training_robot_type": train.robot_type,
        "deployment_robot_type": deploy.robot_type,
    }
    known_to_differ = (t.proven and d.proven and t.units != d.units) or (
        "radians" in (t.units, d.units) and "ambiguous" in (t.units, d.units)
    )
    if known_to_differ:
        sentence = (
            f"The training data is in {UNIT_NAMES[t.units]} ({t.reason}), the deployment in "
            f"{UNIT_NAMES[d.units]} ({d.reason})."
        )
        return Finding(FINDING_ID, "critical", TITLE, Evidence(sentence, numbers), FIX)
    if t.proven and d.proven:
        sentence = f"Joints in {UNIT_NAMES[t.units]} on both sides (training: {t.reason}; deployment: {d.reason})."
        return Finding(FINDING_ID, "ok", "Joint units agree", Evidence(sentence, numbers))
    motors = [m for m in train.arm_motors if m in deploy.beyond_range_fraction and m in train.beyond_range_fraction]
    in_training, in_deployment = _value_evidence(train, deploy, motors), _value_evidence(deploy, train, motors)
    if not in_training and not in_deployment:
        return Finding(
            FINDING_ID,
            "ok",
            "Joint units agree",
            Evidence("Neither side's values prove other units than the other's.", numbers),
        )
    degrees_side, other_side, joints = (
        ("training", "deployment", in_training) if in_training else ("deployment", "training", in_deployment)
    )
    degrees, other = (train, deploy) if in_training else (deploy, train)
    worst = max(joints, key=lambda m: degrees.beyond_range_fraction[m])
    share = degrees.beyond_range_fraction[worst]
    spread, other_spread = degrees.arm_spread[worst], other.arm_spread[worst]
    numbers.update(
        degrees_side=degrees_side,
        joints=joints,
        beyond_100_share={m: round(degrees.beyond_range_fraction[m], 4) for m in joints},
        degrees_side_range={
            m: [round(degrees.arm_spread[m].min, 3), round(degrees.arm_spread[m].max, 3)] for m in joints
        },
        other_side_mean={m: round(other.arm_spread[m].mean, 3) for m in joints},
    )
    return Finding(
        id=FINDING_ID,
        severity="critical",
        title=TITLE,
        evidence=Evidence(
            sentence=(
                f"{worst} is beyond ±100 in {share:.0%} of the {degrees_side} values (degrees, range "
                f"{spread.min:.1f} to {spread.max:.1f}), but the {other_side} never leaves ±100 (max |value| "
                f"{other.joint_units.max_abs_arm_value:.1f}) and its {worst} sits at {other_spread.mean:.1f} on "
                f"average, where the {degrees_side}'s never goes."
            ),
            numbers=numbers,
        ),
        fix=FIX,
    )


def _value_evidence(side: RecordedValues, other: RecordedValues, motors: list[str]) -> list[str]:
    """Joints that prove `side` is in degrees and `other` is not: beyond ±100 on one side, never on the other,
    and the other side's mean outside this side's range (a joint that stayed within the range did not move far
    enough to tell)."""
    if other.joint_units.units == "degrees":
        return []
    return [
        m
        for m in motors
        if side.beyond_range_fraction[m] >= UNITS_EVIDENCE_SHARE
        and other.beyond_range_fraction[m] == 0
        and not side.arm_spread[m].min <= other.arm_spread[m].mean <= side.arm_spread[m].max
    ]
