"""Per-episode and per-dataset metrics of a training set or a deployment recording, all episodes at once.

Numpy over three parquet columns (`episode_index`, `observation.state`, `action`), no loop over episodes; the
training profile is the reference (`Reference`: the gripper-closed threshold and the start pose). What each
number is and why: docs/pages/analytics.md#metrics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import DatasetError
from core.rules.start_pose import JointTarget, start_pose_distance, start_pose_targets
from core.so101 import GRIPPER, motor_of
from core.training import frame_stats
from core.training.dataset_files import DatasetFiles, open_dataset
from core.training.frame_stats import FIXED_CLOSED_THRESHOLD, RANGE_UNITS_LIMIT, JointSpread, JointUnits, JumpStats
from core.training.profile import ACTION, STATE, TrainingProfile
from core.training.recording_setup import read_recording_setup

GRIPPER_HISTOGRAM_BINS = 50  # over the gripper's 0..100 range: 2 units per bin
GRIPPER_RANGE = (0.0, 100.0)
JUMP_QUANTILE = 95


@dataclass(frozen=True)
class Reference:
    """What every dataset is measured against: the training profile's closed threshold and start pose."""

    closed_threshold: float  # gripper value <= this counts as closed
    start_pose: tuple[JointTarget, ...]  # per motor: training mean of the first state, and its tolerance

    @classmethod
    def of_profile(cls, profile: TrainingProfile) -> Reference:
        threshold = profile.gripper.closed_threshold.value if profile.gripper else FIXED_CLOSED_THRESHOLD
        return cls(
            closed_threshold=threshold,
            start_pose=start_pose_targets(profile.start_pose, units=profile.joint_units),
        )


@dataclass(frozen=True)
class DatasetMetrics:
    """One dataset (training set or deployment recording): its episodes table and pooled numbers."""

    root: str
    name: str  # the folder name, used as the dataset's label in figures
    fps: float
    robot_type: str | None
    tasks: tuple[str, ...]  # the task strings its episodes use, exactly as stored
    action_names: tuple[str, ...]
    state_names: tuple[str, ...]
    total_frames: int
    episodes: pd.DataFrame  # one row per episode; columns in `episode_columns(action_names)`
    closed_fraction_action: float | None  # None when no gripper joint is named
    closed_fraction_state: float | None
    mean_gripper_action: float | None
    action_jumps: tuple[JumpStats, ...]  # pooled over every frame pair inside an episode
    gripper_action_histogram: tuple[int, ...]  # GRIPPER_HISTOGRAM_BINS counts over GRIPPER_RANGE (outside: end bins)
    joint_units: JointUnits
    beyond_range_fraction: Mapping[str, float]  # arm motor -> share of its state and action values beyond ±100
    arm_spread: Mapping[str, JointSpread]  # arm motor -> mean, std, min, max of its state and action values

    @property
    def arm_motors(self) -> tuple[str, ...]:
        return tuple(motor_of(name) for name in self.action_names if motor_of(name) != GRIPPER)

    def jump(self, motor: str) -> JumpStats:
        return next(stats for stats in self.action_jumps if motor_of(stats.joint) == motor)

    @property
    def episode_lengths(self) -> dict[int, int]:
        """Episode index -> frames."""
        return dict(zip(self.episodes["episode_index"].astype(int), self.episodes["length_frames"].astype(int)))


def episode_columns(action_names: Sequence[str]) -> list[str]:
    """The columns of `DatasetMetrics.episodes`, jump columns named `jump_p95.<motor>` and `jump_max.<motor>`."""
    motors = [motor_of(name) for name in action_names]
    return [
        "dataset",
        "dataset_root",
        "episode_index",
        "length_frames",
        "task",
        "closed_fraction_action",
        "closed_fraction_state",
        "mean_gripper_action",
        "most_closed_gripper_action",
        "start_pose_distance_deg",
        "start_gripper",
        "start_pose_off",
        "start_off_joints",
        *(f"jump_p95.{motor}" for motor in motors),
        *(f"jump_max.{motor}" for motor in motors),
        *MOTION_COLUMNS,
        *(f"tracking_error.{motor}" for motor in motors),
    ]


MOTION_COLUMNS = ("speed", "jerk", "duration_s", "action_range")  # per episode, over the arm joints' actions


def dataset_metrics(root: str | Path, reference: Reference) -> DatasetMetrics:
    """Open a v3.0 dataset folder and compute its metrics against the training reference."""
    dataset = open_dataset(root)
    for key in (STATE, ACTION):
        if key not in dataset.features:
            raise DatasetError(
                f"The dataset at {dataset.root} has no '{key}' feature (features: {', '.join(dataset.features)}). "
                "Analytics compares robot recordings: give a dataset recorded from the arm."
            )
    columns = dataset.read_columns(["episode_index", STATE, ACTION])
    episode_index = columns["episode_index"]
    if len(episode_index) == 0:
        raise DatasetError(
            f"The dataset at {dataset.root} has no frames. Record at least one episode, then look again."
        )
    if np.any(np.diff(episode_index) < 0):  # keep each episode's frames together, in recorded order
        order = np.argsort(episode_index, kind="stable")
        columns = {key: values[order] for key, values in columns.items()}
        episode_index = columns["episode_index"]
    return _metrics(dataset, episode_index, columns[STATE], columns[ACTION], reference)


def _metrics(
    dataset: DatasetFiles, episode_index: np.ndarray, state: np.ndarray, action: np.ndarray, reference: Reference
) -> DatasetMetrics:
    state_names, action_names = dataset.feature_names(STATE), dataset.feature_names(ACTION)
    starts = frame_stats.episode_starts(episode_index)
    lengths = np.diff(np.append(starts, len(episode_index)))
    indices = episode_index[starts].astype(np.int64)
    tasks_of = {episode.index: "; ".join(episode.tasks) for episode in dataset.episodes}

    table: dict[str, object] = {
        "dataset": dataset.root.name,
        "dataset_root": str(dataset.root),
        "episode_index": indices,
        "length_frames": lengths,
        "task": [tasks_of.get(int(i), "") for i in indices],
    }
    gripper_action, gripper_state = _column(action, action_names, GRIPPER), _column(state, state_names, GRIPPER)
    threshold = reference.closed_threshold
    if gripper_action is not None and gripper_state is not None:
        closed_action = gripper_action <= threshold
        table["closed_fraction_action"] = np.add.reduceat(closed_action, starts, dtype=np.int64) / lengths
        table["closed_fraction_state"] = np.add.reduceat(gripper_state <= threshold, starts, dtype=np.int64) / lengths
        table["mean_gripper_action"] = np.add.reduceat(gripper_action, starts, dtype=np.float64) / lengths
        table["most_closed_gripper_action"] = np.minimum.reduceat(gripper_action, starts).astype(np.float64)
        table["start_gripper"] = gripper_state[starts].astype(np.float64)
    else:
        for name in (
            "closed_fraction_action",
            "closed_fraction_state",
            "mean_gripper_action",
            "most_closed_gripper_action",
            "start_gripper",
        ):
            table[name] = np.full(len(starts), np.nan)
    table.update(_start_pose_columns(state[starts], state_names, reference.start_pose))

    jumps = frame_stats.action_jumps(action, episode_index)
    motors = [motor_of(name) for name in action_names]
    p95 = _grouped_percentile(jumps, lengths - 1, JUMP_QUANTILE)
    peak = _grouped_max(jumps, lengths - 1)
    for i, motor in enumerate(motors):
        table[f"jump_p95.{motor}"] = p95[:, i]
        table[f"jump_max.{motor}"] = peak[:, i]

    table.update(_motion_columns(action, action_names, episode_index, starts, lengths, jumps, dataset.fps))
    table.update(_tracking_columns(state, state_names, action, action_names, starts, lengths))

    arm = _arm_values(state, state_names, action, action_names)
    arm_names = [name for names in (state_names, action_names) for name in names if motor_of(name) != GRIPPER]
    return DatasetMetrics(
        root=str(dataset.root),
        name=dataset.root.name,
        fps=dataset.fps,
        robot_type=dataset.robot_type,
        tasks=tuple(dict.fromkeys(task for episode in dataset.episodes for task in episode.tasks)),
        action_names=action_names,
        state_names=state_names,
        total_frames=int(len(episode_index)),
        episodes=pd.DataFrame(table, columns=episode_columns(action_names)),
        closed_fraction_action=None
        if gripper_action is None
        else frame_stats.closed_fraction(gripper_action, threshold),
        closed_fraction_state=None if gripper_state is None else frame_stats.closed_fraction(gripper_state, threshold),
        mean_gripper_action=None if gripper_action is None else float(gripper_action.mean(dtype=np.float64)),
        action_jumps=frame_stats.jump_stats(jumps, action_names, consume=True),  # its last use
        gripper_action_histogram=_histogram(gripper_action),
        joint_units=frame_stats.guess_joint_units(
            np.concatenate(list(arm.values())) if arm else np.zeros(0),
            dataset.robot_type,
            arm_names,
            read_recording_setup(dataset.root),
        ),
        beyond_range_fraction={
            motor: float(np.mean(np.abs(values) > RANGE_UNITS_LIMIT)) for motor, values in arm.items()
        },
        arm_spread={motor: frame_stats.spread(values[:, None], [motor])[0] for motor, values in arm.items()},
    )


def _motion_columns(
    action: np.ndarray,
    names: Sequence[str],
    episode_index: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    jumps: np.ndarray,
    fps: float,
) -> dict[str, np.ndarray]:
    """Per episode: mean speed (summed |a(t) - a(t-1)| of the arm joints, per frame), mean jerk (summed third
    difference), duration and action range (summed max - min): what the drift rule compares (core.rules.drift)."""
    arm = [i for i, name in enumerate(names) if motor_of(name) != GRIPPER]
    pairs = np.maximum(lengths - 1, 1)
    pair_starts = np.maximum(starts - np.arange(len(starts)), 0)  # jumps drop one row per episode
    speed = (
        np.add.reduceat(jumps[:, arm].sum(axis=1, dtype=np.float64), pair_starts) / pairs
        if len(jumps) and arm
        else np.zeros(len(starts))
    )
    jerk = np.full(len(starts), np.nan)
    if len(action) >= 4 and arm:
        third = np.abs(np.diff(action[:, arm].astype(np.float64), n=3, axis=0)).sum(axis=1)
        inside = episode_index[3:] == episode_index[:-3]  # all four frames in one episode
        owner = np.searchsorted(starts, np.arange(len(third)), side="right") - 1
        counts = np.bincount(owner[inside], minlength=len(starts))
        sums = np.bincount(owner[inside], weights=third[inside], minlength=len(starts))
        jerk = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    spans = (
        (np.maximum.reduceat(action[:, arm], starts) - np.minimum.reduceat(action[:, arm], starts)).sum(axis=1)
        if arm
        else np.zeros(len(starts))
    )
    return {"speed": speed, "jerk": jerk, "duration_s": lengths / fps, "action_range": spans.astype(np.float64)}


def _tracking_columns(
    state: np.ndarray,
    state_names: Sequence[str],
    action: np.ndarray,
    action_names: Sequence[str],
    starts: np.ndarray,
    lengths: np.ndarray,
) -> dict[str, np.ndarray]:
    """Per episode and motor named on both sides: the median |command - measured position| (core.rules.divergence).
    The median, not the mean: an arm that starts away from the first command lags for its first frames, which is
    the start pose's finding, not a joint that stopped following."""
    state_column = {motor_of(name): i for i, name in enumerate(state_names)}
    columns = {}
    for i, name in enumerate(action_names):
        motor = motor_of(name)
        if motor in state_column:
            error = np.abs(action[:, i].astype(np.float64) - state[:, state_column[motor]])
            columns[f"tracking_error.{motor}"] = _grouped_percentile(error[:, None], lengths, 50)[:, 0]
        else:
            columns[f"tracking_error.{motor}"] = np.full(len(starts), np.nan)
    return columns


def _start_pose_columns(
    first_states: np.ndarray, state_names: Sequence[str], targets: Sequence[JointTarget]
) -> dict[str, object]:
    """Start-pose distance (the shared definition in core.start_pose.pose) and the joints outside tolerance."""
    motors = [motor_of(name) for name in state_names]
    by_motor = {target.motor: target for target in targets}
    # one call per episode of the app-wide definition: hundreds of tiny dicts, well under a millisecond
    training_pose = {target.motor: target.mean for target in targets}
    distances = [
        start_pose_distance(training_pose, dict(zip(motors, map(float, row))))
        for row in np.asarray(first_states, dtype=np.float64)
    ]
    known = [i for i, motor in enumerate(motors) if motor in by_motor]
    means = np.array([by_motor[motors[i]].mean for i in known])
    tolerances = np.array([by_motor[motors[i]].tolerance for i in known])
    outside = np.abs(first_states[:, known].astype(np.float64) - means) > tolerances
    names = np.array([motors[i] for i in known], dtype=object)
    return {
        "start_pose_distance_deg": np.array([np.nan if d is None else d for d in distances], dtype=np.float64),
        "start_pose_off": outside.any(axis=1),
        "start_off_joints": [", ".join(names[row]) for row in outside],
    }


def _grouped_percentile(values: np.ndarray, counts: np.ndarray, q: float) -> np.ndarray:
    """numpy's "linear" percentile of each group of rows, for every column at once: (groups, columns).

    Groups are consecutive runs of `counts` rows. Adding `group x span` (a whole number larger
    than the values' range) moves each group into its own band, so one column sort orders every
    group in place; subtracting the offset again gives the values back exactly (float32 data
    needs far fewer than float64's 53 bits). Groups with no rows get 0, as in `frame_stats.jump_stats`.
    """
    values = np.asarray(values)
    result = np.zeros((len(counts), values.shape[1] if values.ndim == 2 else 0))
    if values.size == 0:
        return result
    offset = (np.repeat(np.arange(len(counts)), counts) * (np.ceil(float(values.max()) - float(values.min())) + 1.0))[
        :, None
    ]
    ordered = values.astype(np.float64) + offset
    ordered.sort(axis=0)
    ordered -= offset
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    filled = counts > 0
    position = q / 100 * (counts[filled] - 1)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, counts[filled] - 1)
    low, high = ordered[first[filled] + below], ordered[first[filled] + above]
    result[filled] = low + (high - low) * (position - below)[:, None]
    return result


def _grouped_max(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    values = np.asarray(values)
    result = np.zeros((len(counts), values.shape[1] if values.ndim == 2 else 0))
    filled = counts > 0
    if values.size:
        first = np.concatenate(([0], np.cumsum(counts)[:-1]))
        result[filled] = np.maximum.reduceat(values, first[filled], axis=0)
    return result


def _histogram(gripper: np.ndarray | None) -> tuple[int, ...]:
    if gripper is None:
        return (0,) * GRIPPER_HISTOGRAM_BINS
    low, high = GRIPPER_RANGE
    bins = np.clip(
        ((gripper - low) * (GRIPPER_HISTOGRAM_BINS / (high - low))).astype(np.int64), 0, GRIPPER_HISTOGRAM_BINS - 1
    )
    return tuple(int(count) for count in np.bincount(bins, minlength=GRIPPER_HISTOGRAM_BINS))


def histogram_edges() -> np.ndarray:
    """The GRIPPER_HISTOGRAM_BINS + 1 bin edges of `gripper_action_histogram`."""
    return np.linspace(*GRIPPER_RANGE, GRIPPER_HISTOGRAM_BINS + 1)


def _column(values: np.ndarray, names: Sequence[str], motor: str) -> np.ndarray | None:
    index = next((i for i, name in enumerate(names) if motor_of(name) == motor), None)
    return None if index is None else values[:, index]


def _arm_values(
    state: np.ndarray, state_names: Sequence[str], action: np.ndarray, action_names: Sequence[str]
) -> dict[str, np.ndarray]:
    """Arm motor -> its state and action values pooled (a motor named on one side only: that side's values)."""
    parts: dict[str, list[np.ndarray]] = {}
    for values, names in ((state, state_names), (action, action_names)):
        for i, name in enumerate(names):
            if motor_of(name) != GRIPPER and i < values.shape[1]:
                parts.setdefault(motor_of(name), []).append(values[:, i])
    return {motor: np.concatenate(columns) for motor, columns in parts.items()}


def episode_frames(root: str | Path, episode_index: int) -> dict[str, np.ndarray]:
    """One episode's state and action (frames, dim) and timestamps, for the drill-down plot."""
    dataset = open_dataset(root, check_videos=False)
    episode = next((e for e in dataset.episodes if e.index == episode_index), None)
    if episode is None:
        raise DatasetError(f"The dataset at {dataset.root} has no episode {episode_index}. Pick one of its episodes.")
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(episode.data_path, columns=["episode_index", "timestamp", STATE, ACTION])
    table = table.filter(pc.equal(table.column("episode_index"), episode_index))
    return {
        "timestamp": table.column("timestamp").to_numpy(),
        STATE: np.stack(table.column(STATE).to_numpy(zero_copy_only=False)),
        ACTION: np.stack(table.column(ACTION).to_numpy(zero_copy_only=False)),
    }


def dataset_fingerprint(root: str | Path) -> str:
    """Changes whenever a recording gains an episode or is rewritten: a cache key for the page (file stats only)."""
    root = Path(root)
    paths = [
        root / "meta" / "info.json",
        *sorted((root / "meta" / "episodes").glob("*/*.parquet")),
        *sorted((root / "data").glob("*/*.parquet")),
    ]
    stamps = []
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            continue
        stamps.append(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(stamps)
