"""The rows that cross the registry's boundary, as frozen dataclasses.

Every deployed episode is keyed to the policy that drove it (path and weights hash),
the settings it ran with (a run), the recording it left (dataset root and episode
index) and the operator's decision about it (a tag). Analytics reads `EpisodeRow`,
the flat join of all four, which is also the CSV layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Literal, get_args

from core.errors import RegistryError

Inference = Literal["sync", "rtc"]
EpisodeStatus = Literal["recorded", "aborted", "discarded"]
Outcome = Literal["success", "failure", "untagged"]

INFERENCE_MODES: tuple[str, ...] = get_args(Inference)
EPISODE_STATUSES: tuple[str, ...] = get_args(EpisodeStatus)
OUTCOMES: tuple[str, ...] = get_args(Outcome)
SCORE_RANGE: tuple[int, int] = (0, 100)


@dataclass(frozen=True)
class PolicyRecord:
    """A checkpoint folder as it was when first deployed: a new weights file is a new policy."""

    id: int
    path: str
    weights_sha256: str
    policy_type: str  # lerobot's `type` in config.json ("act", "smolvla"), "" when unknown
    registered_at: datetime


@dataclass(frozen=True)
class RunRecord:
    """The settings a series of episodes ran with; changing any of them starts a new run."""

    id: int
    policy_id: int
    station: str
    dataset_root: str  # the recording LeRobotDataset the run writes its episodes to
    task: str
    task_override: bool  # the operator deployed a task sentence that differs from the training ones
    chunk_size: int
    n_action_steps: int
    inference: Inference
    rtc_execution_horizon: int | None  # steps; None with sync inference
    camera_mapping: dict[str, str]  # robot camera name -> device (index or /dev path)
    rename_map: dict[str, str]  # robot observation key -> policy observation key
    fps: float
    training_profile: str | None  # the training profile the checks compared against
    started_at: datetime
    computer: str  # host name of the computer the station ran on; it holds the dataset unless it is shared
    dataset_shared: str | None  # the dataset's path inside the lab's shared recordings folder, None when not in it


@dataclass(frozen=True)
class EpisodeRecord:
    """One episode of a run and where its frames are; `aborted` episodes keep the frames recorded so far."""

    id: int
    run_id: int
    dataset_root: str
    episode_index: int
    status: EpisodeStatus
    abort_reason: str | None
    start_pose_distance_deg: float | None
    start_pose_deltas_deg: dict[str, float]  # motor -> current minus training start pose (gripper in 0..100 units)
    length_frames: int
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class Tag:
    """The operator's decision about an episode; "untagged" is a decision too (the operator chose not to judge)."""

    episode_id: int
    outcome: Outcome
    score: int | None  # 0..100, optional
    note: str
    tagged_at: datetime


@dataclass(frozen=True)
class Event:
    """Something the operator or the station did that analytics must be able to see later."""

    id: int
    station: str
    kind: str  # e.g. "camera_mapping_changed", "task_override", "emergency_stop"
    payload: dict
    run_id: int | None
    logged_at: datetime


@dataclass(frozen=True)
class PlanRecord:
    """An evaluation plan: conditions (each a label and the run settings it deploys, as JSON) run in a fixed order."""

    id: int
    station: str
    name: str
    episodes_per_condition: int
    conditions: list  # [{"label": "A", "settings": {...RunSettings as JSON}}, ...]
    created_at: datetime
    ended_at: datetime | None  # None while the plan is open


@dataclass(frozen=True)
class PlanSlot:
    """One place in a plan's order: which condition runs there, its pair (twins share a seed) and its episode."""

    plan_id: int
    position: int
    condition: int  # index into the plan's conditions
    pair: int  # the slots of one pair share their start: the object placement drawn from `seed`, the start pose
    seed: int
    episode_id: int | None  # the kept episode that filled the slot; None while it is still to run


@dataclass(frozen=True)
class EpisodeRow:
    """One episode with its run settings, policy and latest tag: a row of `episode_rows()` and of the CSV.

    `outcome` is None while the episode awaits a decision; "untagged" means the operator decided not to judge.
    """

    episode_id: int
    dataset_root: str
    episode_index: int
    status: EpisodeStatus
    abort_reason: str | None
    start_pose_distance_deg: float | None
    start_pose_deltas_deg: dict[str, float]
    length_frames: int
    started_at: datetime
    ended_at: datetime | None
    run_id: int
    station: str
    computer: str
    dataset_shared: str | None
    task: str
    task_override: bool
    chunk_size: int
    n_action_steps: int
    inference: Inference
    rtc_execution_horizon: int | None
    fps: float
    camera_mapping: dict[str, str]
    rename_map: dict[str, str]
    training_profile: str | None
    policy_id: int
    policy_path: str
    policy_type: str
    weights_sha256: str
    outcome: Outcome | None
    score: int | None
    note: str | None
    tagged_at: datetime | None


@dataclass(frozen=True)
class QueuedWrite:
    """A station's write kept in its local spool while the database cannot be reached; `id` is None until it is
    flushed (on the next write or `Registry.flush`)."""

    table: str  # "episodes" or "events"
    queued_at: datetime
    id: None = None


@dataclass(frozen=True)
class SpoolState:
    """What a station shows its operator: writes queued locally, since when, and why."""

    queued: int
    oldest_at: datetime | None
    last_error: str  # the database failure that made the last write queue, passwords masked
    rejected: int  # flushed writes the database refused (kept in rejected.jsonl beside the spool)


def policy_name(path: str) -> str:
    """`outputs/train/act_brain/checkpoints/005000/pretrained_model` -> `act_brain@005000`; else the folder name."""
    parts = PurePath(path).parts
    if len(parts) >= 4 and parts[-1] == "pretrained_model" and parts[-3] == "checkpoints":
        return f"{parts[-4]}@{parts[-2]}"
    return PurePath(path).name


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise RegistryError(f"{name} must be one of {', '.join(choices)}; got {value!r}.")


def check_score(score: int | None) -> None:
    low, high = SCORE_RANGE
    if score is None:
        return
    if isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
        raise RegistryError(f"A score must be a whole number from {low} to {high}, or left empty; got {score!r}.")
