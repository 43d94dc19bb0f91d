"""The start pose (cause: start_pose): how far the arm is from the training start pose, and whether to go.

The training start pose is the per-joint mean of each training episode's first `observation.state`.
A joint is inside tolerance when |now - mean| <= max(TOLERANCE_SIGMAS x training std, floor), with a
floor of 5 degrees for arm joints (in the joint units: 0.087 rad for radians) and 10 for the 0..100 gripper;
the operator may override any tolerance. Values and sentences are in the joint units (`JointUnits`).
`start_pose_distance` is the largest |now - mean| over the arm joints. Before a run one pose is judged
(`judge_station_start`); after a run, at least START_POSE_SHARE of the episodes (and one) must start
off before it is a finding (`judge_recorded_starts`). Reasoning: docs/pages/home-reset.md.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from core.rules.finding import Evidence, Finding
from core.so101 import GRIPPER, motor_of
from core.training.frame_stats import DEGREES, JointSpread, JointUnits

FINDING_ID = "start_pose"
TITLE = "Episodes start far from the training start pose"
TOLERANCE_SIGMAS = 3.0
ARM_TOLERANCE_FLOOR = 5.0  # degrees, scaled into the joint units (JointUnits.per_degree)
GRIPPER_TOLERANCE_FLOOR = 10.0  # 0..100 units
START_POSE_SHARE = 0.2  # of the recorded episodes, at least one
CRITICAL_SHARE = 0.5


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
    joint_units: JointUnits = DEGREES  # of every value above

    @property
    def label(self) -> Literal["GO", "NO-GO"]:
        return "GO" if self.go else "NO-GO"


def start_pose_targets(
    start_pose: Sequence[JointSpread], overrides: Mapping[str, float] | None = None, units: JointUnits = DEGREES
) -> tuple[JointTarget, ...]:
    """Targets from a profile's start pose (in `units`); `overrides` maps motor -> tolerance set by the operator."""
    targets = []
    for spread in start_pose:
        motor = motor_of(spread.joint)
        floor = GRIPPER_TOLERANCE_FLOOR if motor == GRIPPER else ARM_TOLERANCE_FLOOR * units.per_degree
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
    units: JointUnits = DEGREES,
    target_name: str = "training",
) -> StartPoseVerdict:
    """GO when every joint of the follower is inside tolerance; otherwise say which to move and which way
    (`target_name` names the target in each move: "training", or an evaluation twin's).

    `follower` and `leader` map motor names to positions in the robot's units (`units` for the arm joints).
    `gripper_closed_below` is the training profile's closed threshold (0..100 scale).
    """
    joints: list[JointDelta] = []
    outside: list[tuple[float, str]] = []
    for target in targets:
        now = follower.get(target.motor)
        delta = None if now is None else now - target.mean
        inside = delta is not None and abs(delta) <= target.tolerance
        joints.append(
            JointDelta(
                target.motor,
                target.mean,
                target.tolerance,
                now,
                None if leader is None else leader.get(target.motor),
                delta,
                inside,
            )
        )
        if delta is None:
            outside.append((float("inf"), f"{target.motor}: no reading"))
        elif not inside:
            show = (lambda v, unit=True: f"{v:.1f}") if target.motor == GRIPPER else units.format
            direction = _direction(target.motor, delta)
            outside.append(
                (
                    abs(delta) / target.tolerance,
                    f"{target.motor}: {direction} {show(abs(delta))} "
                    f"(now {show(now)}, {target_name} {show(target.mean)} ± {show(target.tolerance, unit=False)})",
                )
            )
    outside.sort(reverse=True)
    return StartPoseVerdict(
        go=not outside,
        joints=tuple(joints),
        moves=tuple(move for _, move in outside),
        gripper_note=_gripper_note(targets, follower, gripper_closed_below),
        distance=start_pose_distance({t.motor: t.mean for t in targets}, follower),
        joint_units=units,
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
    return (
        f"The gripper is {now} ({follower[GRIPPER]:.1f}) but training episodes started with it {trained} "
        f"({target.mean:.1f})."
    )


def judge_station_start(verdict: StartPoseVerdict) -> Finding:
    """Before a run: GO is ok; NO-GO is critical, with the joints to move and which way."""
    units = verdict.joint_units
    distance = (
        f"largest arm deviation {units.format(verdict.distance)}"
        if verdict.distance is not None
        else "no arm joints compared"
    )
    numbers = {
        "go": verdict.go,
        "joint_units": units.units,
        "distance_deg": None if verdict.distance is None else round(verdict.distance / units.per_degree, 3),
        "deltas": {joint.motor: joint.delta for joint in verdict.joints},
        "tolerance": {joint.motor: joint.tolerance for joint in verdict.joints},
    }
    if verdict.go:
        sentence = f"GO: every joint inside tolerance ({distance}). {verdict.units_note}".strip()
        return Finding(FINDING_ID, "ok", "Start pose is GO", Evidence(sentence, numbers))
    note = f" {verdict.gripper_note}" if verdict.gripper_note else ""
    return Finding(
        FINDING_ID,
        "critical",
        "Start pose is NO-GO",
        Evidence(f"NO-GO ({distance}): {'; '.join(verdict.moves)}.{note}", numbers),
        "Move the arm home on the Home reset page (automatically or with the leader arm).",
    )


def judge_recorded_starts(
    episodes: pd.DataFrame, targets: Sequence[JointTarget], units: JointUnits = DEGREES
) -> Finding:
    """After a run: `episodes` has the columns start_pose_off, start_off_joints, start_pose_distance_deg (in the
    joint `units`, despite its name), start_gripper. The numbers named `_deg` are in degrees."""
    off = episodes["start_pose_off"].to_numpy(dtype=bool)
    needed = max(1, math.ceil(START_POSE_SHARE * len(episodes)))
    if off.sum() < needed:
        return Finding(
            FINDING_ID,
            "ok",
            TITLE,
            Evidence(f"{int(off.sum())} of {len(episodes)} episodes started off the start pose."),
        )
    joints = Counter(j for text in episodes.loc[off, "start_off_joints"] for j in text.split(", ") if j)
    by_motor = {target.motor: target for target in targets}
    started_gripper = float(np.nanmedian(episodes["start_gripper"]))
    moves = [
        f"the gripper to {by_motor[motor].mean:.1f} (deployment started at {started_gripper:.1f})"
        if motor == GRIPPER
        else f"{motor} to {units.format(by_motor[motor].mean)} (± {units.format(by_motor[motor].tolerance, False)})"
        for motor, _ in joints.most_common()
    ]
    distance = episodes["start_pose_distance_deg"].to_numpy(dtype=float)
    share = off.sum() / len(episodes)
    sentence = (
        f"{int(off.sum())} of {len(episodes)} episodes started outside the training start pose "
        f"(median arm distance {units.format(float(np.nanmedian(distance)))}, max "
        f"{units.format(float(np.nanmax(distance)))}; "
        f"joints off: {', '.join(f'{j} x{n}' for j, n in joints.most_common())})."
    )
    return Finding(
        id=FINDING_ID,
        severity="critical" if share >= CRITICAL_SHARE else "warning",
        title=TITLE,
        evidence=Evidence(
            sentence=sentence,
            numbers={
                "episodes_off": int(off.sum()),
                "episodes": int(len(episodes)),
                "joint_units": units.units,
                "median_distance_deg": round(float(np.nanmedian(distance)) / units.per_degree, 3),
                "max_distance_deg": round(float(np.nanmax(distance)) / units.per_degree, 3),
                "joints_off": dict(joints),
                "deployment_start_gripper_median": None if math.isnan(started_gripper) else round(started_gripper, 3),
                "training_start": {motor: round(t.mean, 3) for motor, t in by_motor.items()},
                "tolerance": {motor: t.tolerance for motor, t in by_motor.items()},
            },
        ),
        fix="Before each episode bring the arm to the training start pose (Home reset page): move "
        + "; ".join(moves)
        + ".",
    )
