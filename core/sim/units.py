"""Exact mapping between the MuJoCo joints (radians) and lerobot's SO-101 units.

lerobot's `SO101Follower` with `use_degrees=True` reports, per motor, `(ticks - mid) * 360 / 4095`,
where `mid` is the middle of the range recorded at calibration:
- five arm joints in degrees, zero at the middle of the joint's range. `lerobot-calibrate`
  records the swept range of `shoulder_pan`, `shoulder_lift`, `elbow_flex` and `wrist_flex`;
  for `wrist_roll` it fixes the range to the full turn 0..4095, whose middle is the pose the
  arm was held in at calibration.
- the gripper in percent of its recorded range, 0 = closed (the range's lower end).

The model (`so101_new_calib.xml`, "new calibration") puts each joint's zero at the
calibration pose, the middle of its range. So: a swept joint reads
`degrees(q - (lower + upper) / 2)`, `wrist_roll` reads `degrees(q)` (its model range is
2.8 degrees off-centre, as a real full-turn motor's would be), and the gripper reads
`100 * (q - lower) / (upper - lower)`. The simulation reports true degrees; a real
servo's 360/4095 per tick is 0.02 % off true degrees, far below its resolution.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from functools import cache

from core.sim.meshes import package_assets
from core.so101 import GRIPPER, MOTOR_NAMES

ARM_MJCF = "so101_new_calib.xml"
FULL_TURN_MOTOR = "wrist_roll"


@dataclass(frozen=True)
class MotorUnits:
    """One motor's joint range in radians and how lerobot expresses a position in it."""

    motor: str
    lower_rad: float
    upper_rad: float

    @property
    def is_percent(self) -> bool:
        return self.motor == GRIPPER

    @property
    def zero_rad(self) -> float:
        """The joint angle lerobot reports as 0 (degrees) or 0 % (gripper)."""
        if self.is_percent:
            return self.lower_rad
        if self.motor == FULL_TURN_MOTOR:
            return 0.0
        return (self.lower_rad + self.upper_rad) / 2

    def to_lerobot(self, angle_rad: float) -> float:
        if self.is_percent:
            return 100.0 * (angle_rad - self.lower_rad) / (self.upper_rad - self.lower_rad)
        return math.degrees(angle_rad - self.zero_rad)

    def to_radians(self, value: float) -> float:
        if self.is_percent:
            return self.lower_rad + value / 100.0 * (self.upper_rad - self.lower_rad)
        return self.zero_rad + math.radians(value)

    @property
    def lerobot_limits(self) -> tuple[float, float]:
        """The joint range in lerobot units (degrees or percent), lower first."""
        return self.to_lerobot(self.lower_rad), self.to_lerobot(self.upper_rad)

    def clip(self, value: float) -> float:
        lower, upper = self.lerobot_limits
        return min(max(value, lower), upper)


@cache
def motor_units() -> dict[str, MotorUnits]:
    """Units of the six motors, read from the joint ranges of the official SO-101 MJCF."""
    root = ElementTree.parse(package_assets() / ARM_MJCF).getroot()
    ranges = {joint.get("name"): joint.get("range") for joint in root.iter("joint")}
    units = {}
    for motor in MOTOR_NAMES:
        lower, upper = (float(value) for value in ranges[motor].split())
        units[motor] = MotorUnits(motor, lower, upper)
    return units


def to_lerobot(angles_rad: dict[str, float]) -> dict[str, float]:
    """Joint angles in radians -> lerobot units, keyed by motor name."""
    units = motor_units()
    return {motor: units[motor].to_lerobot(angle) for motor, angle in angles_rad.items()}


def to_radians(values: dict[str, float]) -> dict[str, float]:
    """lerobot units -> joint angles in radians, keyed by motor name."""
    units = motor_units()
    return {motor: units[motor].to_radians(value) for motor, value in values.items()}


def clip_to_limits(values: dict[str, float]) -> dict[str, float]:
    """Each value clipped to its motor's range, in lerobot units."""
    units = motor_units()
    return {motor: units[motor].clip(value) for motor, value in values.items()}
