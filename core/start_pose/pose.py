"""The start pose on a station: the GO / NO-GO verdict of its follower and the target of the move home.

The judgement itself (tolerances, deltas, distance) is the start-pose rule, `core.rules.start_pose`;
the units check is `core.rules.units`. Both refuse rather than judge with nonsense deltas.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from core.errors import PreflightError
from core.rules.start_pose import JointTarget, StartPoseVerdict, judge_start_pose, start_pose_targets
from core.rules.units import check_joint_units, station_joint_units

if TYPE_CHECKING:
    from core.training.profile import TrainingProfile


class ArmReading(Protocol):
    """What the start-pose rules read of a station (its `StationState` has these fields)."""

    name: str
    use_degrees: bool
    follower_pos: dict[str, float]
    leader_pos: dict[str, float] | None
    joint_lower: dict[str, float]
    joint_upper: dict[str, float]


class StartPoseError(PreflightError):
    """The start pose cannot be judged or reached on this station (none in training, other joints, out of range)."""


def station_targets(profile: TrainingProfile, overrides: Mapping[str, float] | None = None) -> tuple[JointTarget, ...]:
    """The profile's start-pose targets, refusing a profile that has none."""
    if not profile.start_pose:
        raise StartPoseError(
            f"The training profile '{profile.name}' has no start pose (no observation.state in its dataset), so there "
            "is nothing to compare the arm with. Select a dataset recorded with joint states."
        )
    return start_pose_targets(profile.start_pose, overrides, profile.joint_units)


def verdict_for_station(
    state: ArmReading,
    profile: TrainingProfile,
    overrides: Mapping[str, float] | None = None,
    start_pose: Mapping[str, float] | None = None,
) -> StartPoseVerdict:
    """The GO / NO-GO verdict of a station's follower against the training start pose.

    The one function the Home reset and Deploy pages both use, so they never disagree.
    `overrides` are the operator's tolerances (`core.start_pose.tolerances`). Raises
    `JointUnitsMismatch` instead of judging with nonsense deltas, and `StartPoseError` when
    the station and the training data share no joint. `start_pose` (motor -> position) replaces
    the training mean as the target, with the same tolerances: an evaluation twin's start.
    """
    caveat = check_joint_units(profile.joint_units, state.use_degrees, state.name)
    targets = station_targets(profile, overrides)
    if start_pose:
        targets = tuple(replace(t, mean=start_pose[t.motor]) if t.motor in start_pose else t for t in targets)
    _require_shared_joints(targets, state)
    closed_below = profile.gripper.closed_threshold.value if profile.gripper else None
    units = profile.joint_units if profile.joint_units.proven else station_joint_units(state.use_degrees)
    target_name = "twin" if start_pose else "training"
    verdict = judge_start_pose(targets, state.follower_pos, state.leader_pos, closed_below, units, target_name)
    return replace(verdict, units_note=caveat)


def move_home_target(state: ArmReading, profile: TrainingProfile) -> dict[str, float]:
    """The training mean start pose (motor -> position) for the automatic move home.

    Refused when the units differ (as for the verdict) or when a joint's training mean lies
    outside the station's joint limits: the safety gate would clip the move short of the
    target and the verdict could never turn GO, which would only hide a calibration problem.
    """
    check_joint_units(profile.joint_units, state.use_degrees, state.name)
    targets = station_targets(profile)
    _require_shared_joints(targets, state)
    pose = {t.motor: t.mean for t in targets if t.motor in state.follower_pos}
    outside = [
        f"{motor} {value:.1f} (range {state.joint_lower[motor]:.1f}..{state.joint_upper[motor]:.1f})"
        for motor, value in pose.items()
        if motor in state.joint_lower and not state.joint_lower[motor] <= value <= state.joint_upper[motor]
    ]
    if outside:
        raise StartPoseError(
            f"The training start pose lies outside the joint limits of station '{state.name}': {'; '.join(outside)}. "
            "The arm's calibration differs from the one used for training: recalibrate the arm, or move it with the "
            "leader."
        )
    return pose


def _require_shared_joints(targets: Sequence[JointTarget], state: ArmReading) -> None:
    if not any(t.motor in state.follower_pos for t in targets):
        raise StartPoseError(
            f"The training start pose names the joints {', '.join(t.motor for t in targets)}, but station "
            f"'{state.name}' reports {', '.join(state.follower_pos) or 'none'}: select the training data of this robot."
        )
