"""Why a deployment fails: the rules of `core.rules` run on a recording against its training profile.

Inputs: the training profile (and, when its dataset is on this machine, the training metrics), a
deployment recording (its metrics and a few decoded first frames per camera), and optionally the
policy checkpoint. Each finding keeps its stable id; a check that cannot run is listed as skipped
with its reason. When the joint units differ, joint numbers are not comparable, so start_pose and
action_jumps are skipped. The JSON schema and the thresholds' reasoning are in docs/diagnosis.md.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.analytics.frames import first_frames, spread_episodes
from core.analytics.metrics import DatasetMetrics, Reference, dataset_metrics
from core.codec import to_json
from core.policy.checkpoint import CheckpointInfo, read_checkpoint
from core.policy.feature_check import check_features
from core.policy.task_check import check_task
from core.rules import (
    camera_roles,
    divergence,
    drift,
    epochs,
    features,
    fps,
    gripper,
    jumps,
    scene,
    start_pose,
    task,
    units,
)
from core.rules.finding import PROBLEM_SEVERITIES, CannotJudge, Evidence, Finding
from core.so101 import motor_of
from core.training.dataset_files import DatasetFiles, open_dataset
from core.training.profile import PROFILE_FILE, TrainingProfile, build_profile

DIAGNOSIS_VERSION = 1
FINDING_IDS: tuple[str, ...] = (
    "feature_mismatch",
    "task_mismatch",
    "camera_swap",
    "start_pose",
    "gripper_never_closes",
    "action_state_divergence",
    "action_jumps",
    "overfitting",
    "visual_shift",
    "fps_mismatch",
    "unit_mismatch",
    "unexplained_drift",
)
VIEW_EPISODES = 6  # deployment episodes whose first frame is decoded per camera
_SUPPRESSED_BY_UNITS = frozenset({"start_pose", "action_jumps"})
# What these judge is the motion the policy commands: an untrained checkpoint's says nothing about the setup.
_POLICY_BEHAVIOUR = frozenset({"gripper_never_closes", "action_jumps", "action_state_divergence", "unexplained_drift"})


@dataclass(frozen=True)
class SkippedCheck:
    id: str
    reason: str


@dataclass(frozen=True)
class Diagnosis:
    training: Mapping[str, Any]  # profile name, dataset_dir, fps, episodes, frames
    deployment: Mapping[str, Any]  # root, fps, episodes, frames
    policy: Mapping[str, Any] | None  # path, type, chunk_size, n_action_steps, epochs
    findings: tuple[Finding, ...]  # most severe first; never severity "ok"
    checked: tuple[str, ...]  # ids whose check ran
    skipped: tuple[SkippedCheck, ...]
    version: int = DIAGNOSIS_VERSION

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(finding.id for finding in self.findings)


def diagnosis_json(diagnosis: Diagnosis) -> dict[str, Any]:
    """The documented JSON report (docs/diagnosis.md): its `checks` group what ran and what was skipped."""
    return {
        "version": diagnosis.version,
        "training": to_json(diagnosis.training),
        "deployment": to_json(diagnosis.deployment),
        "policy": to_json(diagnosis.policy),
        "findings": to_json(diagnosis.findings),
        "checks": {"run": list(diagnosis.checked), "skipped": to_json(diagnosis.skipped)},
    }


def camera_views(dataset: DatasetFiles, episodes: int = VIEW_EPISODES) -> dict[str, list[scene.SceneView]]:
    """Camera name -> the first frame of up to `episodes` episodes spread over the recording."""
    picks = spread_episodes(dataset, episodes)
    return {
        key.removeprefix("observation.images."): [
            scene.scene_view(frame.image, frame.episode_index) for frame in first_frames(dataset, key, picks)
        ]
        for key in dataset.camera_keys
    }


@dataclass
class _Context:
    profile: TrainingProfile
    deployment: DatasetMetrics
    training: DatasetMetrics | None
    checkpoint: CheckpointInfo | None
    epochs: float | None
    views: Mapping[str, Sequence[scene.SceneView]] | None
    cameras: Sequence[str] | None  # the recording's camera keys; None: unknown
    assignment: dict[str, str] = field(default_factory=dict)  # deployment feed -> the training role it shows
    found: set[str] = field(default_factory=set)
    findings: dict[str, Finding] = field(default_factory=dict)  # the problems found so far, by id

    def numbers_of(self, finding_id: str) -> Mapping[str, Any]:
        """The evidence numbers of a problem found earlier in this diagnosis ({} when it was not found)."""
        finding = self.findings.get(finding_id)
        return finding.evidence.numbers if finding is not None else {}


def diagnose(
    profile: TrainingProfile,
    deployment: DatasetMetrics,
    *,
    training: DatasetMetrics | None = None,
    checkpoint: CheckpointInfo | None = None,
    epochs: float | None = None,
    views: Mapping[str, Sequence[scene.SceneView]] | None = None,
    cameras: Sequence[str] | None = None,
) -> Diagnosis:
    """Run every rule; `training` is the training set's metrics (None: rules that need its frames are skipped);
    `cameras`: the recording's camera keys (default: the names in `views`; neither: cameras are not compared)."""
    cameras = cameras if cameras is not None else list(views) if views is not None else None
    context = _Context(profile, deployment, training, checkpoint, epochs, views, cameras)
    findings, checked, skipped = [], [], []
    for finding_id, check in _CHECKS:
        if finding_id in _SUPPRESSED_BY_UNITS and "unit_mismatch" in context.found:
            skipped.append(
                SkippedCheck(finding_id, "joint units differ (unit_mismatch), so joint values are not comparable")
            )
            continue
        if finding_id in _POLICY_BEHAVIOUR and checkpoint is not None and checkpoint.untrained:
            reason = f"the policy is {checkpoint.untrained}: what it commands says nothing about the setup"
            skipped.append(SkippedCheck(finding_id, reason))
            continue
        try:
            finding = check(context)
        except CannotJudge as reason:
            skipped.append(SkippedCheck(finding_id, str(reason)))
            continue
        checked.append(finding_id)
        if finding.is_problem:
            findings.append(finding)
            context.found.add(finding_id)
            context.findings[finding_id] = finding
    findings.sort(key=lambda f: (PROBLEM_SEVERITIES.index(f.severity), FINDING_IDS.index(f.id)))
    return Diagnosis(
        training={
            "profile": profile.name,
            "dataset_dir": profile.dataset_dir,
            "fps": profile.fps,
            "episodes": profile.total_episodes,
            "frames": profile.total_frames,
        },
        deployment={
            "root": deployment.root,
            "fps": deployment.fps,
            "episodes": int(len(deployment.episodes)),
            "frames": deployment.total_frames,
        },
        policy=_policy_summary(checkpoint, epochs),
        findings=tuple(findings),
        checked=tuple(sorted(checked, key=FINDING_IDS.index)),
        skipped=tuple(skipped),
    )


def training_profile(
    training: str | Path, policy: str | Path | None = None, with_frames: bool = True
) -> TrainingProfile:
    """The profile `diagnose --training` names: a saved profile (file, or folder with profile.json), else the
    profile of that dataset folder, built now."""
    path = Path(training).expanduser()
    if path.is_file() or (path / PROFILE_FILE).is_file():
        return TrainingProfile.load(path)
    return build_profile(path, policy, reference_frames=with_frames)


def diagnose_paths(
    training: str | Path | TrainingProfile,
    deployment: str | Path,
    policy: str | Path | None = None,
    *,
    with_frames: bool = True,
) -> Diagnosis:
    """The diagnose command: `training` is a dataset folder, a saved profile (file, or folder with profile.json),
    or a profile already built."""
    profile = training if isinstance(training, TrainingProfile) else training_profile(training, policy, with_frames)
    checkpoint = read_checkpoint(policy) if policy is not None else profile.checkpoint
    reference = Reference.of_profile(profile)
    training_metrics = dataset_metrics(profile.dataset_dir, reference) if Path(profile.dataset_dir).is_dir() else None
    deployment_metrics = dataset_metrics(deployment, reference)
    recording = open_dataset(deployment)
    views = camera_views(recording) if with_frames else None
    cameras = [key for key, feature in recording.features.items() if feature.get("dtype") in ("video", "image")]
    lengths = training_metrics.episode_lengths if training_metrics is not None else None
    return diagnose(
        profile,
        deployment_metrics,
        training=training_metrics,
        checkpoint=checkpoint,
        epochs=epochs.trained_epochs(profile, checkpoint, lengths),
        views=views,
        cameras=cameras,
    )


def _policy_summary(checkpoint: CheckpointInfo | None, trained: float | None) -> dict[str, Any] | None:
    if checkpoint is None:
        return None
    run = checkpoint.training
    return {
        "path": checkpoint.path,
        "type": checkpoint.policy_type,
        "chunk_size": checkpoint.chunk_size,
        "n_action_steps": checkpoint.n_action_steps,
        "steps": run.trained_steps if run else None,
        "batch_size": run.batch_size if run else None,
        "epochs": trained,
    }


# The checks, in the order they run (unit_mismatch first: it decides whether joint numbers compare).


def _unit_mismatch(c: _Context) -> Finding:
    if c.training is None:
        raise CannotJudge("needs the training dataset's frames (its folder is not on this machine)")
    return units.judge_recorded_units(c.training, c.deployment)


def _feature_mismatch(c: _Context) -> Finding:
    if c.checkpoint is None:
        raise CannotJudge("no policy checkpoint given")
    recording = check_features(
        c.checkpoint,
        "recording",
        state_size=len(c.deployment.state_names),
        action_size=len(c.deployment.action_names),
        cameras=c.cameras,
    )
    return features.judge_features(c.profile, c.checkpoint, recording)


def _fps_mismatch(c: _Context) -> Finding:
    return fps.judge_fps(c.profile.fps, c.deployment.fps, deployment="deployment recording")


def _task_mismatch(c: _Context) -> Finding:
    training_tasks = [t.task for t in c.profile.tasks]
    if not training_tasks:
        raise CannotJudge("the training profile lists no task sentence to compare with")
    unknown = task.most_used_unknown_task(list(c.deployment.episodes["task"]), training_tasks)
    if unknown is None:
        return Finding(
            task.FINDING_ID,
            "ok",
            "Every deployment task is a training task",
            Evidence("Every episode used a training task."),
        )
    sentence, share = unknown
    return task.judge_task(check_task(sentence, training_tasks, c.checkpoint), c.checkpoint, episodes_share=share)


def _camera_swap(c: _Context) -> Finding:
    references = scene.reference_frames(c.profile, c.views)
    live = {name: [view.signature for view in views] for name, views in c.views.items()}
    check = camera_roles.check_roles(
        live, {name: [f.signature for f in frames] for name, frames in references.items()}, {n: n for n in live}
    )
    c.assignment = (
        dict(check.best_assignment)
        if check.verdict == "swapped"
        else {feed: feed for feed in live if feed in references}
    )
    return camera_roles.judge_camera_roles(check)


def _visual_shift(c: _Context) -> Finding:
    """Appearance only on first frames of episodes that started at the start pose (one cause, one finding)."""
    references = scene.reference_frames(c.profile, c.views)
    off = dict(
        zip(c.deployment.episodes["episode_index"].astype(int), c.deployment.episodes["start_pose_off"].astype(bool))
    )
    views = {
        feed: [dataclasses.replace(view, at_start_pose=not off.get(view.episode_index, False)) for view in feed_views]
        for feed, feed_views in c.views.items()
    }
    return scene.judge_scene(references, views, c.assignment or None)


def _start_pose(c: _Context) -> Finding:
    return start_pose.judge_recorded_starts(
        c.deployment.episodes, Reference.of_profile(c.profile).start_pose, c.profile.joint_units
    )


def _gripper_never_closes(c: _Context) -> Finding:
    d = c.deployment
    return gripper.judge_gripper(
        c.profile.gripper,
        d.episodes,
        d.closed_fraction_action,
        d.mean_gripper_action,
        task_differs="task_mismatch" in c.found,
    )


def _action_state_divergence(c: _Context) -> Finding:
    if c.training is None:
        raise CannotJudge("the training dataset is not on this machine (only its saved profile)")
    off_at_start = frozenset(c.numbers_of("start_pose").get("joints_off", {}))
    return divergence.judge_divergence(c.training.episodes, c.deployment.episodes, c.profile.joint_units, off_at_start)


def _unexplained_drift(c: _Context) -> Finding:
    if c.training is None:
        raise CannotJudge("the training dataset is not on this machine (only its saved profile)")
    return drift.judge_drift(c.training.episodes, c.deployment.episodes, tuple(sorted(c.found)))


def _action_jumps(c: _Context) -> Finding:
    training = {motor_of(stats.joint): stats for stats in c.profile.action_jumps}
    deployment = {motor: c.deployment.jump(motor) for motor in c.deployment.arm_motors if motor in training}
    return jumps.judge_jumps(
        training, deployment, c.checkpoint, fps_differs="fps_mismatch" in c.found, units=c.profile.joint_units
    )


def _overfitting(c: _Context) -> Finding:
    return epochs.judge_epochs(c.profile, c.checkpoint, c.epochs)


_CHECKS: tuple[tuple[str, Callable[[_Context], Finding]], ...] = (
    ("unit_mismatch", _unit_mismatch),
    ("feature_mismatch", _feature_mismatch),
    ("fps_mismatch", _fps_mismatch),
    ("task_mismatch", _task_mismatch),
    ("camera_swap", _camera_swap),
    ("visual_shift", _visual_shift),
    ("start_pose", _start_pose),
    ("gripper_never_closes", _gripper_never_closes),
    ("action_state_divergence", _action_state_divergence),
    ("action_jumps", _action_jumps),
    ("overfitting", _overfitting),
    ("unexplained_drift", _unexplained_drift),  # last: it is reported only when no other finding explains the run
)


def no_findings_sentence(diagnosis: Diagnosis) -> str:
    """What a diagnosis without findings may claim: nothing, when no check could run."""
    if not diagnosis.checked:
        return "Nothing could be checked (see why below), so no finding does not mean the deployment is fine."
    return "No findings: the deployment matches training on every check that ran."


def format_diagnosis(diagnosis: Diagnosis) -> str:
    """The diagnosis as plain text (the CLI's output and the page's summary)."""
    lines = [
        f"Diagnosis of {diagnosis.deployment['root']}",
        f"against training profile {diagnosis.training['profile']} ({diagnosis.training['dataset_dir']})",
    ]
    if diagnosis.policy:
        lines.append(f"policy {diagnosis.policy['type']} at {diagnosis.policy['path']}")
    lines.append("")
    if not diagnosis.findings:
        lines.append(no_findings_sentence(diagnosis))
    for finding in diagnosis.findings:
        lines += [
            f"[{finding.severity.upper()}] {finding.id}: {finding.title}",
            f"  evidence: {finding.evidence.sentence}",
            f"  fix: {finding.fix}",
            "",
        ]
    lines.append(f"checks run: {', '.join(diagnosis.checked) or 'none'}")
    for skip in diagnosis.skipped:
        lines.append(f"not checked: {skip.id} ({skip.reason})")
    return "\n".join(lines) + "\n"
