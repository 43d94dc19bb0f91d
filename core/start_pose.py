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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping, Sequence

from core.frame_stats import JointSpread
from core.so101 import GRIPPER, motor_of

TOLERANCE_SIGMAS = 3.0
ARM_TOLERANCE_FLOOR = 5.0  # degrees
GRIPPER_TOLERANCE_FLOOR = 10.0  # 0..100 units


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
            direction = "decrease" if delta > 0 else "increase"
            outside.append(
                (abs(delta) / target.tolerance, f"{target.motor}: {direction} by {abs(delta):.1f}{unit} "
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
