"""The gripper (cause: gripper_never_closes): training closes the gripper, the deployment's commands never get there.

The levels the gripper commands reach are compared: training's grasp level (its median action at or below the
closed threshold, an Otsu split in core.training.frame_stats) and its open level (the median above it); a
deployment episode grasps when its most closed action comes within GRASP_REACH_SHARE of the way from the grasp
level to the open level (and at or below the threshold). A finding when training closes the gripper in at
least TRAINING_CLOSED_MIN of its action frames and at least NEVER_CLOSES_SHARE of the deployment episodes never
grasp: a gripper that stops half-way is not a grasp. Judged after a run only: before one there are no commands.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from core.rules.finding import CannotJudge, Evidence, Finding
from core.training.profile import GripperProfile

FINDING_ID = "gripper_never_closes"
TITLE = "The gripper never closes"
NEVER_CLOSES_SHARE = 0.5
TRAINING_CLOSED_MIN = 0.02
GRASP_REACH_SHARE = 0.25  # of the way from training's grasp level to its open level


def reach_level(training: GripperProfile) -> float:
    """The most closed action an episode must reach to count as a grasp (module docstring)."""
    threshold = training.closed_threshold.value
    if training.grasp_level is None or training.open_level is None:
        return threshold
    return min(threshold, training.grasp_level + GRASP_REACH_SHARE * (training.open_level - training.grasp_level))


def judge_gripper(
    training: GripperProfile | None,
    episodes: pd.DataFrame,
    closed_fraction_action: float | None,
    mean_gripper_action: float | None,
    *,
    task_differs: bool = False,
) -> Finding:
    """`episodes` has a column most_closed_gripper_action (each episode's smallest gripper action); the two floats
    describe all deployment action frames."""
    if training is None or closed_fraction_action is None:
        raise CannotJudge("no gripper joint in the training or deployment actions")
    most_closed = episodes["most_closed_gripper_action"].to_numpy(dtype=float)
    reach = reach_level(training)
    never = ~(most_closed <= reach)
    share = float(never.mean()) if len(never) else 0.0
    grasp = training.grasp_level if training.grasp_level is not None else training.closed_threshold.value
    deepest = float(np.nanmin(most_closed)) if len(most_closed) and not np.isnan(most_closed).all() else math.nan
    numbers = {
        "episodes_never_closing": int(never.sum()),
        "episodes": int(len(episodes)),
        "closed_threshold": round(training.closed_threshold.value, 3),
        "training_grasp_level": round(grasp, 3),
        "training_open_level": None if training.open_level is None else round(training.open_level, 3),
        "grasp_reached_at_or_below": round(reach, 3),
        "deployment_most_closed_level": None if math.isnan(deepest) else round(deepest, 3),
        "deployment_most_closed_per_episode": [round(float(v), 3) for v in most_closed],
        "training_closed_fraction_action": round(training.closed_fraction_action, 4),
        "deployment_closed_fraction_action": round(closed_fraction_action, 4),
        "training_mean_gripper_action": round(training.mean_action, 3),
        "deployment_mean_gripper_action": round(float(mean_gripper_action or np.nan), 3),
    }
    sentence = (
        f"In {int(never.sum())} of {len(episodes)} episodes the gripper command never reached the training's grasp "
        f"level {grasp:.1f} (a grasp is at or below {reach:.1f}); the deployment's most closed command was "
        f"{deepest:.1f}. Training closes it in {training.closed_fraction_action:.0%} of its action frames "
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
