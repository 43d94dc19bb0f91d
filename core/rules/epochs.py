"""Training length (cause: overfitting): epochs = steps x batch x processes / frames, against the policy type's
guidance. The frames are those of the dataset the checkpoint was trained on (its train_config.json), never another's.

Above the guidance's `warn_above` the policy has likely memorised its training scenes (a warning);
below its typical range it is likely under-trained, which the finding's evidence says without
calling it a fault. The guidance and its sources are in `core.training.planner` (docs/planner.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from core.policy.checkpoint import CheckpointInfo
from core.rules.features import training_features
from core.rules.finding import CannotJudge, Evidence, Finding
from core.training import planner
from core.training.profile import TrainingDatasetMatch, TrainingProfile, training_dataset_match

FINDING_ID = "overfitting"


def trained_epochs(
    profile: TrainingProfile, checkpoint: CheckpointInfo | None, episode_lengths: Mapping[int, int] | None = None
) -> float | None:
    """Epochs of the checkpoint over the frames it trained on: its episode subset when train_config names one and
    `episode_lengths` (episode index -> frames of the training set) are known, else the whole profiled dataset.
    None when unknown: no train_config.json, or the profiled dataset is not the one it was trained on."""
    if checkpoint is None or checkpoint.training is None or not_trained_on(profile, checkpoint) is not None:
        return None
    if profile.checkpoint is not None and profile.checkpoint.path == checkpoint.path:
        return profile.epochs
    subset = checkpoint.training.dataset_episodes
    frames = profile.total_frames
    if subset is not None and episode_lengths is not None:
        frames = sum(episode_lengths.get(int(index), 0) for index in subset)
    return checkpoint.training.epochs(frames) if frames else None


def training_dataset(profile: TrainingProfile, checkpoint: CheckpointInfo) -> TrainingDatasetMatch | None:
    """Whether the profiled dataset is the one the checkpoint's train_config.json names; None without one."""
    if checkpoint.training is None:
        return None
    if profile.checkpoint is not None and profile.checkpoint.path == checkpoint.path and profile.dataset_match:
        return profile.dataset_match
    training = checkpoint.training
    return training_dataset_match(Path(profile.dataset_dir), training.dataset_repo_id, training.dataset_root)


def not_trained_on(profile: TrainingProfile, checkpoint: CheckpointInfo) -> str | None:
    """Why the profiled dataset's frames cannot count the checkpoint's epochs; None when they can."""
    match = training_dataset(profile, checkpoint)
    if match is not None and not match.trained_on_this:
        return (
            f"{match.detail.rstrip('.')}; epochs count only the frames of the dataset it was trained on "
            "(profile that dataset)"
        )
    features = training_features(profile, checkpoint)
    if not features.matches:
        return (
            f"the profiled dataset is not the data the policy was trained on: it expects {features.describe()} "
            "(feature_mismatch)"
        )
    return None


def judge_epochs(profile: TrainingProfile, checkpoint: CheckpointInfo | None, epochs: float | None) -> Finding:
    """`epochs` over the frames of the dataset the checkpoint trained on; raises CannotJudge when unknown."""
    if checkpoint is None:
        raise CannotJudge("no policy checkpoint given")
    if checkpoint.training is None:
        raise CannotJudge(
            "epochs unknown: the checkpoint has no train_config.json "
            "(keep the train_config.json that lerobot-train writes next to the weights)"
        )
    reason = not_trained_on(profile, checkpoint)
    if reason is not None:
        raise CannotJudge(reason)
    if epochs is None:
        raise CannotJudge("epochs unknown: the training dataset has no frames of the episodes train_config.json lists")
    match = training_dataset(profile, checkpoint)
    guidance = planner.guidance_for(checkpoint.policy_type)
    training = checkpoint.training
    frames = round(training.trained_steps * training.batch_size * training.num_processes / epochs) if epochs else 0
    numbers = {
        "epochs": round(epochs, 3),
        "steps": training.trained_steps,
        "batch_size": training.batch_size,
        "frames": frames,
        "dataset": profile.dataset_dir,
        "dataset_match": match.status if match is not None else None,
        "policy_type": checkpoint.policy_type,
        "warn_above": guidance.warn_above,
        "typical_range": [guidance.typical_low, guidance.typical_high],
    }
    sentence = (
        f"{training.trained_steps} steps x batch {training.batch_size} over {frames} frames of {profile.dataset_dir} "
        f"({_named(match)}) = {epochs:.1f} epochs; "
        f"{guidance.policy_type} guidance is {guidance.typical_low:g}-{guidance.typical_high:g} (warn above "
        f"{guidance.warn_above:g})."
    )
    verdict = guidance.verdict(epochs)
    if verdict == "typical":
        return Finding(FINDING_ID, "ok", "Training length is in the typical range", Evidence(sentence, numbers))
    if verdict == "below":
        return Finding(
            FINDING_ID,
            "ok",
            "Training length is below the typical range",
            Evidence(f"{sentence} Below the typical range: the policy is likely under-trained.", numbers),
            "Train longer; the Training planner on the Analytics page gives the steps for a target number of epochs.",
        )
    suggested = planner.steps_for_epochs(guidance.typical_high, training.batch_size, frames, training.num_processes)
    return Finding(
        id=FINDING_ID,
        severity="warning",
        title=f"Trained for {epochs:.1f} epochs: likely memorised the training scenes",
        evidence=Evidence(f"{sentence} {guidance.basis}", numbers),
        fix=(
            f"Use an earlier checkpoint, or retrain for about {suggested} steps at batch {training.batch_size} "
            f"({guidance.typical_high:g} epochs); more varied data (deployment-environment episodes merged in, "
            "Planner) helps more than more steps."
        ),
    )


def _named(match: TrainingDatasetMatch | None) -> str:
    if match is not None and match.status == "same_name":
        return "train_config.json names a folder of that name on another machine"
    return "the dataset train_config.json names"
