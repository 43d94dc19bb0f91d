"""Turn a station config into connected lerobot devices: the real SO-101 or the simulated lab.

Real hardware goes through lerobot's own `SO101Follower`, `SO101Leader` and
`OpenCVCamera`, connected with `calibrate=False`: lerobot's calibration asks questions on
stdin, which a station process cannot answer, so a missing calibration is reported with
the `lerobot-calibrate` command instead.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from core.errors import StationError
from core.rules.calibration import ArmCalibration, MotorRange
from core.station.config import SIM_DEVICE_PREFIX, CameraSpec, StationConfig
from core.station.safety import JointLimits, limits_from_calibration


def camera_config(spec: CameraSpec):
    """The lerobot camera config for a device id: `sim:camN` or an OpenCV index / `/dev/video*` path."""
    if spec.device.startswith(SIM_DEVICE_PREFIX):
        from core.sim.devices import SimCameraConfig

        return SimCameraConfig(device=spec.device, width=spec.width, height=spec.height, fps=spec.fps)
    from lerobot.cameras.opencv import OpenCVCameraConfig

    index_or_path: int | Path = int(spec.device) if spec.device.isdigit() else Path(spec.device)
    return OpenCVCameraConfig(index_or_path=index_or_path, width=spec.width, height=spec.height, fps=spec.fps)


def build_robot(config: StationConfig):
    cameras = {spec.name: camera_config(spec) for spec in config.cameras}
    max_step = None if config.max_relative_target is None else float(config.max_relative_target)
    if config.is_sim:
        from core.sim.devices import SimFollowerConfig
        from core.sim.devices.sim_follower import SimFollower

        return SimFollower(
            SimFollowerConfig(id=config.robot_id, cameras=cameras, max_relative_target=max_step, **config.sim_options)
        )
    from lerobot.robots.so_follower import SO101Follower, SO101FollowerConfig

    if not config.robot_port:
        raise StationError(
            f"Station '{config.name}' has no serial port for its follower arm. Set it on the Overview page (e.g. "
            "/dev/ttyACM0; `lerobot-find-port` finds it)."
        )
    return SO101Follower(
        SO101FollowerConfig(
            port=config.robot_port,
            id=config.robot_id,
            cameras=cameras,
            use_degrees=config.use_degrees,
            max_relative_target=max_step,
        )
    )


def build_leader(config: StationConfig, robot=None):
    if config.is_sim:
        from core.sim.devices import SimLeaderConfig
        from core.sim.devices.sim_leader import SimLeader

        return SimLeader(SimLeaderConfig(id=config.leader_id))
    if not config.leader_port:
        return None
    from lerobot.teleoperators.so_leader import SO101Leader, SO101LeaderConfig

    return SO101Leader(SO101LeaderConfig(port=config.leader_port, id=config.leader_id, use_degrees=config.use_degrees))


def connect(device, kind: str, config: StationConfig) -> None:
    """Connect without lerobot's interactive calibration; explain what to run when it is missing."""
    try:
        device.connect(calibrate=False)
    except StationError:
        raise
    except Exception as error:
        raise StationError(
            f"Could not connect the {kind} of station '{config.name}': {type(error).__name__}: {error}"
        ) from error
    if not device.is_calibrated:
        device.disconnect()
        port = config.robot_port if kind == "follower" else config.leader_port
        device_id = config.robot_id if kind == "follower" else config.leader_id
        flag = "robot" if kind == "follower" else "teleop"
        lerobot_type = "so101_follower" if kind == "follower" else "so101_leader"
        raise StationError(
            f"The {kind} on {port} has no calibration for id '{device_id}' (looked in {device.calibration_fpath}). Run "
            f"once in a terminal: lerobot-calibrate --{flag}.type={lerobot_type} "
            f"{shlex.quote(f'--{flag}.port={port}')} {shlex.quote(f'--{flag}.id={device_id}')}"
        )


def joint_limits(robot, config: StationConfig) -> JointLimits:
    """The follower's joint ranges in its own units: from the simulator's model, or from the arm's calibration."""
    if config.is_sim:
        from core.sim.units import motor_units

        ranges = {motor: units.lerobot_limits for motor, units in motor_units().items()}
        return JointLimits({m: lo for m, (lo, hi) in ranges.items()}, {m: hi for m, (lo, hi) in ranges.items()})
    return limits_from_calibration(robot.calibration, config.use_degrees)


def calibrations(robot, leader, config: StationConfig) -> tuple[ArmCalibration, ...]:
    """The real arms' calibrations as lerobot loaded them (`Robot.calibration` from `calibration_fpath`); () for
    the simulated lab, which has none."""
    if config.is_sim:
        return ()
    arms = [("follower", robot)] + ([("leader", leader)] if leader is not None else [])
    return tuple(
        ArmCalibration(
            arm,
            str(device.calibration_fpath),
            {motor: MotorRange(cal.range_min, cal.range_max) for motor, cal in device.calibration.items()},
        )
        for arm, device in arms
    )


@dataclass(frozen=True)
class CameraDevice:
    id: str  # what a station config names as a camera's device
    name: str
    width: int | None
    height: int | None
    fps: float | None


def discover_cameras(kind: str) -> list[CameraDevice]:
    """Cameras this machine offers: the simulated lab's devices, or lerobot's `OpenCVCamera.find_cameras()`.

    On a real machine this opens every /dev/video* device, so devices a running station
    holds open may be missing from the list.
    """
    if kind == "sim":
        from core.sim.devices.sim_camera import SimCamera

        found = SimCamera.find_cameras()
    else:
        from lerobot.cameras.opencv import OpenCVCamera

        found = OpenCVCamera.find_cameras()
    devices = []
    for info in found:
        profile = info.get("default_stream_profile") or {}
        devices.append(
            CameraDevice(
                str(info["id"]),
                info.get("name", str(info["id"])),
                profile.get("width"),
                profile.get("height"),
                profile.get("fps"),
            )
        )
    return devices
