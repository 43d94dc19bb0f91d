"""Config of the simulated SO-101 follower: the lab it lives in, its clock, clipping and cameras."""

from __future__ import annotations

from dataclasses import dataclass, field

from lerobot.cameras import CameraConfig
from lerobot.robots import RobotConfig

from core.sim.devices.config_sim_camera import SimCameraConfig

SIM_FOLLOWER_TYPE = "preflight_sim_follower"
CLOCK_MODES = ("realtime", "lockstep")


def default_cameras() -> dict[str, CameraConfig]:
    """The demo lab's wiring: `front` on sim:cam0, `wrist` on sim:cam1, 320x240 at 30 fps."""
    return {"front": SimCameraConfig(device="sim:cam0"), "wrist": SimCameraConfig(device="sim:cam1")}


@RobotConfig.register_subclass(SIM_FOLLOWER_TYPE)
@dataclass
class SimFollowerConfig(RobotConfig):
    """Fields mirror `SO101FollowerConfig` where they mean the same (`max_relative_target`, `cameras`).

    `clock`: "realtime" (the lab's thread runs physics at wall-clock rate, like a real arm) or
    "lockstep" (the caller advances time with `SimLab.advance`). `disable_torque_on_disconnect`: as on the real
    arm, `disconnect` switches the servos off and gravity takes the arm.
    """

    lab_id: str = "default"
    clock: str = "realtime"
    max_relative_target: float | dict[str, float] | None = None
    disable_torque_on_disconnect: bool = True  # as SO101FollowerConfig: the arm goes limp when disconnected
    cameras: dict[str, CameraConfig] = field(default_factory=default_cameras)
    camera_max_age_ms: int = 500  # get_observation refuses an older camera frame, as lerobot's read_latest default

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.clock not in CLOCK_MODES:
            raise ValueError(f"clock must be one of {', '.join(CLOCK_MODES)}; got '{self.clock}'.")
        for camera in self.cameras.values():
            if isinstance(camera, SimCameraConfig) and camera.lab_id is None:
                camera.lab_id = self.lab_id
