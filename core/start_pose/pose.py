"""How far the arm is from the training start pose, joint by joint, and whether to go.

The training start pose is the per-joint mean of each training episode's first
`observation.state`. A joint is inside tolerance when |now - mean| <= its tolerance:

    tolerance = max(TOLERANCE_SIGMAS x training std, floor)

The multiple of the spread accepts what the lab's own resets produced; the floor keeps a
tightly reset dataset (std near 0) from demanding sub-degree precision that neither a
leader arm nor servo backlash can give: 5 degrees for arm joints, 10 units for the
0..100 gripper. The operator may override any tolerance.

`start_pose_distance` (recorded with every deployed episode and plotted by Analytics) is
the largest absolute deviation over the arm joints, in the joints' units (degrees): one
number that says "the worst joint was this far off". The gripper is judged separately
(open or closed), because its 0..100 scale is not an angle.

Joint units (`check_joint_units`). lerobot records no unit: an SO-101 station reports arm joints
in degrees (`use_degrees=True`) or in -100..100 range units, and the training profile can only
*guess* the dataset's units (`core.training.frame_stats.guess_joint_units`). Deltas between two
different units are nonsense, but so is a refusal that blocks a healthy lab, so:
- training "degrees" (an arm joint went beyond ±100, which range units cannot) against a
  range-units station is proven different: refused with `JointUnitsMismatch`;
- training "ambiguous" (every arm joint within ±100: a compact task in degrees looks exactly
  like range units) or "unknown" is judged as it is, with a caveat (`units_note`) saying how
  to confirm; it never blocks, because nothing proves a mismatch;
- the gripper is 0..100 in both modes and never part of the units question.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal, Mapping, Protocol, Sequence

from core.errors import PreflightError
from core.training.frame_stats import JointSpread, JointUnits
from core.so101 import GRIPPER, motor_of

if TYPE_CHECKING:
    from core.training.profile import TrainingProfile

TOLERANCE_SIGMAS = 3.0
ARM_TOLERANCE_FLOOR = 5.0  # degrees
GRIPPER_TOLERANCE_FLOOR = 10.0  # 0..100 units


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


class JointUnitsMismatch(StartPoseError):
    """The training data and the station provably report arm joints in different units."""


@dataclass(frozen=True)
class JointTarget:
    """One joint of the training start pose and how far from it is acceptable."""

    motor: str
    mean: float
    std: float
    tolerance: float


@dataclass(frozen=True)
class JointDelta:
    motor: str
    target: float
    tolerance: float
    follower: float | None
    leader: float | None
    delta: float | None  # follower - target
    inside: bool


@dataclass(frozen=True)
class StartPoseVerdict:
    go: bool
    joints: tuple[JointDelta, ...]
    moves: tuple[str, ...]  # what to do for each joint outside tolerance, worst first
    gripper_note: str  # set when the gripper is open but trained closed, or the other way round
    distance: float | None  # largest arm-joint deviation, see the module docstring
    units_note: str = ""  # set when the training units cannot be proven to match the station's

    @property
    def label(self) -> Literal["GO", "NO-GO"]:
        return "GO" if self.go else "NO-GO"


def start_pose_targets(
    start_pose: Sequence[JointSpread], overrides: Mapping[str, float] | None = None
) -> tuple[JointTarget, ...]:
    """Targets from a profile's start pose; `overrides` maps motor -> tolerance set by the operator."""
    targets = []
    for spread in start_pose:
        motor = motor_of(spread.joint)
        floor = GRIPPER_TOLERANCE_FLOOR if motor == GRIPPER else ARM_TOLERANCE_FLOOR
        tolerance = max(TOLERANCE_SIGMAS * spread.std, floor)
        if overrides and motor in overrides:
            tolerance = float(overrides[motor])
        targets.append(JointTarget(motor, spread.mean, spread.std, round(tolerance, 3)))
    return tuple(targets)


def start_pose_distance(start_pose: Mapping[str, float], follower: Mapping[str, float]) -> float | None:
    """Largest |follower - training mean| over the arm joints; `start_pose` maps motor -> training mean."""
    arm = [abs(follower[motor] - mean) for motor, mean in start_pose.items() if motor != GRIPPER and motor in follower]
    return round(max(arm), 3) if arm else None


def start_pose_deltas(start_pose: Mapping[str, float], follower: Mapping[str, float]) -> dict[str, float]:
    """follower - training mean per motor (the gripper in its 0..100 units), for the registry."""
    return {motor: round(follower[motor] - mean, 3) for motor, mean in start_pose.items() if motor in follower}


def judge_start_pose(
    targets: Sequence[JointTarget],
    follower: Mapping[str, float],
    leader: Mapping[str, float] | None = None,
    gripper_closed_below: float | None = None,
) -> StartPoseVerdict:
    """GO when every joint of the follower is inside tolerance; otherwise say which to move and which way.

    `follower` and `leader` map motor names to positions in the robot's units.
    `gripper_closed_below` is the training profile's closed threshold (0..100 scale).
    """
    joints: list[JointDelta] = []
    outside: list[tuple[float, str]] = []
    for target in targets:
        now = follower.get(target.motor)
        delta = None if now is None else now - target.mean
        inside = delta is not None and abs(delta) <= target.tolerance
        joints.append(
            JointDelta(target.motor, target.mean, target.tolerance, now, None if leader is None else leader.get(target.motor), delta, inside)
        )
        if delta is None:
            outside.append((float("inf"), f"{target.motor}: no reading"))
        elif not inside:
            unit = "" if target.motor == GRIPPER else "°"
            direction = _direction(target.motor, delta)
            outside.append(
                (abs(delta) / target.tolerance, f"{target.motor}: {direction} {abs(delta):.1f}{unit} "
                 f"(now {now:.1f}{unit}, training {target.mean:.1f}{unit} ± {target.tolerance:.1f})")
            )
    outside.sort(reverse=True)
    return StartPoseVerdict(
        go=not outside,
        joints=tuple(joints),
        moves=tuple(move for _, move in outside),
        gripper_note=_gripper_note(targets, follower, gripper_closed_below),
        distance=start_pose_distance({t.motor: t.mean for t in targets}, follower),
    )


def _direction(motor: str, delta: float) -> str:
    """Which way to move: the gripper in its own words (0 = closed), arm joints by sign."""
    if motor == GRIPPER:
        return "close by" if delta > 0 else "open by"
    return "decrease by" if delta > 0 else "increase by"


def _gripper_note(targets: Sequence[JointTarget], follower: Mapping[str, float], closed_below: float | None) -> str:
    target = next((t for t in targets if t.motor == GRIPPER), None)
    if target is None or closed_below is None or GRIPPER not in follower:
        return ""
    trained_closed = target.mean <= closed_below
    now_closed = follower[GRIPPER] <= closed_below
    if trained_closed == now_closed:
        return ""
    trained, now = ("closed", "open") if trained_closed else ("open", "closed")
    return f"The gripper is {now} ({follower[GRIPPER]:.1f}) but training episodes started with it {trained} ({target.mean:.1f})."


def check_joint_units(training: JointUnits, station_use_degrees: bool, station_name: str) -> str:
    """'' when the units match, a caveat when they cannot be proven to; raises when they provably differ.

    The rule is in the module docstring.
    """
    station = "degrees" if station_use_degrees else "-100..100 range units"
    if training.units == "degrees":
        if station_use_degrees:
            return ""
        raise JointUnitsMismatch(
            f"The training data is in degrees ({training.reason}), but station '{station_name}' reports its arm "
            "joints in -100..100 range units (use_degrees=false). Deltas between the two would be nonsense, so the "
            "start pose is not judged and the arm is not moved home. Set \"use_degrees\": true in the station's "
            "config.json and restart the station, or select training data recorded in range units."
        )
    if training.units == "ambiguous":
        return (
            f"Joint units not proven: {training.reason}. Station '{station_name}' reports {station}; the deltas "
            "assume the training data used the same. Check the dataset's recording setup (use_degrees) if the "
            "deltas look wrong."
        )
    return (
        f"Joint units unknown ({training.reason}). Station '{station_name}' reports {station}; the deltas assume the "
        "training data used the same."
    )


def station_targets(profile: "TrainingProfile", overrides: Mapping[str, float] | None = None) -> tuple[JointTarget, ...]:
    """The profile's start-pose targets, refusing a profile that has none."""
    if not profile.start_pose:
        raise StartPoseError(
            f"The training profile '{profile.name}' has no start pose (no observation.state in its dataset), so there "
            "is nothing to compare the arm with. Select a dataset recorded with joint states."
        )
    return start_pose_targets(profile.start_pose, overrides)


def verdict_for_station(
    state: "ArmReading", profile: "TrainingProfile", overrides: Mapping[str, float] | None = None
) -> StartPoseVerdict:
    """The GO / NO-GO verdict of a station's follower against the training start pose.

    The one function the Home reset and Deploy pages both use, so they never disagree.
    `overrides` are the operator's tolerances (`core.start_pose.tolerances`). Raises
    `JointUnitsMismatch` instead of judging with nonsense deltas, and `StartPoseError` when
    the station and the training data share no joint.
    """
    caveat = check_joint_units(profile.joint_units, state.use_degrees, state.name)
    targets = station_targets(profile, overrides)
    _require_shared_joints(targets, state)
    closed_below = profile.gripper.closed_threshold.value if profile.gripper else None
    verdict = judge_start_pose(targets, state.follower_pos, state.leader_pos, closed_below)
    return replace(verdict, units_note=caveat)


def move_home_target(state: "ArmReading", profile: "TrainingProfile") -> dict[str, float]:
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
            "The arm's calibration differs from the one used for training: recalibrate the arm, or move it with the leader."
        )
    return pose


def _require_shared_joints(targets: Sequence[JointTarget], state: "ArmReading") -> None:
    if not any(t.motor in state.follower_pos for t in targets):
        raise StartPoseError(
            f"The training start pose names the joints {', '.join(t.motor for t in targets)}, but station "
            f"'{state.name}' reports {', '.join(state.follower_pos) or 'none'}: select the training data of this robot."
        )
