"""The station's arm as lerobot's rollout engine sees it (`--robot.type=preflight_station`): it reads through the
station, which publishes every observation, and commands through the station's safety gate. Connecting and
disconnecting it leave the real arm alone.
"""

from __future__ import annotations

import time

from lerobot.robots import Robot

from core.errors import StationError
from core.station.config_station_robot import StationRobotConfig

_stations: dict[str, object] = {}  # station name -> Station, in this process


class EmergencyStopped(StationError):
    """Raised into the rollout when the emergency stop is pressed: the episode ends at once."""


def expose(station) -> str:
    _stations[station.config.name] = station
    return station.config.name


class StationRobot(Robot):
    config_class = StationRobotConfig
    name = "preflight_station"

    def __init__(self, config: StationRobotConfig):
        if config.station not in _stations:
            raise StationError(f"No station '{config.station}' runs in this process.")
        self.station = _stations[config.station]
        super().__init__(config)
        self.name = self.station.arm.robot.name  # datasets record the real robot's type: they merge with training data
        self.cameras = self.station.arm.robot.cameras

    @property
    def observation_features(self) -> dict:
        return self.station.arm.robot.observation_features

    @property
    def action_features(self) -> dict:
        return self.station.arm.robot.action_features

    @property
    def is_connected(self) -> bool:
        return self.station.arm.robot.is_connected

    def connect(self, calibrate: bool = True) -> None:
        """The station connected the arm already."""

    @property
    def is_calibrated(self) -> bool:
        return True

    def calibrate(self) -> None:
        """The station's arm is calibrated, or the station would not have started."""

    def configure(self) -> None:
        """Nothing to configure: the station did."""

    def get_observation(self) -> dict:
        started = time.perf_counter()
        observation = self.station.runs.guarded_observation()
        self.station.runs.timed("observe", started)
        self.station.observe_rollout(observation)
        return observation

    def send_action(self, action: dict) -> dict:
        started = time.perf_counter()
        try:
            return self._send(action)
        finally:
            self.station.runs.timed("send", started)

    def _send(self, action: dict) -> dict:
        if self.station.estopped:
            raise EmergencyStopped("Emergency stop pressed: the episode was stopped and the arm holds its position.")
        try:
            sent = self.station.arm.send(action)
        except StationError as error:
            if self.station.estopped:
                raise EmergencyStopped(str(error)) from error
            raise
        return {f"{motor}.pos": value for motor, value in sent.items()}

    def disconnect(self) -> None:
        """The arm stays connected to the station."""
