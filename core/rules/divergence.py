"""Commands against measured positions (cause: action_state_divergence): a joint that stops following its commands.

Per episode and motor, the tracking error is the median |command - measured position|
(core.analytics.metrics). A joint whose median tracking error over the deployment's episodes is
DIVERGENCE_RATIO times training's, and larger than training's by at least DIVERGENCE_FLOOR_DEG
(gripper: DIVERGENCE_FLOOR_GRIPPER, in its 0..100 units), no longer goes where it is told: a
calibration that changed, a blocked or slipping gripper, a loose horn, or too little torque.
Reasoning: docs/diagnosis.md.
"""

from __future__ import annotations

import math

import pandas as pd

from core.rules.finding import CannotJudge, Evidence, Finding
from core.so101 import GRIPPER
from core.training.frame_stats import JointUnits

FINDING_ID = "action_state_divergence"
DIVERGENCE_RATIO = 3.0
DIVERGENCE_FLOOR_DEG = 5.0
DIVERGENCE_FLOOR_GRIPPER = 10.0
FIX = (
    "Check the joint named: recalibrate the follower (lerobot-calibrate) if the offsets moved, free a blocked or "
    "slipping gripper, tighten its horn, and check the motor's torque limit; then record a short run again."
)


def judge_divergence(
    training: pd.DataFrame, deployment: pd.DataFrame, units: JointUnits, explained: frozenset[str] = frozenset()
) -> Finding:
    """`training` and `deployment`: the per-episode tables of core.analytics.metrics (tracking_error.<motor>);
    `explained`: motors another finding already names (a joint off at the start lags its commands: start_pose)."""
    motors = [
        column.removeprefix("tracking_error.")
        for column in deployment.columns
        if column.startswith("tracking_error.") and column in training.columns
    ]
    motors = [motor for motor in motors if motor not in explained]
    errors = {
        motor: (_median(training[f"tracking_error.{motor}"]), _median(deployment[f"tracking_error.{motor}"]))
        for motor in motors
    }
    errors = {motor: pair for motor, pair in errors.items() if not any(math.isnan(v) for v in pair)}
    if not errors:
        raise CannotJudge("no joint is named in both the state and the action of both datasets")
    diverged = {
        motor: (train, deploy)
        for motor, (train, deploy) in errors.items()
        if deploy >= DIVERGENCE_RATIO * train and deploy - train >= _floor(motor, units)
    }
    numbers = {
        "median_tracking_error": {
            m: {"training": round(t, 3), "deployment": round(d, 3)} for m, (t, d) in errors.items()
        },
        "ratio": DIVERGENCE_RATIO,
    }
    if not diverged:
        return Finding(
            FINDING_ID, "ok", "Joints follow their commands", Evidence("Tracking errors as in training.", numbers)
        )
    shown = ", ".join(
        f"{motor} {_format(motor, deploy, units)} against {_format(motor, train, units)} in training"
        for motor, (train, deploy) in diverged.items()
    )
    return Finding(
        FINDING_ID,
        "warning",
        "Joints stop following their commands",
        Evidence(
            f"Median gap between command and measured position: {shown}.",
            {**numbers, "diverged": sorted(diverged)},
        ),
        FIX,
    )


def _median(values: pd.Series) -> float:
    values = values.dropna()
    return float(values.median()) if len(values) else math.nan


def _floor(motor: str, units: JointUnits) -> float:
    return DIVERGENCE_FLOOR_GRIPPER if motor == GRIPPER else DIVERGENCE_FLOOR_DEG * units.per_degree


def _format(motor: str, value: float, units: JointUnits) -> str:
    return f"{value:.1f}" if motor == GRIPPER else units.format(value)
