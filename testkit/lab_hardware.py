"""The hardware boundary of a lab station, faked on disk: a `/dev` tree and lerobot's calibration files.

`plug` builds a fake `/dev` under a folder (device nodes as empty files, the by-id / by-path links relative, as
udev makes them) for a station to resolve its devices in; `lab` and `lab_wiring` are a two-camera, two-arm station
and its wiring. `station_calibrations` writes calibration files as lerobot-calibrate saves them and loads them
through lerobot's real SO101Follower and SO101Leader, whose serial bus is a MagicMock.
"""

from __future__ import annotations

from pathlib import Path
from unittest.mock import MagicMock, patch

import draccus
from lerobot.motors import MotorCalibration
from lerobot.robots.so_follower import SO101Follower, SO101FollowerConfig
from lerobot.teleoperators.so_leader import SO101Leader, SO101LeaderConfig

from core.rules.calibration import ArmCalibration
from core.so101 import MOTOR_NAMES
from core.station import devices
from core.station.config import CameraSpec, StationConfig

FRONT_CAM = "usb-Logitech_C920_AAAA1111-video-index0"
WRIST_CAM = "usb-Arducam_USB_Camera_BBBB2222-video-index0"
FOLLOWER_ADAPTER = "usb-1a86_USB_Single_Serial_5A46083062-if00"
LEADER_ADAPTER = "usb-1a86_USB_Single_Serial_5A46084471-if00"

FULL_TURN = (0, 4095)  # every arm joint's range: ±180°, wider than any training value
SANE = dict.fromkeys(MOTOR_NAMES, FULL_TURN)


def plug(root: Path, links: dict[str, str]) -> Path:
    """The fake /dev under `root`: `links` maps a by-id/by-path link (relative to /dev) to the node it names now
    (`video0`, `ttyACM1`); every earlier link is removed first, as a replug makes udev do."""
    dev = root / "dev"
    for folder in ("v4l/by-id", "v4l/by-path", "serial/by-id"):
        (dev / folder).mkdir(parents=True, exist_ok=True)
        for old in (dev / folder).iterdir():
            old.unlink()
    for link, node in links.items():
        (dev / node).touch()
        (dev / link).symlink_to(Path("../..") / node)
    return root


def lab_wiring(front="video0", wrist="video2", follower="ttyACM0", leader="ttyACM1") -> dict[str, str]:
    return {
        f"v4l/by-id/{FRONT_CAM}": front,
        f"v4l/by-id/{WRIST_CAM}": wrist,
        "v4l/by-path/pci-0000:00:14.0-usb-0:1:1.0-video-index0": front,
        f"serial/by-id/{FOLLOWER_ADAPTER}": follower,
        f"serial/by-id/{LEADER_ADAPTER}": leader,
    }


def lab(**changes) -> StationConfig:
    fields = {
        "name": "lab",
        "kind": "so101",
        "cameras": (CameraSpec("front", "/dev/video0"), CameraSpec("wrist", "2")),
        "robot_port": "/dev/ttyACM0",
        "leader_port": "/dev/ttyACM1",
        **changes,
    }
    return StationConfig(**fields)


def write_calibration(folder: Path, arm_id: str, ranges: dict[str, tuple[int, int]]) -> Path:
    """`<folder>/<arm_id>.json` exactly as lerobot-calibrate saves it (`Robot._save_calibration`)."""
    folder.mkdir(parents=True, exist_ok=True)
    calibration = {
        motor: MotorCalibration(id=index, drive_mode=0, homing_offset=0, range_min=low, range_max=high)
        for index, (motor, (low, high)) in enumerate(ranges.items(), start=1)
    }
    path = folder / f"{arm_id}.json"
    with open(path, "w") as handle, draccus.config_type("json"):
        draccus.dump(calibration, handle, indent=4)
    return path


def station_calibrations(
    folder: Path, follower: dict[str, tuple[int, int]], leader: dict[str, tuple[int, int]] | None = None
) -> tuple[ArmCalibration, ...]:
    """What a real station publishes: the calibrations lerobot's SO-101 classes loaded from the files they find in
    `folder` (`robots/follower.json`, `teleoperators/leader.json` when `leader` is given)."""
    write_calibration(folder / "robots", "follower", follower)
    if leader is not None:
        write_calibration(folder / "teleoperators", "leader", leader)
    config = StationConfig("lab", "so101", (), robot_port="/dev/ttyACM0", leader_port="/dev/ttyACM1" if leader else "")
    with (
        patch("lerobot.robots.so_follower.so_follower.FeetechMotorsBus", MagicMock()),
        patch("lerobot.teleoperators.so_leader.so_leader.FeetechMotorsBus", MagicMock()),
    ):
        robot = SO101Follower(
            SO101FollowerConfig(port=config.robot_port, id="follower", calibration_dir=folder / "robots")
        )
        arm = (
            SO101Leader(
                SO101LeaderConfig(port=config.leader_port, id="leader", calibration_dir=folder / "teleoperators")
            )
            if leader is not None
            else None
        )
    return devices.calibrations(robot, arm, config)
