"""The last gate before any command reaches an arm: joint limits, a maximum step, no NaN, the emergency stop.

Every action the station sends (leader mirroring, the move home, a policy's output) goes through
`GuardedArm.send`, which clamps it with `SafetyGate.clip` and refuses it while the emergency stop is latched.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from core.errors import PreflightError, StationError
from core.so101 import motor_of, pos_key, steps_to_degrees

LATCHED = "Emergency stop is latched: release it before moving the arm."


class UnsafeActionError(PreflightError):
    """An action that must not be sent at all (NaN or infinite values)."""


@dataclass(frozen=True)
class JointLimits:
    """Per-motor position range in the robot's own joint units (lerobot's `<motor>.pos` values)."""

    lower: dict[str, float]
    upper: dict[str, float]

    def clamp(self, motor: str, value: float) -> float:
        return min(max(value, self.lower[motor]), self.upper[motor])


@dataclass(frozen=True)
class ClippedAction:
    action: dict[str, float]  # what may be sent, keyed `<motor>.pos`
    clipped_motors: tuple[str, ...]  # motors whose requested value was changed


@dataclass(frozen=True)
class SafetyGate:
    limits: JointLimits
    max_step: float | None  # largest change per control tick, in joint units; None: no step limit

    def clip(self, action: dict[str, float], present: dict[str, float]) -> ClippedAction:
        """Clamp each joint to its range, then to `present +- max_step`; refuse NaN outright."""
        safe: dict[str, float] = {}
        clipped: list[str] = []
        for key, requested in action.items():
            motor = motor_of(key)
            if not math.isfinite(requested):
                raise UnsafeActionError(
                    f"The action for {motor} is {requested}; nothing was sent. A policy that outputs NaN needs its "
                    "checkpoint, processors and normalisation stats checked."
                )
            value = self.limits.clamp(motor, requested)
            now = present.get(pos_key(motor))
            if self.max_step is not None and now is not None:
                value = min(max(value, now - self.max_step), now + self.max_step)
            if abs(value - requested) > 1e-6:
                clipped.append(motor)
            safe[pos_key(motor)] = value
        return ClippedAction(safe, tuple(clipped))


class GuardedArm:
    """The follower behind the safety gate: one hardware access at a time, every command clamped,
    nothing sent while the emergency stop is latched. `gate` is set once the arm is connected."""

    def __init__(self, robot) -> None:
        self.robot = robot
        self.gate: SafetyGate | None = None
        self.follower_pos: dict[str, float] = {}  # motor -> position, as the follower last reported it
        self.last_sent: dict[str, float] | None = None  # motor -> the last position actually commanded
        self.estopped = False
        self.hold_sent = False  # the hold has reached the arm since the stop latched
        self.estop_received_at: float | None = None  # unix time the last emergency stop arrived
        self.estop_hold_at: float | None = None  # unix time its first hold reached the arm
        self._io = threading.RLock()  # the loop, an episode, the emergency stop

    def set_limits(self, limits: JointLimits, max_step: float | None) -> None:
        self.gate = SafetyGate(limits, max_step)

    def read_observation(self) -> dict:
        """One observation of the follower (joints and cameras), serialised with every other arm access."""
        with self._io:
            return self.robot.get_observation()

    def send(self, target: dict[str, float]) -> dict[str, float]:
        """Clamp `target` (motor or `<motor>.pos` -> position) and send it; returns what was sent, by motor."""
        if self.estopped:
            raise StationError(LATCHED)
        assert self.gate is not None
        present = {pos_key(motor): value for motor, value in self.follower_pos.items()}
        safe = self.gate.clip({pos_key(motor_of(key)): value for key, value in target.items()}, present)
        with self._io:
            if self.estopped:  # pressed while this command was being prepared
                raise StationError(LATCHED)
            sent = self.robot.send_action(safe.action)
        self.last_sent = {motor_of(key): float(value) for key, value in sent.items()}
        return self.last_sent

    def hold(self) -> None:
        """Command the position the arm has right now (read fresh): it stops where it is, under torque."""
        with self._io:
            try:
                observation = self.robot.get_observation()
                present = {key: float(value) for key, value in observation.items() if key.endswith(".pos")}
            except Exception:  # a stale or lost camera never stops a hold: hold the joints read last (a tick ago)
                if not self.follower_pos:
                    raise
                present = {pos_key(motor): value for motor, value in self.follower_pos.items()}
            self.robot.send_action(present)
            if self.estopped and self.estop_hold_at is None:
                self.estop_hold_at = time.time()
        self.last_sent = {motor_of(key): value for key, value in present.items()}
        self.hold_sent = True

    def latch_estop(self) -> None:
        """From now on `send` refuses; the caller holds the arm next."""
        self.estop_received_at, self.estop_hold_at = time.time(), None
        self.estopped = True

    def release_estop(self) -> None:
        self.estopped = False


def limits_from_calibration(calibration: dict, use_degrees: bool, resolution: int = 4096) -> JointLimits:
    """Joint ranges of a calibrated Feetech arm in lerobot's units (see lerobot's MotorsBus._normalize).

    In degrees mode a joint reads 0 at the middle of its calibrated range, so the range is
    +-(range_max - range_min) / 2 converted to degrees; the gripper is always 0..100.
    """
    lower: dict[str, float] = {}
    upper: dict[str, float] = {}
    for motor, cal in calibration.items():
        if motor == "gripper":
            lower[motor], upper[motor] = 0.0, 100.0
        elif use_degrees:
            half = steps_to_degrees((cal.range_max - cal.range_min) / 2, resolution)
            lower[motor], upper[motor] = -half, half
        else:
            lower[motor], upper[motor] = -100.0, 100.0
    return JointLimits(lower, upper)
