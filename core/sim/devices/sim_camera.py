"""A lerobot camera that reads one camera device of the simulated lab.

Like `OpenCVCamera` it offers `read` (wait for the next frame), `async_read` (the newest
frame not yet consumed) and `read_latest` (the newest frame, if not too old). Frames come
from the lab's thread (realtime) or are rendered on demand (lockstep). The device is a
physical camera: if the lab's cables are swapped, `sim:cam0` shows the wrist view.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
from lerobot.cameras import Camera
from lerobot.utils.decorators import check_if_already_connected, check_if_not_connected

from core.sim.devices.config_sim_camera import SIM_CAMERA_DEVICES, SIM_CAMERA_TYPE, SimCameraConfig
from core.sim.lab import DEFAULT_LAB_ID, Frame, SimLab, get_lab

_READ_TIMEOUT_S = 1.0
_FIRST_FRAME_TIMEOUT_S = 15.0  # the lab's thread builds its renderers first: seconds on a busy CPU


class SimCamera(Camera):
    def __init__(self, config: SimCameraConfig):
        super().__init__(config)
        self.config = config
        self.device = config.device
        self.lab_id = config.lab_id or DEFAULT_LAB_ID
        self._lab: SimLab | None = None
        self._consumed_s = -math.inf
        self.latest_timestamp: float | None = None

    def __str__(self) -> str:
        return f"{self.__class__.__name__}({self.device})"

    @property
    def is_connected(self) -> bool:
        return self._lab is not None

    @staticmethod
    def find_cameras() -> list[dict[str, Any]]:
        """The lab's camera devices, in the shape `OpenCVCamera.find_cameras` uses."""
        defaults = SimCameraConfig()
        return [
            {
                "name": f"Simulated camera {device}",
                "type": SIM_CAMERA_TYPE,
                "id": device,
                "default_stream_profile": {
                    "format": "RGB",
                    "width": defaults.width,
                    "height": defaults.height,
                    "fps": defaults.fps,
                },
            }
            for device in SIM_CAMERA_DEVICES
        ]

    @check_if_already_connected
    def connect(self, warmup: bool = True) -> None:
        lab = get_lab(self.lab_id)
        lab.attach_stream(self.device, self.width, self.height, self.fps)
        lab.acquire()
        self._lab = lab
        if warmup:
            lab = self.lab
            if lab.running:
                self._consume(lab.wait_frame(self.device, self.width, self.height, -math.inf, _FIRST_FRAME_TIMEOUT_S))
            else:
                self.read()

    @property
    def lab(self) -> SimLab:
        if self._lab is None:
            raise RuntimeError(f"{self} is not connected.")
        return self._lab

    def _frame(self) -> Frame | None:
        """The newest frame: published by the lab's thread, or rendered now when no thread runs (lockstep)."""
        return self.lab.latest_frame(self.device, self.width, self.height)

    def _consume(self, frame: Frame) -> np.ndarray:
        self._consumed_s = frame.timestamp_s
        # When the frame was rendered, on the perf_counter clock OpenCVCamera's `latest_timestamp` uses.
        self.latest_timestamp = time.perf_counter() - max(0.0, self.lab.now() - frame.timestamp_s)
        return frame.image

    @check_if_not_connected
    def read(self) -> np.ndarray:
        """A frame captured after this call (realtime), or the lab as it is now (lockstep)."""
        lab = self.lab
        if not lab.running:
            return self._consume(self._frame())
        return self._consume(lab.wait_frame(self.device, self.width, self.height, lab.now(), _READ_TIMEOUT_S))

    @check_if_not_connected
    def async_read(self, timeout_ms: float = 200) -> np.ndarray:
        """The newest frame not returned before, waiting up to `timeout_ms` for one."""
        lab = self.lab
        if not lab.running:
            frame = self._frame()
            if frame.timestamp_s <= self._consumed_s:
                raise TimeoutError(f"{self}: no new frame; lab '{lab.lab_id}' runs in lockstep, so advance it first.")
            return self._consume(frame)
        return self._consume(lab.wait_frame(self.device, self.width, self.height, self._consumed_s, timeout_ms / 1000))

    @check_if_not_connected
    def read_latest(self, max_age_ms: int = 500) -> np.ndarray:
        """The newest frame at once; TimeoutError if it is older than `max_age_ms` on the lab's clock."""
        lab = self.lab
        frame = self._frame()
        if frame is None:
            raise RuntimeError(f"{self} has not captured a frame yet.")
        age_ms = (lab.now() - frame.timestamp_s) * 1000
        if age_ms > max_age_ms:
            raise TimeoutError(f"{self}: latest frame is {age_ms:.0f} ms old (limit {max_age_ms} ms).")
        return self._consume(frame)

    @check_if_not_connected
    def disconnect(self) -> None:
        lab, self._lab = self._lab, None
        lab.detach_stream(self.device, self.width, self.height)
        lab.release()
