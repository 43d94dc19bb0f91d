"""Config of a simulated camera: which physical device of the lab it reads, like a /dev/video path."""

from __future__ import annotations

from dataclasses import dataclass

from lerobot.cameras import CameraConfig

SIM_CAMERA_TYPE = "preflight_sim_camera"
# The lab's camera devices and the view each shows when the cables are plugged in correctly.
SIM_CAMERA_DEVICES: dict[str, str] = {"sim:cam0": "front", "sim:cam1": "wrist"}


@CameraConfig.register_subclass(SIM_CAMERA_TYPE)
@dataclass(kw_only=True)
class SimCameraConfig(CameraConfig):
    """`device` names a camera of the simulated lab (`sim:cam0` front, `sim:cam1` wrist).

    `lab_id` None means the lab of the robot the camera belongs to (else the default lab).
    """

    device: str = "sim:cam0"
    lab_id: str | None = None
    fps: int | None = 30
    width: int | None = 320
    height: int | None = 240

    def __post_init__(self) -> None:
        if self.device not in SIM_CAMERA_DEVICES:
            known = ", ".join(f"{device} ({view})" for device, view in SIM_CAMERA_DEVICES.items())
            raise ValueError(f"Unknown simulated camera device '{self.device}'. Use one of: {known}.")
        for name in ("fps", "width", "height"):
            if getattr(self, name) is None or getattr(self, name) <= 0:
                raise ValueError(f"A simulated camera needs a positive {name}; got {getattr(self, name)}.")
