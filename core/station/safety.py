"""The last gate before any command reaches an arm: joint limits, a maximum step, no NaN.

Every action the station sends (leader mirroring, the move home, a policy's output)
passes through `SafetyGate.clip`, whatever produced it, so a bad policy or a slider
typo cannot command a joint past its range or jump it across the table in one tick.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.errors import PreflightError
from core.so101 import motor_of, pos_key


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
            half = (cal.range_max - cal.range_min) / 2 * 360 / (resolution - 1)
            lower[motor], upper[motor] = -half, half
        else:
            lower[motor], upper[motor] = -100.0, 100.0
    return JointLimits(lower, upper)
