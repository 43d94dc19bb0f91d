"""Policy features (cause: feature_mismatch): the policy's state size, action size and camera keys must exist in the
training dataset and in what it meets (the station before a run, the recording after it).

A policy given a state or action of another size fails on its first frame (ACT) or reads padding
(SmolVLA); a camera slot nothing feeds makes ACT fail and SmolVLA run on fewer images than it
learned from. Every mismatch is critical. The comparison itself is `core.policy.feature_check`.
"""

from __future__ import annotations

import dataclasses

from core.policy.checkpoint import CheckpointInfo
from core.policy.feature_check import FeatureCheck, check_features
from core.rules.finding import CannotJudge, Evidence, Finding
from core.training.profile import TrainingProfile

FINDING_ID = "feature_mismatch"


def training_features(profile: TrainingProfile, checkpoint: CheckpointInfo) -> FeatureCheck:
    """The policy against the profiled dataset, its cameras through the rename map stored in the checkpoint."""
    return check_features(
        checkpoint,
        "training dataset",
        state_size=len(profile.state_names),
        action_size=len(profile.action_names),
        cameras=[camera.key for camera in profile.cameras],
        rename_map=checkpoint.rename_map,
    )


def judge_features(profile: TrainingProfile, checkpoint: CheckpointInfo | None, deployment: FeatureCheck) -> Finding:
    """The policy against the training dataset and `deployment` (the station or a recording, from `check_features`)."""
    if checkpoint is None:
        raise CannotJudge("no policy checkpoint given")
    checks = (training_features(profile, checkpoint), deployment)
    numbers = {check.side.replace(" ", "_"): dataclasses.asdict(check) for check in checks}
    differing = [check for check in checks if not check.matches]
    if not differing:
        return Finding(
            FINDING_ID,
            "ok",
            "The policy's inputs and outputs exist in training and deployment",
            Evidence(
                f"observation.state {checks[0].expected_state_size}, action {checks[0].expected_action_size}, "
                f"{len(checkpoint.image_keys)} image key(s): the training dataset and the {deployment.side} have them.",
                numbers,
            ),
        )
    return Finding(
        id=FINDING_ID,
        severity="critical",
        title=(
            f"The policy expects inputs the {' and the '.join(check.side for check in differing)} "
            f"{'does' if len(differing) == 1 else 'do'} not have"
        ),
        evidence=Evidence(
            f"The {checkpoint.policy_type} policy expects {'; '.join(check.describe() for check in differing)}.",
            numbers,
        ),
        fix=_fix(checks[0], deployment),
    )


def _fix(training: FeatureCheck, deployment: FeatureCheck) -> str:
    fixes = []
    if not training.matches:
        fixes.append(
            "profile the dataset this checkpoint was trained on (its train_config.json names it), or deploy a "
            "checkpoint trained on this dataset"
        )
    if deployment.state_differs or deployment.action_differs:
        fixes.append(f"deploy on an arm with the joints the policy was trained with (the {deployment.side} differs)")
    if deployment.missing_cameras:
        fixes.append(
            f"connect a camera for each missing key on the {deployment.side} and map it to its slot (Cameras page, "
            "camera-to-slot mapping)"
        )
    text = "; ".join(fixes)
    return text[:1].upper() + text[1:] + "."
