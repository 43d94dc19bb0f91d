"""The automatic move to the training start pose, for an arm without a leader.

A minimum-jerk joint-space trajectory, timed so that no joint exceeds `max_speed_deg_s`
(peak speed of a minimum-jerk profile is 1.875 x distance / duration). The arm joints move
first with the gripper held where it is, so nothing held is dropped and the jaws never
close on something while the arm sweeps; then the gripper moves alone. The station's
safety gate still clips every step to the joint limits and `max_relative_target`.
The motion is tick-based (one step per control tick): if the loop slows, the arm slows.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import StationError
from core.so101 import GRIPPER

MIN_JERK_PEAK = 1.875
SETTLE_TOLERANCE = 1.0  # joint units: close enough to call the move finished
SETTLE_TIMEOUT_S = 3.0  # servos that cannot reach (an obstacle, a sagging joint) end the move anyway
DEFAULT_MAX_SPEED_DEG_S = 30.0  # slow enough to watch and stop, fast enough to cross the workspace in a few seconds
MAX_SPEED_DEG_S = 120.0  # the fastest move home accepted (the safety gate's step limit still applies)
GRIPPER_SPEED = 50.0  # 0..100 units per second


def min_jerk(fraction: float) -> float:
    """0 -> 0, 1 -> 1, zero velocity and acceleration at both ends."""
    f = min(max(fraction, 0.0), 1.0)
    return f**3 * (10 - 15 * f + 6 * f**2)


@dataclass(frozen=True)
class MoveHomePlan:
    start: dict[str, float]
    target: dict[str, float]
    arm_duration_s: float
    gripper_duration_s: float

    @property
    def duration_s(self) -> float:
        return self.arm_duration_s + self.gripper_duration_s


def plan_move_home(
    start: dict[str, float], target: dict[str, float], max_speed_deg_s: float, gripper_speed: float
) -> MoveHomePlan:
    arm = [abs(target[m] - start[m]) for m in target if m != GRIPPER and m in start]
    arm_duration = MIN_JERK_PEAK * max(arm, default=0.0) / max_speed_deg_s
    gripper_distance = abs(target.get(GRIPPER, 0.0) - start.get(GRIPPER, 0.0)) if GRIPPER in target else 0.0
    return MoveHomePlan(dict(start), dict(target), arm_duration, MIN_JERK_PEAK * gripper_distance / gripper_speed)


class MoveHome:
    """A station motion (see `core.station.station.Motion`) that ends at `target`."""

    mode = "move_home"

    def __init__(
        self,
        target: dict[str, float],
        fps: float,
        max_speed_deg_s: float = DEFAULT_MAX_SPEED_DEG_S,
        gripper_speed: float = GRIPPER_SPEED,
    ) -> None:
        if not 0 < max_speed_deg_s <= MAX_SPEED_DEG_S:
            raise StationError(
                f"A move home needs a speed above 0 and at most {MAX_SPEED_DEG_S:.0f}°/s; got {max_speed_deg_s}."
            )
        self.target = dict(target)
        self.fps = fps
        self.max_speed_deg_s = max_speed_deg_s
        self.gripper_speed = gripper_speed
        self.plan: MoveHomePlan | None = None
        self._tick = 0
        self._remaining = float("nan")
        self._previous: dict[str, float] | None = None
        self.max_arm_step = 0.0  # largest change between two commanded targets, arm joints (joint units)
        self.max_gripper_step = 0.0

    def step(self, follower: dict[str, float], leader: dict[str, float] | None) -> dict[str, float] | None:
        if self.plan is None:
            start = {motor: follower[motor] for motor in self.target}
            self.plan = plan_move_home(start, self.target, self.max_speed_deg_s, self.gripper_speed)
        t = self._tick / self.fps
        self._tick += 1
        self._remaining = max(abs(follower[m] - self.target[m]) for m in self.target)
        plan = self.plan
        if t >= plan.duration_s:
            settled = self._remaining <= SETTLE_TOLERANCE
            return None if settled or t >= plan.duration_s + SETTLE_TIMEOUT_S else self._commanded(dict(self.target))
        arm_fraction = min_jerk(t / plan.arm_duration_s) if plan.arm_duration_s > 0 else 1.0
        gripper_fraction = _gripper_fraction(t - plan.arm_duration_s, plan.gripper_duration_s)
        return self._commanded(
            {
                motor: plan.start[motor]
                + (gripper_fraction if motor == GRIPPER else arm_fraction) * (self.target[motor] - plan.start[motor])
                for motor in self.target
            }
        )

    def _commanded(self, target: dict[str, float]) -> dict[str, float]:
        """Track the largest step between consecutive targets: the speed limit, observable from outside."""
        previous = self._previous or self.plan.start
        for motor, value in target.items():
            step = abs(value - previous[motor])
            if motor == GRIPPER:
                self.max_gripper_step = max(self.max_gripper_step, step)
            else:
                self.max_arm_step = max(self.max_arm_step, step)
        self._previous = target
        return target

    def progress(self) -> dict:
        duration = self.plan.duration_s if self.plan else 0.0
        elapsed = self._tick / self.fps
        return {
            "target": self.target,
            "elapsed_s": round(elapsed, 2),
            "duration_s": round(duration, 2),
            "fraction": round(min(elapsed / duration, 1.0), 3) if duration > 0 else 1.0,
            "largest_remaining": round(self._remaining, 2),
            "max_speed_deg_s": self.max_speed_deg_s,
            "max_arm_step": round(self.max_arm_step, 4),
            "max_gripper_step": round(self.max_gripper_step, 4),
        }


def _gripper_fraction(since_arm_done_s: float, duration_s: float) -> float:
    if since_arm_done_s < 0:
        return 0.0
    return min_jerk(since_arm_done_s / duration_s) if duration_s > 0 else 1.0
