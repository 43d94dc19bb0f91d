"""Config of the station's robot as the rollout engine sees it (`--robot.type=preflight_station`).

Laid out like lerobot's devices (`config_<device>.py` beside `<device>.py`) so lerobot's
factory finds `StationRobot` from this config.
"""

from __future__ import annotations

from dataclasses import dataclass

from lerobot.robots import RobotConfig


@RobotConfig.register_subclass("preflight_station")
@dataclass
class StationRobotConfig(RobotConfig):
    station: str = ""  # the name of a station running in this process
