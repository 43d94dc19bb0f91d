"""Joint units (cause: unit_mismatch): degrees against lerobot's -100..100 range units.

Before a run the training data's guessed units are compared with what the station reports
(`judge_station_units`); after a run the recorded values of both sides are compared
(`judge_recorded_units`): a side with arm joints beyond ±100 in at least UNITS_EVIDENCE_SHARE
of its values is in degrees, which the other side cannot be if it never leaves ±100.
Reasoning: docs/diagnosis.md and docs/pages/home-reset.md.
"""

from __future__ import annotations

from typing import Protocol

from core.errors import PreflightError
from core.rules.finding import Evidence, Finding
from core.training.frame_stats import JointUnits

FINDING_ID = "unit_mismatch"
TITLE = "Joint units differ between training and deployment"
UNITS_EVIDENCE_SHARE = 0.02
FIX = (
    "Run the robot in the training units: lerobot >= 0.4.4 records degrees (use_degrees=True); datasets and "
    "policies from lerobot <= 0.4.3 (robot_type so101_follower) use -100..100. Set use_degrees on the follower "
    "to match the training set, or convert and retrain; check the calibration files are the training ones."
)


class JointUnitsMismatch(PreflightError):
    """The training data and the station provably report arm joints in different units."""


class RecordedValues(Protocol):
    """What the recorded-units rule reads of a dataset's metrics (core.analytics.metrics.DatasetMetrics)."""

    arm_motors: tuple[str, ...]
    beyond_range_fraction: dict[str, float]
    joint_units: JointUnits
    robot_type: str | None


def check_joint_units(training: JointUnits, station_use_degrees: bool, station_name: str) -> str:
    """'' when the units match, a caveat when they cannot be proven to; raises when they provably differ."""
    station = "degrees" if station_use_degrees else "-100..100 range units"
    if training.units == "degrees":
        if station_use_degrees:
            return ""
        raise JointUnitsMismatch(
            f"The training data is in degrees ({training.reason}), but station '{station_name}' reports its arm "
            "joints in -100..100 range units (use_degrees=false). Deltas between the two would be nonsense, so the "
            'start pose is not judged and the arm is not moved home. Set "use_degrees": true in the station\'s '
            "config.json and restart the station, or select training data recorded in range units."
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
    """After a run: the recorded values of training and deployment (critical when one side is provably degrees)."""
    motors = [m for m in train.arm_motors if m in deploy.beyond_range_fraction and m in train.beyond_range_fraction]

    def proven(side: RecordedValues, other: RecordedValues) -> list[str]:
        if other.joint_units.units == "degrees":
            return []
        return [
            m
            for m in motors
            if side.beyond_range_fraction[m] >= UNITS_EVIDENCE_SHARE and other.beyond_range_fraction[m] == 0
        ]

    in_training, in_deployment = proven(train, deploy), proven(deploy, train)
    if not in_training and not in_deployment:
        return Finding(FINDING_ID, "ok", "Joint units agree", Evidence("No side proves other units than the other."))
    degrees_side, other_side, joints = (
        ("training", "deployment", in_training) if in_training else ("deployment", "training", in_deployment)
    )
    degrees, other = (train, deploy) if in_training else (deploy, train)
    worst = max(joints, key=lambda m: degrees.beyond_range_fraction[m])
    share = degrees.beyond_range_fraction[worst]
    return Finding(
        id=FINDING_ID,
        severity="critical",
        title=TITLE,
        evidence=Evidence(
            sentence=(
                f"{worst} is beyond ±100 in {share:.0%} of the {degrees_side} values (degrees), but the {other_side} "
                f"never leaves ±100 (max |value| {other.joint_units.max_abs_arm_value:.1f})."
            ),
            numbers={
                "degrees_side": degrees_side,
                "joints": joints,
                "beyond_100_share": {m: round(degrees.beyond_range_fraction[m], 4) for m in joints},
                "training_max_abs": train.joint_units.max_abs_arm_value,
                "deployment_max_abs": deploy.joint_units.max_abs_arm_value,
                "training_robot_type": train.robot_type,
                "deployment_robot_type": deploy.robot_type,
            },
        ),
        fix=FIX,
    )
