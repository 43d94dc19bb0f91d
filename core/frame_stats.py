"""Statistics over per-frame arrays (actions, states), shared by the training profile and Analytics.

Pure numpy. Every function takes the frames of one or many episodes plus their
`episode_index` column, so the same code summarises a training set, one deployment run or
one episode. Differences are only ever taken within an episode, never across a boundary.

Gripper closed threshold (SO-101 gripper: 0..100, 0 = closed). The rule, named in the profile:
- "otsu": when the gripper values of state and action together are clearly two-moded (Otsu's
  between-class variance is at least `BIMODAL_MIN_SEPARABILITY` of the total variance), the
  threshold is Otsu's split of their histogram: the middle of the widest cut that separates
  "closed" from "open" best. It adapts to grippers that stop on an object (state 5..20) while
  the leader says 0.
- "fixed": otherwise (the gripper hardly moves, or moves without two clear positions), a fixed
  `FIXED_CLOSED_THRESHOLD` on the 0..100 scale.
A frame counts as closed when its gripper value is <= the threshold.

Joint units (lerobot records no unit): with `use_degrees=True` arm joints are degrees around the
calibrated middle; with `use_degrees=False` they are clipped to -100..100. An arm joint beyond
±100 therefore proves degrees. Within ±100 both are possible ("ambiguous"): degrees of a
compact motion look just like range units, and we do not pretend to know.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

BIMODAL_MIN_SEPARABILITY = 0.8
FIXED_CLOSED_THRESHOLD = 10.0
RANGE_UNITS_LIMIT = 100.0
OTSU_BINS = 256


@dataclass(frozen=True)
class JointSpread:
    """Mean, population std, min and max of one joint over some frames, in the dataset's units."""

    joint: str
    mean: float
    std: float
    min: float
    max: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "JointSpread":
        return cls(**data)


@dataclass(frozen=True)
class JumpStats:
    """Percentiles of |a(t) - a(t-1)| of one joint within episodes, in the dataset's units per frame."""

    joint: str
    p50: float
    p95: float
    max: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "JumpStats":
        return cls(**data)


@dataclass(frozen=True)
class ClosedThreshold:
    value: float
    rule: str  # "otsu" or "fixed", see the module docstring
    separability: float  # Otsu's between-class / total variance, 0..1 (1 = two sharp positions)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ClosedThreshold":
        return cls(**data)


@dataclass(frozen=True)
class JointUnits:
    units: str  # "degrees", "ambiguous" or "unknown"
    max_abs_arm_value: float | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "JointUnits":
        return cls(**data)


def episode_starts(episode_index: np.ndarray) -> np.ndarray:
    """Row numbers where an episode begins (frames are grouped by episode, as lerobot writes them)."""
    episode_index = np.asarray(episode_index)
    if episode_index.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(([0], np.flatnonzero(episode_index[1:] != episode_index[:-1]) + 1))


def first_frames(values: np.ndarray, episode_index: np.ndarray) -> np.ndarray:
    """The first row of each episode: (episodes, dim)."""
    return np.asarray(values)[episode_starts(episode_index)]


def action_jumps(actions: np.ndarray, episode_index: np.ndarray) -> np.ndarray:
    """|a(t) - a(t-1)| per joint for consecutive frames of the same episode: (pairs, dim)."""
    actions = np.asarray(actions, dtype=np.float64)
    episode_index = np.asarray(episode_index)
    same_episode = episode_index[1:] == episode_index[:-1]
    return np.abs(np.diff(actions, axis=0))[same_episode]


def jump_stats(jumps: np.ndarray, names: Sequence[str]) -> tuple[JumpStats, ...]:
    """p50, p95 (numpy's linear percentile) and max of each joint's jumps; zeros if there are none."""
    if len(jumps) == 0:
        return tuple(JumpStats(joint=name, p50=0.0, p95=0.0, max=0.0) for name in names)
    p50, p95 = np.percentile(jumps, [50, 95], axis=0)
    peak = np.max(jumps, axis=0)
    return tuple(
        JumpStats(joint=name, p50=float(p50[i]), p95=float(p95[i]), max=float(peak[i])) for i, name in enumerate(names)
    )


def spread(values: np.ndarray, names: Sequence[str]) -> tuple[JointSpread, ...]:
    """Mean, population std, min and max per column (e.g. over each episode's first state: the start pose)."""
    values = np.asarray(values, dtype=np.float64)
    return tuple(
        JointSpread(
            joint=name,
            mean=float(values[:, i].mean()),
            std=float(values[:, i].std()),
            min=float(values[:, i].min()),
            max=float(values[:, i].max()),
        )
        for i, name in enumerate(names)
    )


def gripper_closed_threshold(values: np.ndarray) -> ClosedThreshold:
    """The closed/open split of gripper values (state and action pooled); rule in the module docstring."""
    values = np.asarray(values, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    if high - low <= 1e-9:
        return ClosedThreshold(value=FIXED_CLOSED_THRESHOLD, rule="fixed", separability=0.0)
    counts, edges = np.histogram(values, bins=OTSU_BINS, range=(low, high))
    centers = (edges[:-1] + edges[1:]) / 2
    weights = counts / counts.sum()
    below_weight = np.cumsum(weights)[:-1]  # class "closed" = bins 0..k, cut at edges[k+1]
    below_sum = np.cumsum(weights * centers)[:-1]
    total_mean = float((weights * centers).sum())
    total_variance = float((weights * (centers - total_mean) ** 2).sum())
    above_weight = 1.0 - below_weight
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (total_mean * below_weight - below_sum) ** 2 / (below_weight * above_weight)
    between = np.where((below_weight > 0) & (above_weight > 0), between, 0.0)
    best = float(between.max())
    separability = best / total_variance if total_variance > 0 else 0.0
    if separability < BIMODAL_MIN_SEPARABILITY:
        return ClosedThreshold(value=FIXED_CLOSED_THRESHOLD, rule="fixed", separability=separability)
    # every cut of the empty gap between the two modes scores the same: take the gap's middle
    plateau = np.flatnonzero(between >= best * (1 - 1e-9))
    cut = (edges[plateau[0] + 1] + edges[plateau[-1] + 1]) / 2
    return ClosedThreshold(value=float(cut), rule="otsu", separability=separability)


def closed_fraction(gripper: np.ndarray, threshold: float) -> float:
    """Fraction of frames whose gripper value is <= threshold (closed); 0 for no frames."""
    gripper = np.asarray(gripper)
    return float(np.mean(gripper <= threshold)) if gripper.size else 0.0


def closed_fraction_per_episode(gripper: np.ndarray, threshold: float, episode_index: np.ndarray) -> dict[int, float]:
    """Closed fraction of each episode, keyed by episode index (for deployment runs)."""
    episode_index = np.asarray(episode_index)
    episodes, inverse = np.unique(episode_index, return_inverse=True)
    closed = np.bincount(inverse, weights=(np.asarray(gripper) <= threshold).astype(np.float64))
    frames = np.bincount(inverse)
    return {int(episode): float(closed[i] / frames[i]) for i, episode in enumerate(episodes)}


def guess_joint_units(arm_values: np.ndarray, robot_type: str | None = None) -> JointUnits:
    """Degrees if any arm joint goes beyond ±100, else ambiguous (see the module docstring)."""
    arm_values = np.asarray(arm_values, dtype=np.float64)
    if arm_values.size == 0:
        return JointUnits(units="unknown", max_abs_arm_value=None, reason="no arm joint columns were found")
    peak = float(np.nanmax(np.abs(arm_values)))
    if peak > RANGE_UNITS_LIMIT:
        return JointUnits(
            units="degrees",
            max_abs_arm_value=peak,
            reason=f"an arm joint reaches {peak:.1f}, beyond the ±{RANGE_UNITS_LIMIT:.0f} of range units",
        )
    reason = f"all arm joints stay within ±{RANGE_UNITS_LIMIT:.0f} (max |value| {peak:.1f}): degrees and range units both fit"
    if robot_type == "so101_follower":
        reason += "; robot_type so101_follower (lerobot <= 0.4.3) suggests -100..100 range units"
    return JointUnits(units="ambiguous", max_abs_arm_value=peak, reason=reason)
