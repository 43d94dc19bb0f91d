"""Why a deployment fails: findings with stable ids, each with its severity, the evidence in numbers and the fix.

Inputs: the training profile (and, when its dataset is on this machine, the training metrics), a
deployment recording (its metrics and a few decoded first frames per camera), and optionally the
policy checkpoint. Each check compares deployment with training by a rule whose threshold is a
named constant below, chosen so that a deployment recorded like training gives no finding
(README "Diagnosis" gives the reasoning):

- task_mismatch: a deployment task string is not exactly one of the training strings.
- camera_swap: the camera role check (core.rules.camera_roles) on recorded first frames says the feeds are exchanged.
- visual_shift: a camera's frames look less like the training references than those look like each
  other (by APPEARANCE_DROP), or are much brighter or darker than any training reference (BRIGHTNESS_FACTOR).
- start_pose: at least START_POSE_SHARE of the episodes start with a joint outside its tolerance (core.start_pose.pose).
- gripper_never_closes: training closes the gripper, but in at least NEVER_CLOSES_SHARE of the
  deployment episodes the gripper action never reaches the training closed threshold.
- action_jumps: an arm joint's action-jump p95 exceeds JUMP_P95_RATIO x training's, by JUMP_MIN_EXCESS at least.
- overfitting: the checkpoint trained for more epochs than its policy type's guidance (core.training.planner).
- fps_mismatch: the deployment was recorded at another fps than training.
- unit_mismatch: one side has arm joints beyond ±100 in UNITS_EVIDENCE_SHARE of its values (degrees),
  the other never leaves ±100 (lerobot's -100..100 range units, or degrees of a different calibration).

When the units differ, joint numbers are not comparable, so start_pose and action_jumps are skipped.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any, Literal

import numpy as np

from core.training import planner
from core.analytics.frames import first_frames, luminance, spread_episodes
from core.analytics.metrics import DatasetMetrics, Reference, dataset_metrics
from core.training.appearance import AppearanceSignature, signature_of, similarity
from core.policy.checkpoint import CheckpointInfo, read_checkpoint
from core.training.dataset_files import DatasetFiles, open_dataset
from core.training.profile import PROFILE_FILE, TrainingProfile, build_profile
from core.rules.camera_roles import UNRECOGNISED_BELOW, check_roles
from core.so101 import GRIPPER, motor_of

DIAGNOSIS_VERSION = 1
Severity = Literal["critical", "warning", "info"]
SEVERITIES: tuple[str, ...] = ("critical", "warning", "info")
FINDING_IDS: tuple[str, ...] = (
    "task_mismatch",
    "camera_swap",
    "start_pose",
    "gripper_never_closes",
    "action_jumps",
    "overfitting",
    "visual_shift",
    "fps_mismatch",
    "unit_mismatch",
)

VIEW_EPISODES = 6  # deployment episodes whose first frame is decoded per camera
APPEARANCE_DROP = 0.2  # similarity below training's self-similarity by more than this: another scene
BRIGHTNESS_FACTOR = 1.3  # median brightness beyond training's brightest x this (or darkest / this)
START_POSE_SHARE = 0.2  # of the episodes, at least one
NEVER_CLOSES_SHARE = 0.5
TRAINING_CLOSED_MIN = 0.02  # training closes the gripper in at least this share of action frames
JUMP_P95_RATIO = 2.0
JUMP_MIN_EXCESS = 1.0  # units per frame (degrees)
JUMP_CRITICAL_RATIO = 4.0
FPS_TOLERANCE = 0.5
UNITS_EVIDENCE_SHARE = 0.02
LANGUAGE_FREE_POLICIES = frozenset({"act", "diffusion", "vqbet", "tdmpc"})  # they never read the task string


@dataclass(frozen=True)
class Evidence:
    sentence: str  # one line a person reads
    numbers: Mapping[str, Any]  # what the sentence is computed from (JSON-ready)

    def to_json(self) -> dict[str, Any]:
        return {"sentence": self.sentence, "numbers": dict(self.numbers)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Evidence":
        return cls(sentence=data["sentence"], numbers=dict(data["numbers"]))


@dataclass(frozen=True)
class Finding:
    id: str  # one of FINDING_IDS, stable across versions
    severity: Severity
    title: str
    evidence: Evidence
    fix: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "severity": self.severity, "title": self.title, "evidence": self.evidence.to_json(), "fix": self.fix}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Finding":
        return cls(data["id"], data["severity"], data["title"], Evidence.from_json(data["evidence"]), data["fix"])


@dataclass(frozen=True)
class SkippedCheck:
    id: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "reason": self.reason}


@dataclass(frozen=True)
class Diagnosis:
    training: Mapping[str, Any]  # profile name, dataset_dir, fps, episodes, frames
    deployment: Mapping[str, Any]  # root, fps, episodes, frames
    policy: Mapping[str, Any] | None  # path, type, chunk_size, n_action_steps, epochs
    findings: tuple[Finding, ...]  # most severe first
    checked: tuple[str, ...]  # ids whose check ran
    skipped: tuple[SkippedCheck, ...]
    version: int = DIAGNOSIS_VERSION

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(finding.id for finding in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "training": dict(self.training),
            "deployment": dict(self.deployment),
            "policy": dict(self.policy) if self.policy is not None else None,
            "findings": [finding.to_json() for finding in self.findings],
            "checks": {"run": list(self.checked), "skipped": [skip.to_json() for skip in self.skipped]},
        }


@dataclass(frozen=True)
class CameraView:
    """A decoded deployment frame, reduced to what the checks need."""

    episode_index: int
    signature: AppearanceSignature
    luminance: float


def camera_views(dataset: DatasetFiles, episodes: int = VIEW_EPISODES) -> dict[str, list[CameraView]]:
    """Camera name -> the first frame of up to `episodes` episodes spread over the recording."""
    picks = spread_episodes(dataset, episodes)
    views = {}
    for key in dataset.video_keys:
        frames = first_frames(dataset, key, picks)
        views[key.removeprefix("observation.images.")] = [
            CameraView(frame.episode_index, signature_of(frame.image), luminance(frame.image)) for frame in frames
        ]
    return views


class _Skip(Exception):
    """A check that cannot run on these inputs; the message says why."""


@dataclass
class _Context:
    profile: TrainingProfile
    deployment: DatasetMetrics
    training: DatasetMetrics | None
    checkpoint: CheckpointInfo | None
    epochs: float | None
    views: Mapping[str, Sequence[CameraView]] | None
    assignment: dict[str, str] = field(default_factory=dict)  # deployment feed -> the training role it shows
    found: set[str] = field(default_factory=set)


def diagnose(
    profile: TrainingProfile,
    deployment: DatasetMetrics,
    *,
    training: DatasetMetrics | None = None,
    checkpoint: CheckpointInfo | None = None,
    epochs: float | None = None,
    views: Mapping[str, Sequence[CameraView]] | None = None,
) -> Diagnosis:
    """Run every check; `training` is the training set's metrics (None: checks that need its frames are skipped)."""
    context = _Context(profile, deployment, training, checkpoint, epochs, views)
    findings, checked, skipped = [], [], []
    for finding_id, check in _CHECKS:
        if finding_id in _SUPPRESSED_BY_UNITS and "unit_mismatch" in context.found:
            skipped.append(SkippedCheck(finding_id, "joint units differ (unit_mismatch), so joint values are not comparable"))
            continue
        try:
            finding = check(context)
        except _Skip as reason:
            skipped.append(SkippedCheck(finding_id, str(reason)))
            continue
        checked.append(finding_id)
        if finding is not None:
            findings.append(finding)
            context.found.add(finding_id)
    findings.sort(key=lambda f: (SEVERITIES.index(f.severity), FINDING_IDS.index(f.id)))
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


def diagnose_paths(
    training: str | Path, deployment: str | Path, policy: str | Path | None = None, *, with_frames: bool = True
) -> Diagnosis:
    """The diagnose command: `training` is a dataset folder or a saved profile (file, or folder with profile.json)."""
    training = Path(training).expanduser()
    if training.is_file() or (training / PROFILE_FILE).is_file():
        profile = TrainingProfile.load(training)
    else:
        profile = build_profile(training, policy, reference_frames=with_frames)
    checkpoint = read_checkpoint(policy) if policy is not None else profile.checkpoint
    reference = Reference.of_profile(profile)
    training_metrics = dataset_metrics(profile.dataset_dir, reference) if Path(profile.dataset_dir).is_dir() else None
    deployment_metrics = dataset_metrics(deployment, reference)
    views = camera_views(open_dataset(deployment)) if with_frames else None
    return diagnose(
        profile,
        deployment_metrics,
        training=training_metrics,
        checkpoint=checkpoint,
        epochs=trained_epochs(profile, checkpoint, training_metrics),
        views=views,
    )


def trained_epochs(profile: TrainingProfile, checkpoint: CheckpointInfo | None, training: DatasetMetrics | None) -> float | None:
    """Epochs of the checkpoint over the frames it trained on (its episode subset when train_config names one)."""
    if checkpoint is None or checkpoint.training is None:
        return None
    if profile.checkpoint is not None and profile.checkpoint.path == checkpoint.path and profile.epochs is not None:
        return profile.epochs
    subset = checkpoint.training.dataset_episodes
    frames = profile.total_frames
    if subset is not None and training is not None:
        lengths = training.episodes.set_index("episode_index")["length_frames"]
        frames = int(lengths.reindex(list(subset)).fillna(0).sum())
    return checkpoint.training.epochs(frames) if frames else None


def _policy_summary(checkpoint: CheckpointInfo | None, epochs: float | None) -> dict[str, Any] | None:
    if checkpoint is None:
        return None
    training = checkpoint.training
    return {
        "path": checkpoint.path,
        "type": checkpoint.policy_type,
        "chunk_size": checkpoint.chunk_size,
        "n_action_steps": checkpoint.n_action_steps,
        "steps": training.trained_steps if training else None,
        "batch_size": training.batch_size if training else None,
        "epochs": epochs,
    }


# The checks, in the order they run (unit_mismatch first: it decides whether joint numbers compare).


def _unit_mismatch(c: _Context) -> Finding | None:
    if c.training is None:
        raise _Skip("needs the training dataset's frames (its folder is not on this machine)")
    train, deploy = c.training, c.deployment
    motors = [m for m in train.arm_motors if m in deploy.beyond_range_fraction and m in train.beyond_range_fraction]

    def proven(side: DatasetMetrics, other: DatasetMetrics) -> list[str]:
        if other.joint_units.units == "degrees":
            return []
        return [m for m in motors if side.beyond_range_fraction[m] >= UNITS_EVIDENCE_SHARE and other.beyond_range_fraction[m] == 0]

    in_training, in_deployment = proven(train, deploy), proven(deploy, train)
    if not in_training and not in_deployment:
        return None
    degrees_side, other_side, joints = ("training", "deployment", in_training) if in_training else ("deployment", "training", in_deployment)
    degrees, other = (train, deploy) if in_training else (deploy, train)
    worst = max(joints, key=lambda m: degrees.beyond_range_fraction[m])
    share = degrees.beyond_range_fraction[worst]
    return Finding(
        id="unit_mismatch",
        severity="critical",
        title="Joint units differ between training and deployment",
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
        fix=(
            "Run the robot in the training units: lerobot >= 0.4.4 records degrees (use_degrees=True); datasets and "
            "policies from lerobot <= 0.4.3 (robot_type so101_follower) use -100..100. Set use_degrees on the follower "
            "to match the training set, or convert and retrain; check the calibration files are the training ones."
        ),
    )


def _fps_mismatch(c: _Context) -> Finding | None:
    train_fps, deploy_fps = c.profile.fps, c.deployment.fps
    if abs(train_fps - deploy_fps) <= FPS_TOLERANCE:
        return None
    return Finding(
        id="fps_mismatch",
        severity="critical",
        title=f"Deployment ran at {deploy_fps:g} fps, training at {train_fps:g} fps",
        evidence=Evidence(
            sentence=(
                f"The deployment recording is {deploy_fps:g} fps; the policy learned actions "
                f"{1000 / train_fps:.1f} ms apart ({train_fps:g} fps)."
            ),
            numbers={"training_fps": train_fps, "deployment_fps": deploy_fps, "ratio": round(deploy_fps / train_fps, 4)},
        ),
        fix=f"Deploy and record at {train_fps:g} fps (the rollout's --fps and --dataset.fps), so each action lasts as long as in training.",
    )


def _task_mismatch(c: _Context) -> Finding | None:
    training_tasks = [task.task for task in c.profile.tasks]
    unknown = [task for task in c.deployment.tasks if task not in training_tasks]
    if not unknown or not training_tasks:
        return None
    episodes = c.deployment.episodes
    uses = Counter(task for tasks in episodes["task"] for task in tasks.split("; ") if task in unknown)
    task = max(unknown, key=lambda t: uses.get(t, 0))
    nearest = max(training_tasks, key=lambda t: SequenceMatcher(None, t, task).ratio())
    difference = _difference(task, nearest)
    share = sum(1 for tasks in episodes["task"] if any(t in unknown for t in tasks.split("; "))) / max(1, len(episodes))
    policy_type = c.checkpoint.policy_type if c.checkpoint else None
    reads_task = policy_type not in LANGUAGE_FREE_POLICIES
    severity: Severity = "critical" if reads_task else "info"
    fix = f"Deploy with the training task string exactly: {nearest!r} (copy it from the training profile)."
    if not reads_task:
        fix = (
            f"{policy_type} ignores the task string, so this does not change its actions; but relabel the recording to "
            f"{nearest!r} before merging it into a training set (lerobot-edit-dataset --operation.type=modify_tasks)."
        )
    elif policy_type is None:
        fix += " (Policies that read the task, like SmolVLA, tokenise it verbatim; ACT ignores it.)"
    return Finding(
        id="task_mismatch",
        severity=severity,
        title="The deployment task string is not a training task",
        evidence=Evidence(
            sentence=f"Deployment used {task!r}; the nearest training task is {nearest!r} (they differ {difference}).",
            numbers={
                "deployment_task": task,
                "nearest_training_task": nearest,
                "difference": difference,
                "similarity": round(SequenceMatcher(None, task, nearest).ratio(), 4),
                "episodes_share": round(share, 4),
                "training_tasks": training_tasks,
                "policy_type": policy_type,
            },
        ),
        fix=fix,
    )


def _difference(task: str, nearest: str) -> str:
    if task.strip() == nearest.strip():
        return "only in leading or trailing spaces"
    if " ".join(task.split()) == " ".join(nearest.split()):
        return "only in spaces"
    if task.casefold() == nearest.casefold():
        return "only in letter case"
    if re.sub(r"[\W_]+", "", task.casefold()) == re.sub(r"[\W_]+", "", nearest.casefold()):
        return "only in punctuation and spaces"
    return "in wording"


def _references(c: _Context) -> dict[str, list[Any]]:
    references = {camera.name: list(camera.reference_frames) for camera in c.profile.cameras if camera.reference_frames}
    if not references:
        raise _Skip("the training profile has no reference frames (it was built with --no-frames)")
    if not c.views:
        raise _Skip("no deployment frames were decoded (the recording has no camera videos)")
    if not set(references) & set(c.views):
        raise _Skip(
            f"camera names differ: deployment {', '.join(c.views)}, training {', '.join(references)} "
            "(a rename_map decides which feed the policy sees)"
        )
    return references


def _camera_swap(c: _Context) -> Finding | None:
    references = _references(c)
    live = {name: [view.signature for view in views] for name, views in c.views.items()}
    check = check_roles(live, {name: [f.signature for f in frames] for name, frames in references.items()}, {n: n for n in live})
    c.assignment = {feed: feed for feed in live if feed in references}
    if check.verdict != "swapped":
        return None
    c.assignment = dict(check.best_assignment)
    moved = {feed: role for feed, role in check.best_assignment.items() if feed != role}
    shown = ", ".join(f"'{feed}' shows the {role} view" for feed, role in moved.items())
    return Finding(
        id="camera_swap",
        severity="critical",
        title="Cameras swapped: " + shown,
        evidence=Evidence(
            sentence=f"Recorded first frames match the other camera's training references: {shown}.",
            numbers={"scores": check.scores, "shows": moved},
        ),
        fix="Exchange the two camera cables, or swap the camera mapping on the Cameras page, then check the live views again.",
    )


def _visual_shift(c: _Context) -> Finding | None:
    references = _references(c)
    if not c.assignment:
        c.assignment = {feed: feed for feed in c.views if feed in references}
    per_camera, shifted = {}, []
    for feed, role in c.assignment.items():
        refs = references[role]
        if len(refs) < 2:
            raise _Skip(f"the training profile has one reference frame of {role}; self-similarity needs two")
        signatures = [f.signature for f in refs]
        self_similarity = statistics.median(
            max(similarity(a, b) for j, b in enumerate(signatures) if j != i) for i, a in enumerate(signatures)
        )
        views = c.views[feed]
        scores = [max(similarity(view.signature, ref) for ref in signatures) for view in views]
        deployed = statistics.median(scores)
        train_light = [luminance(f.image()) for f in refs]
        deployed_light = statistics.median(view.luminance for view in views)
        darker = deployed_light < min(train_light) / BRIGHTNESS_FACTOR
        brighter = deployed_light > max(train_light) * BRIGHTNESS_FACTOR
        looks_other = self_similarity - deployed > APPEARANCE_DROP
        per_camera[role] = {
            "training_self_similarity": round(self_similarity, 4),
            "deployment_similarity": round(deployed, 4),
            "training_brightness": [round(min(train_light), 1), round(max(train_light), 1)],
            "deployment_brightness": round(deployed_light, 1),
        }
        if looks_other or darker or brighter:
            what = []
            if looks_other:
                what.append(f"similarity {deployed:.2f} against training's own {self_similarity:.2f}")
            if darker or brighter:
                what.append(
                    f"{'darker' if darker else 'brighter'}: brightness {deployed_light:.0f} against "
                    f"{min(train_light):.0f}-{max(train_light):.0f} in training"
                )
            shifted.append((role, deployed, "; ".join(what)))
    if not shifted:
        return None
    worst = min(shifted, key=lambda s: s[1])
    severity: Severity = "critical" if worst[1] < UNRECOGNISED_BELOW else "warning"
    return Finding(
        id="visual_shift",
        severity=severity,
        title="The deployment scene looks different from training",
        evidence=Evidence(
            sentence="; ".join(f"{role} camera: {what}" for role, _, what in shifted) + ".",
            numbers={"cameras": per_camera, "shifted": [role for role, _, _ in shifted]},
        ),
        fix=(
            "Make the scene look like the training scene (lighting, table cover, background, camera position and "
            "exposure), comparing with the training reference frames; or record episodes in the deployment "
            "environment and merge them into the training set (Planner)."
        ),
    )


def _start_pose(c: _Context) -> Finding | None:
    episodes = c.deployment.episodes
    off = episodes["start_pose_off"].to_numpy(dtype=bool)
    needed = max(1, math.ceil(START_POSE_SHARE * len(episodes)))
    if off.sum() < needed:
        return None
    joints = Counter(j for text in episodes.loc[off, "start_off_joints"] for j in text.split(", ") if j)
    targets = {target.motor: target for target in Reference.of_profile(c.profile).start_pose}
    moves = []
    for motor, _ in joints.most_common():
        target = targets[motor]
        if motor == GRIPPER:
            started = float(np.nanmedian(episodes["start_gripper"]))
            moves.append(f"the gripper to {target.mean:.1f} (deployment started at {started:.1f})")
        else:
            moves.append(f"{motor} to {target.mean:.1f}° (± {target.tolerance:.1f})")
    distance = episodes["start_pose_distance_deg"].to_numpy(dtype=float)
    share = off.sum() / len(episodes)
    sentence = (
        f"{int(off.sum())} of {len(episodes)} episodes started outside the training start pose "
        f"(median arm distance {np.nanmedian(distance):.1f}°, max {np.nanmax(distance):.1f}°; "
        f"joints off: {', '.join(f'{j} x{n}' for j, n in joints.most_common())})."
    )
    return Finding(
        id="start_pose",
        severity="critical" if share >= 0.5 else "warning",
        title="Episodes start far from the training start pose",
        evidence=Evidence(
            sentence=sentence,
            numbers={
                "episodes_off": int(off.sum()),
                "episodes": int(len(episodes)),
                "median_distance_deg": round(float(np.nanmedian(distance)), 3),
                "max_distance_deg": round(float(np.nanmax(distance)), 3),
                "joints_off": dict(joints),
                "deployment_start_gripper_median": _round(float(np.nanmedian(episodes["start_gripper"]))),
                "training_start": {motor: round(t.mean, 3) for motor, t in targets.items()},
                "tolerance": {motor: t.tolerance for motor, t in targets.items()},
            },
        ),
        fix="Before each episode bring the arm to the training start pose (Home reset page): move " + "; ".join(moves) + ".",
    )


def _gripper_never_closes(c: _Context) -> Finding | None:
    gripper = c.profile.gripper
    if gripper is None or c.deployment.closed_fraction_action is None:
        raise _Skip("no gripper joint in the training or deployment actions")
    if gripper.closed_fraction_action < TRAINING_CLOSED_MIN:
        return None  # training hardly closes the gripper either
    episodes = c.deployment.episodes
    never = ~episodes["gripper_closes"].to_numpy(dtype=bool)
    share = never.mean()
    if share < NEVER_CLOSES_SHARE:
        return None
    cause = " The task string differs from training (task_mismatch): fix that first." if "task_mismatch" in c.found else ""
    threshold = gripper.closed_threshold.value
    return Finding(
        id="gripper_never_closes",
        severity="critical" if share == 1 else "warning",
        title="The gripper never closes",
        evidence=Evidence(
            sentence=(
                f"In {int(never.sum())} of {len(episodes)} episodes the gripper action never reached the closed threshold "
                f"{threshold:.1f}; training closes it in {gripper.closed_fraction_action:.0%} of its action frames "
                f"(deployment {c.deployment.closed_fraction_action:.0%}, mean action {c.deployment.mean_gripper_action:.1f} "
                f"against {gripper.mean_action:.1f})."
            ),
            numbers={
                "episodes_never_closing": int(never.sum()),
                "episodes": int(len(episodes)),
                "closed_threshold": round(threshold, 3),
                "training_closed_fraction_action": round(gripper.closed_fraction_action, 4),
                "deployment_closed_fraction_action": round(c.deployment.closed_fraction_action, 4),
                "training_mean_gripper_action": round(gripper.mean_action, 3),
                "deployment_mean_gripper_action": round(c.deployment.mean_gripper_action, 3),
            },
        ),
        fix=(
            "Check what the policy conditions on: the exact training task string (SmolVLA), the camera wiring and the "
            "start pose; then check the gripper calibration (0 = closed) against the training set." + cause
        ),
    )


def _action_jumps(c: _Context) -> Finding | None:
    training = {motor_of(stats.joint): stats for stats in c.profile.action_jumps}
    flagged = {}
    for motor in c.deployment.arm_motors:
        if motor not in training:
            continue
        train, deploy = training[motor], c.deployment.jump(motor)
        if deploy.p95 > JUMP_P95_RATIO * train.p95 and deploy.p95 - train.p95 > JUMP_MIN_EXCESS:
            flagged[motor] = {
                "training_p95": round(train.p95, 3),
                "training_max": round(train.max, 3),
                "deployment_p95": round(deploy.p95, 3),
                "deployment_max": round(deploy.max, 3),
                "ratio": round(deploy.p95 / train.p95, 2) if train.p95 > 0 else None,
            }
    if not flagged:
        return None
    worst = max(flagged, key=lambda m: flagged[m]["ratio"] or math.inf)
    ratio = flagged[worst]["ratio"]
    chunking = ""
    numbers: dict[str, Any] = {"joints": flagged}
    if c.checkpoint is not None:
        numbers.update(chunk_size=c.checkpoint.chunk_size, n_action_steps=c.checkpoint.n_action_steps)
        chunking = f" The policy runs chunk_size {c.checkpoint.chunk_size}, n_action_steps {c.checkpoint.n_action_steps}."
    if "fps_mismatch" in c.found:
        chunking += " The fps differs too (fps_mismatch), which scales every jump."
    return Finding(
        id="action_jumps",
        severity="critical" if ratio is None or ratio >= JUMP_CRITICAL_RATIO else "warning",
        title="Actions jump between frames far more than in training",
        evidence=Evidence(
            sentence=(
                f"{worst} action jumps: p95 {flagged[worst]['deployment_p95']:.1f} and max {flagged[worst]['deployment_max']:.1f} "
                f"per frame, against p95 {flagged[worst]['training_p95']:.1f} and max {flagged[worst]['training_max']:.1f} in training."
                + chunking
            ),
            numbers=numbers,
        ),
        fix=(
            "Smooth the chunk boundaries: execute fewer actions per chunk (lower n_action_steps), use ACT's temporal "
            "ensembling (n_action_steps=1, temporal_ensemble_coeff=0.01) or RTC inference (SmolVLA), and run at the "
            "training fps. Compare again on the action-jumps figure."
        ),
    )


def _overfitting(c: _Context) -> Finding | None:
    if c.checkpoint is None:
        raise _Skip("no policy checkpoint given")
    if c.checkpoint.training is None or c.epochs is None:
        raise _Skip("the checkpoint has no train_config.json, so its steps and batch size are unknown")
    guidance = planner.guidance_for(c.checkpoint.policy_type)
    if c.epochs <= guidance.warn_above:
        return None
    training = c.checkpoint.training
    frames = round(training.trained_steps * training.batch_size * training.num_processes / c.epochs)
    suggested = planner.steps_for_epochs(guidance.typical_high, training.batch_size, frames, training.num_processes)
    return Finding(
        id="overfitting",
        severity="warning",
        title=f"Trained for {c.epochs:.1f} epochs: likely memorised the training scenes",
        evidence=Evidence(
            sentence=(
                f"{training.trained_steps} steps x batch {training.batch_size} over {frames} frames = {c.epochs:.1f} epochs; "
                f"{guidance.policy_type} guidance is {guidance.typical_low:g}-{guidance.typical_high:g} (warn above {guidance.warn_above:g})."
            ),
            numbers={
                "epochs": round(c.epochs, 3),
                "steps": training.trained_steps,
                "batch_size": training.batch_size,
                "frames": frames,
                "policy_type": c.checkpoint.policy_type,
                "warn_above": guidance.warn_above,
                "typical_range": [guidance.typical_low, guidance.typical_high],
            },
        ),
        fix=(
            f"Use an earlier checkpoint, or retrain for about {suggested} steps at batch {training.batch_size} "
            f"({guidance.typical_high:g} epochs); more varied data (deployment-environment episodes merged in, Planner) "
            "helps more than more steps."
        ),
    )


def _round(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 3)


_CHECKS: tuple[tuple[str, Callable[[_Context], Finding | None]], ...] = (
    ("unit_mismatch", _unit_mismatch),
    ("fps_mismatch", _fps_mismatch),
    ("task_mismatch", _task_mismatch),
    ("camera_swap", _camera_swap),
    ("visual_shift", _visual_shift),
    ("start_pose", _start_pose),
    ("gripper_never_closes", _gripper_never_closes),
    ("action_jumps", _action_jumps),
    ("overfitting", _overfitting),
)
_SUPPRESSED_BY_UNITS = frozenset({"start_pose", "action_jumps"})


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
        lines.append("No findings: the deployment matches training on every check that ran.")
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
