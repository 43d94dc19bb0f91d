"""The real-hardware path of the station, with fakes only at the hardware boundary.

The serial bus is replaced by a MagicMock (the trick lerobot's own tests use), so lerobot's
real SO101Follower and SO101Leader classes are what the station builds and connects.
"""

from __future__ import annotations

from unittest.mock import MagicMock, patch

import pytest

from core.errors import StationError
from core.station import devices
from core.station.config import CameraSpec, StationConfig
from core.station.safety import limits_from_calibration


def real_station(**changes) -> StationConfig:
    fields = {
        "name": "lab",
        "kind": "so101",
        "cameras": (),
        "robot_port": "/dev/ttyACM0",
        "leader_port": "/dev/ttyACM1",
        **changes,
    }
    return StationConfig(**fields)


def test_the_station_builds_lerobots_own_devices():
    config = real_station(
        cameras=(CameraSpec("front", "/dev/video0", 640, 480, 30), CameraSpec("wrist", "2", 640, 480, 30))
    )
    with patch("lerobot.robots.so_follower.so_follower.FeetechMotorsBus", MagicMock()):
        robot = devices.build_robot(config)
    assert (
        type(robot).__name__ == "SOFollower" and robot.config.use_degrees and robot.config.max_relative_target == 10.0
    )
    cameras = robot.config.cameras
    assert cameras["front"].index_or_path.as_posix() == "/dev/video0" and cameras["wrist"].index_or_path == 2
    with patch("lerobot.teleoperators.so_leader.so_leader.FeetechMotorsBus", MagicMock()):
        leader = devices.build_leader(config)
    assert type(leader).__name__ == "SOLeader" and leader.config.port == "/dev/ttyACM1"


def test_a_missing_calibration_names_the_lerobot_calibrate_command(tmp_path):
    config = real_station()
    bus = MagicMock()
    port = bus.return_value
    port.is_connected = False
    port.connect.side_effect = lambda *args, **kwargs: setattr(port, "is_connected", True)
    port.is_calibrated = False  # the motors and the (absent) calibration file disagree
    with patch("lerobot.robots.so_follower.so_follower.FeetechMotorsBus", bus):
        robot = devices.build_robot(config)
        robot.calibration_dir = tmp_path
        with pytest.raises(StationError) as error:
            devices.connect(robot, "follower", config)
    message = str(error.value)
    assert "lerobot-calibrate --robot.type=so101_follower --robot.port=/dev/ttyACM0 --robot.id=follower" in message
    bus.return_value.disconnect.assert_called()  # nothing left connected


def test_a_station_without_a_port_says_where_to_set_it():
    with pytest.raises(StationError, match="lerobot-find-port"):
        devices.build_robot(real_station(robot_port=""))


def test_joint_limits_come_from_the_arms_calibration():
    calibration = {
        "shoulder_pan": MagicMock(range_min=1000, range_max=3000),
        "gripper": MagicMock(range_min=2000, range_max=3500),
    }
    limits = limits_from_calibration(calibration, use_degrees=True)
    assert limits.upper["shoulder_pan"] == pytest.approx(1000 * 360 / 4095)
    assert limits.lower["shoulder_pan"] == pytest.approx(-1000 * 360 / 4095)
    assert (limits.lower["gripper"], limits.upper["gripper"]) == (0.0, 100.0)
    range_units = limits_from_calibration(calibration, use_degrees=False)
    assert (range_units.lower["shoulder_pan"], range_units.upper["shoulder_pan"]) == (-100.0, 100.0)
