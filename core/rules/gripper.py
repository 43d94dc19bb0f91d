"""The gripper (cause: gripper_never_closes): training closes it, the deployment's commands never do.

A finding when training closes the gripper in at least TRAINING_CLOSED_MIN of its action frames and
in at least NEVER_CLOSES_SHARE of the deployment episodes the gripper action never reaches the
training's closed threshold (chosen by an Otsu split, core.training.frame_stats). It is judged after
a run only: before one there are no commands to read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.rules.finding import CannotJudge, Evidence, Finding
from core.training.profile import GripperProfile

FINDING_ID = "gripper_never_closes"
TITLE = "The gripper never closes"
NEVER_CLOSES_SHARE = 0.5
TRAINING_CLOSED_MIN = 0.02


def judge_gripper(
    training: GripperProfile | None,
    episodes: pd.DataFrame,
    closed_fraction_action: float | None,
    mean_gripper_action: float | None,
    *,
    task_differs: bool = False,
) -> Finding:
    """`episodes` has a boolean column gripper_closes; the two floats describe all deployment action frames."""
    if training is None or closed_fraction_action is None:
        raise CannotJudge("no gripper joint in the training or deployment actions")
    never = ~episodes["gripper_closes"].to_numpy(dtype=bool)
    share = float(never.mean()) if len(never) else 0.0
    threshold = training.closed_threshold.value
    numbers = {
        "episodes_never_closing": int(never.sum()),
        "episodes": int(len(episodes)),
        "closed_threshold": round(threshold, 3),
        "training_closed_fraction_action": round(training.closed_fraction_action, 4),
        "deployment_closed_fraction_action": round(closed_fraction_action, 4),
        "training_mean_gripper_action": round(training.mean_action, 3),
        "deployment_mean_gripper_action": round(float(mean_gripper_action or np.nan), 3),
    }
    sentence = (
        f"In {int(never.sum())} of {len(episodes)} episodes the gripper action never reached the closed threshold "
        f"{threshold:.1f}; training closes it in {training.closed_fraction_action:.0%} of its action frames "
        f"(deployment {closed_fraction_action:.0%}, mean action {mean_gripper_action:.1f} against "
        f"{training.mean_action:.1f})."
    )
    if training.closed_fraction_action < TRAINING_CLOSED_MIN or share < NEVER_CLOSES_SHARE:
        return Finding(FINDING_ID, "ok", "The gripper closes as in training", Evidence(sentence, numbers))
    cause = " The task string differs from training (task_mismatch): fix that first." if task_differs else ""
    return Finding(
        id=FINDING_ID,
        severity="critical" if share == 1 else "warning",
        title=TITLE,
        evidence=Evidence(sentence, numbers),
        fix=(
            "Check what the policy conditions on: the exact training task string (SmolVLA), the camera wiring and the "
            "start pose; then check the gripper calibration (0 = closed) against the training set." + cause
        ),
    )
