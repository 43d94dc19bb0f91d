"""Training-set hygiene: episodes worth a look before training, each flag naming its episodes and why.

Computed from the columns the profile already reads (state, action, timestamps, per episode)
plus each video file's container index (no frame is decoded). Flags: unreadable video, frozen
actions or state, exact duplicates, episodes far outside the others (robust z-score of length,
start pose and motion range), a gripper whose measured position stops following its commands,
and too few episodes for the policy type. A check that cannot run on this dataset is listed as skipped,
with the reason, never counted as passed. Thresholds and their reasons: docs/training-profile.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.so101 import GRIPPER, motor_of
from core.training.dataset_files import DatasetFiles
from core.training.frame_stats import episode_starts

FROZEN_SHARE = 0.5  # an episode whose values repeat exactly in at least this share of its frames is frozen
OUTLIER_Z = 3.5  # robust z-score (Iglewicz and Hoaglin's modified z) beyond which an episode is far outside
OUTLIER_MIN_EPISODES = 8  # fewer episodes give no stable median and MAD
GRIPPER_MIN_CORRELATION = 0.5  # commands and measured positions that move less alike than this disagree
GRIPPER_MAX_LAG_FRAMES = 15  # the measured gripper may trail its command by up to half a second at 30 fps
GRIPPER_LAG_STEP = 3  # the signals are thinned to every 3rd frame: lags 0, 3, ..., 15 (a smooth gripper barely changes)
GRIPPER_MIN_TRAVEL = 5.0  # a gripper command that moves less than this in an episode says nothing
MIN_EPISODES = {"act": 50, "smolvla": 50, "diffusion": 100, "pi0": 50}  # docs/training-profile.md#hygiene
DEFAULT_MIN_EPISODES = 50
CHECKS = (  # the check ids, in the order they run; each is also the id of the flag it raises
    "video_unreadable",
    "frozen_action",
    "frozen_state",
    "duplicate",
    "outlier",
    "gripper_divergence",
    "too_few_episodes",
)


@dataclass(frozen=True)
class EpisodeFlag:
    """One hygiene finding: what is wrong, with which episodes, and its numbers."""

    id: str  # video_unreadable, frozen_action, frozen_state, duplicate, outlier, gripper_divergence, too_few_episodes
    severity: str  # "warning" (likely to hurt training) or "info" (worth a look)
    episodes: tuple[int, ...]
    reason: str
    numbers: Mapping[str, Any] = field(default_factory=dict)  # JSON-ready


@dataclass(frozen=True)
class SkippedHygieneCheck:
    """A check that could not run on this dataset, and why (its silence is not a pass)."""

    id: str
    reason: str


@dataclass(frozen=True)
class Hygiene:
    flags: tuple[EpisodeFlag, ...]
    checked: tuple[str, ...] = ()  # the ids of CHECKS that ran (a profile saved before they were recorded: ())
    skipped: tuple[SkippedHygieneCheck, ...] = ()

    @property
    def coverage_known(self) -> bool:
        """Whether the profile recorded which checks ran (profiles saved by older versions did not)."""
        return bool(self.checked or self.skipped)

    @property
    def flagged_episodes(self) -> tuple[int, ...]:
        return tuple(sorted({episode for flag in self.flags for episode in flag.episodes}))

    def reasons_for(self, episode: int) -> list[str]:
        return [flag.id for flag in self.flags if episode in flag.episodes]


@dataclass(frozen=True)
class EpisodeColumns:
    """The frames of every episode, grouped by episode as lerobot writes them."""

    episode_index: np.ndarray
    state: np.ndarray
    action: np.ndarray
    timestamp: np.ndarray | None
    state_names: tuple[str, ...]
    action_names: tuple[str, ...]


def check_hygiene(
    dataset: DatasetFiles, columns: EpisodeColumns, policy_type: str | None = None, degree: float = 1.0
) -> Hygiene:
    """Every hygiene flag of a dataset; `degree`: one degree in the dataset's joint units (for the gripper travel)."""
    starts = episode_starts(columns.episode_index)
    ends = np.append(starts[1:], len(columns.episode_index)).astype(np.int64)
    indices = columns.episode_index[starts].astype(np.int64) if len(starts) else np.zeros(0, dtype=np.int64)
    checks = {
        "video_unreadable": lambda: _video_flags(dataset),
        "frozen_action": lambda: _frozen_flags(columns.action, starts, ends, indices, "action"),
        "frozen_state": lambda: _frozen_flags(columns.state, starts, ends, indices, "state"),
        "duplicate": lambda: _duplicate_flags(columns, starts, ends, indices),
        "outlier": lambda: _outlier_flags(columns, starts, ends, indices),
        "gripper_divergence": lambda: _gripper_flags(columns, starts, ends, indices),
        "too_few_episodes": lambda: _too_few(len(indices), policy_type),
    }
    flags: list[EpisodeFlag] = []
    checked: list[str] = []
    skipped: list[SkippedHygieneCheck] = []
    for check_id in CHECKS:
        try:
            flags += checks[check_id]()
        except _CannotCheck as reason:
            skipped.append(SkippedHygieneCheck(check_id, str(reason)))
        else:
            checked.append(check_id)
    return Hygiene(tuple(flags), tuple(checked), tuple(skipped))


class _CannotCheck(Exception):
    """Raised by a check that cannot run on this dataset; its message is the reason."""


def _video_flags(dataset: DatasetFiles) -> list[EpisodeFlag]:
    """Episodes whose camera frames cannot be read: absent files, LFS pointers, or beyond the file's duration."""
    import av

    if not dataset.video_keys:
        raise _CannotCheck(
            "no video camera in the dataset"
            + (" (its images are stored in the data files)" if dataset.image_keys else "")
        )
    flags = []
    table = dataset.episode_table
    for key in dataset.video_keys:
        if key in dataset.unreadable_cameras:
            flags.append(
                EpisodeFlag(
                    "video_unreadable",
                    "warning",
                    tuple(int(i) for i in table.index),
                    f"{key}: {dataset.unreadable_cameras[key]}",
                    {"camera": key},
                )
            )
            continue
        paths = dataset.video_paths(key)
        durations = {path: _container_duration_s(av, path) for path in dict.fromkeys(paths)}
        available = np.array([np.nan if durations[path] is None else durations[path] for path in paths])
        ends_s = np.asarray(table.video_to_s[key], dtype=np.float64)
        bad = np.flatnonzero(np.isnan(available) | (ends_s > available + 1.5 / dataset.fps))
        if len(bad):
            why = {
                int(table.index[i]): f"{paths[i].name} cannot be opened"
                if np.isnan(available[i])
                else f"ends at {ends_s[i]:.2f} s, {paths[i].name} holds {available[i]:.2f} s"
                for i in bad
            }
            shown = "; ".join(f"episode {e}: {reason}" for e, reason in list(why.items())[:3])
            flags.append(
                EpisodeFlag("video_unreadable", "warning", tuple(why), f"{key}: {shown}", {"camera": key, "why": why})
            )
    return flags


def _container_duration_s(av, path) -> float | None:
    """The video's duration from the container index, no frame decoded; None when the file cannot be opened.

    The mp4 movie header (`moov/mvhd`) holds it: reading that box takes microseconds, where PyAV's
    open probes the streams (about 6 ms a file at the lab's scale). Other containers go through PyAV.
    """
    duration = _mp4_duration_s(path)
    if duration is not None:
        return duration
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            if stream.duration is not None and stream.time_base is not None:
                return float(stream.duration * stream.time_base)
            return float(container.duration) / 1e6 if container.duration else None
    except (av.error.FFmpegError, OSError, IndexError):
        return None


def _mp4_duration_s(path) -> float | None:
    """`mvhd` duration / timescale of an ISO-BMFF file (the top-level boxes, then moov's); None if not found."""
    try:
        with open(path, "rb") as file:
            moov = _find_box(file, b"moov", file.seek(0, 2))
            if moov is None:
                return None
            mvhd = _find_box(file, b"mvhd", moov[1], start=moov[0])
            if mvhd is None:
                return None
            file.seek(mvhd[0])
            header = file.read(32)
    except OSError:
        return None
    if len(header) < 20:
        return None
    if header[0] == 1:  # version 1: 64-bit times
        timescale, duration = int.from_bytes(header[20:24], "big"), int.from_bytes(header[24:32], "big")
    else:
        timescale, duration = int.from_bytes(header[12:16], "big"), int.from_bytes(header[16:20], "big")
    return duration / timescale if timescale else None


def _find_box(file, kind: bytes, end: int, start: int = 0) -> tuple[int, int] | None:
    """(payload start, payload end) of the first box of `kind` between `start` and `end`."""
    position = start
    while position + 8 <= end:
        file.seek(position)
        head = file.read(16)
        size, name = int.from_bytes(head[:4], "big"), head[4:8]
        header = 8
        if size == 1:
            size, header = int.from_bytes(head[8:16], "big"), 16
        elif size == 0:
            size = end - position
        if size < header:
            return None
        if name == kind:
            return position + header, position + size
        position += size
    return None


def _frozen_flags(
    values: np.ndarray, starts: np.ndarray, ends: np.ndarray, indices: np.ndarray, side: str
) -> list[EpisodeFlag]:
    if not (ends - starts > 1).any():
        raise _CannotCheck("no episode has two frames to compare")
    repeats = np.zeros(len(values), dtype=bool)  # frame i repeats frame i-1 of the same episode exactly
    repeats[1:] = _rows_repeat(values)
    repeats[starts] = False
    share = np.add.reduceat(repeats.astype(np.int64), starts) / np.maximum(ends - starts - 1, 1)
    frozen = np.flatnonzero((share >= FROZEN_SHARE) & (ends - starts > 1))
    if not len(frozen):
        return []
    shares = {int(indices[i]): round(float(share[i]), 3) for i in frozen}
    shown = ", ".join(f"{e} ({s:.0%})" for e, s in list(shares.items())[:5])
    return [
        EpisodeFlag(
            f"frozen_{side}",
            "warning",
            tuple(shares),
            f"the {side} repeats exactly from frame to frame in at least {FROZEN_SHARE:.0%} of the episode: {shown}. "
            "A stalled teleoperator, a lost bus or a recording that kept running after the motion ended.",
            {"frozen_share": shares},
        )
    ]


def _rows_repeat(values: np.ndarray) -> np.ndarray:
    """row i+1 == row i, bit for bit: rows compared as a few 64-bit words (4x faster than comparing floats)."""
    rows = np.ascontiguousarray(values)
    if rows.dtype.itemsize * rows.shape[1] % 8 == 0:
        words = rows.view(np.int64)
        return np.logical_and.reduce([words[1:, i] == words[:-1, i] for i in range(words.shape[1])])
    return np.logical_and.reduce([rows[1:, i] == rows[:-1, i] for i in range(rows.shape[1])])


def _duplicate_flags(
    columns: EpisodeColumns, starts: np.ndarray, ends: np.ndarray, indices: np.ndarray
) -> list[EpisodeFlag]:
    # Candidates first: episodes of equal length, first and last frames; only those are hashed (hashing every
    # episode took 5 ms at the lab's scale).
    last = ends - 1
    signature = np.hstack(
        [
            (ends - starts)[:, None],
            columns.state[starts],
            columns.state[last],
            columns.action[starts],
            columns.action[last],
        ]
    ).astype(np.float64)
    _, group, counts = np.unique(signature, axis=0, return_inverse=True, return_counts=True)
    seen: dict[str, int] = {}
    duplicates: dict[int, int] = {}
    for i in np.flatnonzero(counts[group] > 1):
        start, end, episode = int(starts[i]), int(ends[i]), int(indices[i])
        digest = hashlib.sha256()
        digest.update(np.ascontiguousarray(columns.state[start:end]).tobytes())
        digest.update(np.ascontiguousarray(columns.action[start:end]).tobytes())
        if columns.timestamp is not None:
            digest.update(np.ascontiguousarray(columns.timestamp[start:end]).tobytes())
        key = digest.hexdigest()
        if key in seen:
            duplicates[episode] = seen[key]
        else:
            seen[key] = episode
    if not duplicates:
        return []
    shown = ", ".join(f"{e} = {original}" for e, original in list(duplicates.items())[:5])
    return [
        EpisodeFlag(
            "duplicate",
            "warning",
            tuple(duplicates),
            f"exact copies of earlier episodes (same state, action and timestamps): {shown}. A merge that added "
            "a dataset twice does this; the copies weigh those demonstrations double.",
            {"copy_of": duplicates},
        )
    ]


def _outlier_flags(
    columns: EpisodeColumns, starts: np.ndarray, ends: np.ndarray, indices: np.ndarray
) -> list[EpisodeFlag]:
    if len(starts) < OUTLIER_MIN_EPISODES:
        raise _CannotCheck(
            f"{len(starts)} episodes; a robust z-score needs at least {OUTLIER_MIN_EPISODES} for a stable median"
        )
    arm = [i for i, name in enumerate(columns.action_names) if motor_of(name) != GRIPPER]
    state_arm = [i for i, name in enumerate(columns.state_names) if motor_of(name) != GRIPPER]
    start_pose = columns.state[starts][:, state_arm]
    motion = np.maximum.reduceat(columns.action[:, arm], starts) - np.minimum.reduceat(columns.action[:, arm], starts)
    measures = {
        "length (frames)": (ends - starts).astype(np.float64),
        "start pose distance": np.linalg.norm(start_pose - np.median(start_pose, axis=0), axis=1),
        "motion range": motion.sum(axis=1).astype(np.float64),
    }
    far: dict[int, list[str]] = {}
    numbers: dict[str, dict[int, float]] = {}
    for measure, values in measures.items():
        z = _modified_z(values)
        for i in np.flatnonzero(np.abs(z) > OUTLIER_Z):
            episode = int(indices[i])
            far.setdefault(episode, []).append(f"{measure} {values[i]:.1f} (median {np.median(values):.1f})")
            numbers.setdefault(measure, {})[episode] = round(float(values[i]), 3)
    if not far:
        return []
    shown = "; ".join(f"episode {e}: {', '.join(why)}" for e, why in list(far.items())[:5])
    return [
        EpisodeFlag(
            "outlier",
            "info",
            tuple(far),
            f"far outside the other episodes (robust z-score beyond {OUTLIER_Z}): {shown}. Worth a look: a failed "
            "demonstration, another setup, or a rare but wanted case.",
            numbers,
        )
    ]


def _modified_z(values: np.ndarray) -> np.ndarray:
    median = np.median(values)
    mad = np.median(np.abs(values - median))
    if mad == 0:
        return np.zeros_like(values)  # most episodes identical: no spread to measure against
    return 0.6745 * (values - median) / mad


def _gripper_flags(
    columns: EpisodeColumns, starts: np.ndarray, ends: np.ndarray, indices: np.ndarray
) -> list[EpisodeFlag]:
    action_column = _gripper(columns.action_names)
    state_column = _gripper(columns.state_names)
    if action_column is None or state_column is None:
        side = "action" if action_column is None else "observation.state"
        raise _CannotCheck(f"no gripper joint in the {side} names")
    command = columns.action[:, action_column]
    measured = columns.state[:, state_column]
    travel = np.maximum.reduceat(command, starts) - np.minimum.reduceat(command, starts)
    if not (travel >= GRIPPER_MIN_TRAVEL).any():
        raise _CannotCheck(
            f"the gripper command moves less than {GRIPPER_MIN_TRAVEL:g} in every episode: nothing to follow"
        )
    # every GRIPPER_LAG_STEP-th frame (of the whole table: episode k keeps the samples between its bounds), so each
    # lag tried is one step of the thinned signal; slicing costs nothing, a per-episode selection cost 6 ms
    step = GRIPPER_LAG_STEP
    thin_starts, thin_ends = -(-starts // step), -(-ends // step)
    correlation, lag = _best_lagged_correlations(
        command[::step], measured[::step], thin_starts, thin_ends, GRIPPER_MAX_LAG_FRAMES // step
    )
    lag = lag * GRIPPER_LAG_STEP
    poor = np.flatnonzero((travel >= GRIPPER_MIN_TRAVEL) & (correlation < GRIPPER_MIN_CORRELATION))
    correlations = {int(indices[i]): round(float(correlation[i]), 3) for i in poor}
    lags = {int(indices[i]): int(lag[i]) for i in poor}
    if not correlations:
        return []
    shown = ", ".join(f"{e} (r = {r:.2f})" for e, r in list(correlations.items())[:5])
    return [
        EpisodeFlag(
            "gripper_divergence",
            "warning",
            tuple(correlations),
            f"the measured gripper does not follow its commands (best correlation under {GRIPPER_MIN_CORRELATION} "
            f"within {GRIPPER_MAX_LAG_FRAMES} frames of lag): {shown}. A calibration or gripper fault while recording.",
            {"correlation": correlations, "lag_frames": lags},
        )
    ]


def _gripper(names: Sequence[str]) -> int | None:
    return next((i for i, name in enumerate(names) if motor_of(name) == GRIPPER), None)


def _best_lagged_correlations(
    command: np.ndarray, measured: np.ndarray, starts: np.ndarray, ends: np.ndarray, max_lag: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per episode, the highest Pearson correlation of the measured gripper against its command delayed by 0..max_lag
    samples, and that lag (NaN for an episode with fewer than 3 samples at every lag). Sums come from cumulative
    sums, so each lag costs a few passes over the frames, not a Python loop over episodes (a loop took 37 ms on 100
    episodes)."""

    command, measured = command.astype(np.float64), measured.astype(np.float64)

    def cumulative(values: np.ndarray) -> np.ndarray:
        return np.concatenate(([0.0], np.cumsum(values)))

    ca, caa, cb, cbb = cumulative(command), cumulative(command**2), cumulative(measured), cumulative(measured**2)
    best = np.full(len(starts), np.nan)  # stays NaN for an episode too short to correlate
    best_lag = np.zeros(len(starts), dtype=np.int64)
    for lag in range(max_lag + 1):
        pairs = ends - starts - lag  # (command[t], measured[t + lag]) for t in [start, end - lag)
        valid = pairs >= 3
        last = np.where(valid, ends - lag, starts)
        first_b = np.where(valid, starts + lag, ends)
        n = np.maximum(pairs, 1).astype(np.float64)
        sa, saa = ca[last] - ca[starts], caa[last] - caa[starts]
        sb, sbb = cb[ends] - cb[first_b], cbb[ends] - cbb[first_b]
        cab = cumulative(command[: len(command) - lag] * measured[lag:])
        sab = cab[np.minimum(last, len(cab) - 1)] - cab[np.minimum(starts, len(cab) - 1)]
        variance = (saa - sa**2 / n) * (sbb - sb**2 / n)
        with np.errstate(invalid="ignore", divide="ignore"):
            correlation = np.where(valid & (variance > 1e-12), (sab - sa * sb / n) / np.sqrt(variance), 0.0)
        better = valid & (np.isnan(best) | (correlation > best))
        best, best_lag = np.where(better, correlation, best), np.where(better, lag, best_lag)
    return best, best_lag


def _too_few(episodes: int, policy_type: str | None) -> list[EpisodeFlag]:
    needed = MIN_EPISODES.get(policy_type or "", DEFAULT_MIN_EPISODES)
    if episodes >= needed:
        return []
    policy = f"a {policy_type} policy" if policy_type else "a policy"
    return [
        EpisodeFlag(
            "too_few_episodes",
            "warning",
            (),
            f"{episodes} episodes; {policy} is usually trained on at least {needed} "
            "(docs/training-profile.md#hygiene). "
            "Fewer demonstrations cover fewer object positions: expect the policy to memorise them.",
            {"episodes": episodes, "recommended": needed},
        )
    ]
