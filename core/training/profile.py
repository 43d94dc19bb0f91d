"""The training profile: what the training data (and checkpoint) say a deployment should look like.

Every preflight check compares the live station against these numbers: the exact task
strings, each camera's look (reference frames and appearance signatures), the start pose,
how often the gripper is closed, how far actions jump between frames, the joint units, the
chunk settings and the epochs trained. Statistics come from parquet columns (fast); video is
decoded only for the few reference frames. A saved profile is one self-contained JSON file
(reference frames are small base64 JPEGs inside it) in `<workspace>/profiles/<name>/`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shlex
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core import codec
from core.errors import DatasetError
from core.policy.checkpoint import CheckpointInfo, read_checkpoint
from core.policy.feature_check import FeatureCheck, check_features
from core.so101 import GRIPPER, motor_of
from core.training import frame_stats
from core.training.appearance import AppearanceSignature, signature_of
from core.training.camera_frames import camera_frame
from core.training.dataset_files import DatasetFiles, open_dataset
from core.training.frame_stats import ClosedThreshold, JointRange, JointSpread, JointUnits, JumpStats
from core.training.hygiene import EpisodeColumns, Hygiene, check_hygiene
from core.training.recording_setup import read_recording_setup
from core.training.video_frames import from_jpeg, to_jpeg
from core.workspace import Workspace

PROFILE_VERSION = 1
PROFILE_FILE = "profile.json"
REFERENCE_EPISODES = 4
STATE = "observation.state"
ACTION = "action"
FRAME_COLUMNS = ("episode_index", "task_index", "timestamp", STATE, ACTION)  # all the profile reads of the frames
_SECOND_CORE = ThreadPoolExecutor(max_workers=1, thread_name_prefix="profile-statistics")


@dataclass(frozen=True)
class TaskCount:
    task: str  # exactly as stored in the dataset
    episodes: int
    frames: int


@dataclass(frozen=True)
class ReferenceFrame:
    """The first frame of one training episode from one camera, with its appearance signature."""

    episode_index: int
    timestamp_s: float  # in the video file
    jpeg_b64: str  # small JPEG (at most 320 px wide), base64
    signature: AppearanceSignature  # of the full-resolution frame

    def jpeg(self) -> bytes:
        return base64.b64decode(self.jpeg_b64)

    def image(self) -> np.ndarray:
        return from_jpeg(self.jpeg())


@dataclass(frozen=True)
class CameraProfile:
    key: str  # dataset feature, e.g. observation.images.front
    width_px: int
    height_px: int
    fps: float
    codec: str | None
    reference_frames: tuple[ReferenceFrame, ...]  # empty when built without reference frames
    frames_unavailable: str = ""  # why there are no reference frames although they were asked for ("" if there are)

    @property
    def name(self) -> str:
        """The robot's camera name: `observation.images.front` -> `front`."""
        return self.key.removeprefix("observation.images.")


@dataclass(frozen=True)
class GripperProfile:
    joint: str  # feature name, e.g. gripper.pos (0..100, 0 = closed on an SO-101)
    closed_threshold: ClosedThreshold  # value <= threshold counts as closed
    closed_fraction_action: float
    closed_fraction_state: float
    mean_action: float
    grasp_level: float | None = None  # median action at or below the threshold: how far training closes it
    open_level: float | None = None  # median action above the threshold


@dataclass(frozen=True)
class TrainingDatasetMatch:
    """Whether the checkpoint's train_config names the profiled dataset: recorded, never refused."""

    status: str  # "same", "same_name" (path not on this machine, folder name agrees), "different" or "unknown"
    detail: str

    @property
    def trained_on_this(self) -> bool:
        """The profiled dataset is the one the checkpoint was trained on: its frames count the epochs."""
        return self.status in ("same", "same_name")


@dataclass(frozen=True)
class TrainingProfile:
    name: str
    dataset_dir: str
    robot_type: str | None
    fps: float
    total_episodes: int
    total_frames: int
    state_names: tuple[str, ...]
    action_names: tuple[str, ...]
    tasks: tuple[TaskCount, ...]  # most episodes first
    cameras: tuple[CameraProfile, ...]
    start_pose: tuple[JointSpread, ...]  # over each episode's first observation.state
    gripper: GripperProfile | None  # None when no gripper joint is named
    action_jumps: tuple[JumpStats, ...]
    joint_units: JointUnits
    checkpoint: CheckpointInfo | None = None
    training_frames: int | None = None  # frames the checkpoint trained on (its episode subset, if any)
    epochs: float | None = None  # trained steps x batch_size x processes / training_frames
    dataset_match: TrainingDatasetMatch | None = None
    warnings: tuple[str, ...] = ()
    version: int = PROFILE_VERSION
    feature_check: FeatureCheck | None = None  # the checkpoint's state, action and camera keys against this dataset
    hygiene: Hygiene | None = None  # episodes worth a look before training; None when not checked
    joint_ranges: tuple[JointRange, ...] = ()  # observation.state min and max per joint, every frame (older: ())

    def camera(self, key_or_name: str) -> CameraProfile:
        for camera in self.cameras:
            if key_or_name in (camera.key, camera.name):
                return camera
        raise KeyError(f"No camera {key_or_name!r} in the profile (cameras: {', '.join(c.name for c in self.cameras)})")

    def save(self, path: str | Path) -> Path:
        """Write the profile as one JSON file (reference frames included); returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(codec.to_json(self), indent=1))
        return path

    @classmethod
    def load(cls, path: str | Path) -> TrainingProfile:
        """Read a profile file, or the profile.json in a profile folder."""
        path = Path(path)
        if path.is_dir():
            path = path / PROFILE_FILE
        if not path.is_file():
            raise DatasetError(
                f"No saved profile at {path}. Build it with: python -m core profile --dataset DIR --out "
                f"{shlex.quote(str(path))}"
            )
        try:
            return profile_from_json(json.loads(path.read_text()))
        except ValueError as error:  # not JSON, or a field missing or of the wrong type
            raise DatasetError(
                f"The saved profile {path} is damaged ({error!r}): build it again from its dataset."
            ) from error


def profile_from_json(data: Mapping[str, Any]) -> TrainingProfile:
    """The profile `codec.to_json` wrote (`profile --json` adds the report's "provenance", ignored here); a
    DatasetError unless the data is format version PROFILE_VERSION."""
    if data.get("version") != PROFILE_VERSION:
        raise DatasetError(
            f"The saved profile is format version {data.get('version')}, this Preflight reads {PROFILE_VERSION}: "
            "build the profile again from its dataset."
        )
    return codec.from_json(TrainingProfile, {key: value for key, value in data.items() if key != "provenance"})


def profile_name(dataset_dir: str | Path) -> str:
    """A stable name for the profile of a dataset folder: its folder name plus a hash of its full path."""
    resolved = Path(dataset_dir).expanduser().resolve()
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", resolved.name).strip("-.") or "dataset"
    return f"{slug}-{hashlib.sha1(str(resolved).encode()).hexdigest()[:8]}"


def save_profile(profile: TrainingProfile, workspace: Workspace | None = None) -> Path:
    """Store a profile in the workspace (`profiles/<name>/profile.json`); returns the file."""
    workspace = workspace or Workspace.default()
    return profile.save(workspace.profiles_dir / profile.name / PROFILE_FILE)


def build_profile(
    dataset_dir: str | Path, policy_dir: str | Path | None = None, reference_frames: bool = True, hygiene: bool = True
) -> TrainingProfile:
    """Compute the training profile of a dataset folder, and of the checkpoint trained on it if given (`hygiene`:
    also flag the episodes worth a look, core.training.hygiene)."""
    dataset = open_dataset(dataset_dir, prefetch=FRAME_COLUMNS)
    checkpoint = read_checkpoint(policy_dir) if policy_dir is not None else None  # a bad folder fails before any work
    for key in (STATE, ACTION):
        if key not in dataset.features:
            raise DatasetError(
                f"The dataset at {dataset.root} has no '{key}' feature, which the profile needs "
                f"(features: {', '.join(dataset.features)}). Give the dataset the policy was trained on."
            )
    columns = dataset.read_columns(
        FRAME_COLUMNS if "timestamp" in dataset.features else tuple(c for c in FRAME_COLUMNS if c != "timestamp")
    )
    episode_index = columns["episode_index"]
    if np.any(np.diff(episode_index) < 0):  # keep each episode's frames together, in recorded order
        order = np.argsort(episode_index, kind="stable")
        columns = {key: values[order] for key, values in columns.items()}
        episode_index = columns["episode_index"]
    state, action = columns[STATE], columns[ACTION]  # float32 as stored: statistics cast only what they keep
    state_names, action_names = dataset.feature_names(STATE), dataset.feature_names(ACTION)
    # numpy releases the GIL: the jumps (the largest statistic) run on a second core while this thread computes
    # the rest
    action_jumps = _SECOND_CORE.submit(frame_stats.pooled_jump_stats, action, episode_index, action_names)
    extremes = _SECOND_CORE.submit(_extremes, state, action, state_names, action_names)  # after the jumps

    training_frames, epochs, match, feature_check, warnings = _training_facts(dataset, checkpoint)
    flags = (  # on this thread, while the second core computes the jumps
        check_hygiene(
            dataset,
            EpisodeColumns(episode_index, state, action, columns.get("timestamp"), state_names, action_names),
            checkpoint.policy_type if checkpoint is not None else None,
        )
        if hygiene
        else None
    )
    # everything else before waiting for the jumps: a result awaited early leaves this core idle
    tasks = _task_counts(dataset, columns["task_index"])
    start_pose = frame_stats.spread(frame_stats.first_frames(state, episode_index), state_names)
    gripper = _gripper_profile(state, action, state_names, action_names)
    arm_peaks, joint_ranges = extremes.result()
    joint_units = frame_stats.guess_joint_units(
        arm_peaks,
        dataset.robot_type,
        [name for name in (*state_names, *action_names) if motor_of(name) != GRIPPER],
        read_recording_setup(dataset.root),
    )
    cameras = tuple(
        _camera_profile(dataset, key, reference_frames) for key in (*dataset.video_keys, *dataset.image_keys)
    )
    return TrainingProfile(
        name=profile_name(dataset.root),
        dataset_dir=str(dataset.root),
        robot_type=dataset.robot_type,
        fps=dataset.fps,
        total_episodes=dataset.total_episodes,
        total_frames=int(len(episode_index)),
        state_names=state_names,
        action_names=action_names,
        tasks=tasks,
        cameras=cameras,
        start_pose=start_pose,
        gripper=gripper,
        action_jumps=action_jumps.result(),
        joint_units=joint_units,
        checkpoint=checkpoint,
        training_frames=training_frames,
        epochs=epochs,
        dataset_match=match,
        feature_check=feature_check,
        warnings=(*dataset.notes, *warnings),
        hygiene=flags,
        joint_ranges=joint_ranges,
    )


def _task_counts(dataset: DatasetFiles, task_index: np.ndarray) -> tuple[TaskCount, ...]:
    episodes = Counter(task for tasks in dataset.episode_table.tasks for task in tasks)
    frames = (
        np.bincount(task_index.astype(np.int64, copy=False), minlength=len(dataset.tasks)) if len(task_index) else []
    )
    counts = [
        TaskCount(task=task, episodes=episodes.get(task, 0), frames=int(frames[i]) if i < len(frames) else 0)
        for i, task in enumerate(dataset.tasks)
    ]
    return tuple(sorted(counts, key=lambda count: (-count.episodes, count.task)))


def _camera_profile(dataset: DatasetFiles, key: str, with_frames: bool) -> CameraProfile:
    feature = dataset.features[key]
    video_info = feature.get("info") or {}
    height, width = (list(feature.get("shape") or [0, 0]) + [0, 0])[:2]
    if feature.get("names") and list(feature["names"])[:1] == ["channels"]:  # (C, H, W), as older image datasets
        height, width = (list(feature.get("shape") or [0, 0, 0]) + [0, 0, 0])[1:3]
    unavailable = dataset.unreadable_cameras.get(key, "") if with_frames else ""
    return CameraProfile(
        key=key,
        width_px=int(video_info.get("video.width", width)),
        height_px=int(video_info.get("video.height", height)),
        fps=float(video_info.get("video.fps", dataset.fps)),
        codec=video_info.get("video.codec"),
        reference_frames=_reference_frames(dataset, key) if with_frames and not unavailable else (),
        frames_unavailable=unavailable,
    )


def _reference_frames(dataset: DatasetFiles, key: str) -> tuple[ReferenceFrame, ...]:
    """The first frame of a few episodes spread over the dataset (start of recording to its end)."""
    count = min(REFERENCE_EPISODES, len(dataset.episodes))
    picks = sorted({int(i) for i in np.linspace(0, len(dataset.episodes) - 1, count).round()}) if count else []
    frames = []
    for i in picks:
        episode = dataset.episodes[i]
        image, _ = camera_frame(dataset, episode, key)
        segment = episode.videos.get(key)
        frames.append(
            ReferenceFrame(
                episode_index=episode.index,
                timestamp_s=segment.from_timestamp_s if segment is not None else 0.0,
                jpeg_b64=base64.b64encode(to_jpeg(image)).decode("ascii"),
                signature=signature_of(image),
            )
        )
    return tuple(frames)


def _gripper_profile(
    state: np.ndarray, action: np.ndarray, state_names: tuple[str, ...], action_names: tuple[str, ...]
) -> GripperProfile | None:
    state_column = _gripper_column(state_names)
    action_column = _gripper_column(action_names)
    if state_column is None or action_column is None:
        return None
    pooled = np.concatenate([state[:, state_column], action[:, action_column]])  # one contiguous copy for every pass
    state_gripper, action_gripper = pooled[: len(state)], pooled[len(state) :]
    threshold = frame_stats.gripper_closed_threshold(pooled)
    closed = action_gripper <= threshold.value
    return GripperProfile(
        joint=action_names[action_column],
        closed_threshold=threshold,
        closed_fraction_action=frame_stats.closed_fraction(action_gripper, threshold.value),
        closed_fraction_state=frame_stats.closed_fraction(state_gripper, threshold.value),
        mean_action=float(action_gripper.mean(dtype=np.float64)) if len(action_gripper) else 0.0,
        grasp_level=float(np.median(action_gripper[closed])) if closed.any() else None,
        open_level=float(np.median(action_gripper[~closed])) if not closed.all() else None,
    )


def _gripper_column(names: tuple[str, ...]) -> int | None:
    return next((i for i, name in enumerate(names) if motor_of(name) == GRIPPER), None)


def _extremes(
    state: np.ndarray, action: np.ndarray, state_names: tuple[str, ...], action_names: tuple[str, ...]
) -> tuple[np.ndarray, tuple[frame_stats.JointRange, ...]]:
    """The arm joints' largest |value| over state and action (for the units rule), and the state's joint ranges."""
    peaks = np.concatenate([_arm_peaks(state, state_names), _arm_peaks(action, action_names)])
    return peaks, frame_stats.joint_ranges(state, state_names)


def _arm_peaks(values: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """Largest |value| of each arm (non-gripper) column: all the units rule needs."""
    return frame_stats.column_abs_max(values)[[i for i, name in enumerate(names) if motor_of(name) != GRIPPER]]


def _training_facts(
    dataset: DatasetFiles, checkpoint: CheckpointInfo | None
) -> tuple[int | None, float | None, TrainingDatasetMatch | None, FeatureCheck | None, tuple[str, ...]]:
    """Frames trained on and epochs (only when this is the dataset the checkpoint was trained on), whether train_config
    names this dataset, the checkpoint's features against it, and warnings to show."""
    if checkpoint is None:
        return None, None, None, None, ()
    cameras = [key for key, feature in dataset.features.items() if feature.get("dtype") in ("video", "image")]
    features = check_features(
        checkpoint,
        "training dataset",
        state_size=len(dataset.feature_names(STATE)),
        action_size=len(dataset.feature_names(ACTION)),
        cameras=cameras,
        rename_map=checkpoint.rename_map,
    )
    warnings = []
    if not features.matches:
        warnings.append(
            f"feature_mismatch: the policy expects {features.describe()}. It cannot run on data like this: profile "
            "the dataset it was trained on, or deploy a checkpoint trained on this one."
        )
    training = checkpoint.training
    if training is None:
        return None, None, None, features, tuple(warnings)
    match = training_dataset_match(dataset.root, training.dataset_repo_id, training.dataset_root)
    if not match.trained_on_this or not features.matches:
        why = match.detail if not match.trained_on_this else "This dataset lacks the policy's features."
        warnings.append(
            f"{why} Epochs are not computed: only the frames of the dataset the checkpoint was trained on count; "
            "profile that dataset."
        )
        return None, None, match, features, tuple(warnings)
    table = dataset.episode_table
    lengths = dict(zip(table.index.tolist(), table.length.tolist()))
    if training.dataset_episodes is None:
        frames = sum(lengths.values())
    else:
        absent = [e for e in training.dataset_episodes if e not in lengths]
        if absent:
            warnings.append(f"train_config.json lists episodes this dataset does not have: {absent[:10]}.")
        frames = sum(lengths.get(e, 0) for e in training.dataset_episodes)
    epochs = training.epochs(frames) if frames else None
    return frames, epochs, match, features, tuple(warnings)


def training_dataset_match(dataset_root: Path, repo_id: str | None, root: str | None) -> TrainingDatasetMatch:
    """Compare train_config's dataset with this folder: by path when it exists here, else by folder name."""
    dataset_root = Path(dataset_root).resolve()
    named = Path(root).expanduser() if root else _lerobot_home() / repo_id if repo_id else None
    if named is None:
        return TrainingDatasetMatch("unknown", "train_config.json names no dataset.")
    described = f"repo_id {repo_id!r}, root {root!r}"
    if named.exists():
        if named.resolve() == dataset_root:
            return TrainingDatasetMatch("same", f"train_config.json names this dataset ({described}).")
        return TrainingDatasetMatch(
            "different", f"The checkpoint was trained on {named.resolve()} ({described}), not on {dataset_root}."
        )
    names = {named.name, (repo_id or "").rsplit("/", 1)[-1]}
    if dataset_root.name in names:
        return TrainingDatasetMatch(
            "same_name", f"train_config.json names {named} ({described}), not on this machine; the folder name agrees."
        )
    return TrainingDatasetMatch(
        "different", f"The checkpoint was trained on {named} ({described}), which is not this dataset ({dataset_root})."
    )


def _lerobot_home() -> Path:
    """lerobot's default dataset home ($HF_LEROBOT_HOME), computed without importing lerobot."""
    if os.environ.get("HF_LEROBOT_HOME"):
        return Path(os.environ["HF_LEROBOT_HOME"]).expanduser()
    hf_home = os.environ.get("HF_HOME") or Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")) / "huggingface"
    return Path(hf_home).expanduser() / "lerobot"
