"""A guard around each lerobot camera: the station's view of frame age, rate and health.

The guard replaces the camera object inside the robot (`robot.cameras[name]`), so the
robot's own `get_observation()` still drives capture. Outside a policy run it never
raises: a lost or stale camera is reported and the joints keep flowing. During a
policy run (`strict`) it raises like the camera would, which ends the episode safely.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import cv2
import numpy as np

from core.errors import StationError
from core.station import devices, frame_stamp
from core.station.config import CameraSpec
from core.station.state import CameraHealth, CameraStatus

BLACK_MEAN = 8.0  # 0..255: a covered lens or a dead sensor
BLACK_STD = 4.0
FROZEN_AFTER_S = 1.0  # identical pixels for this long: a real sensor always has noise
STALE_AFTER_MS = 500.0  # lerobot's own read_latest default
STAMP_FRAMES = frame_stamp.enabled()  # bench/stream_bench.py only: capture time drawn into the streamed JPEGs


@dataclass(frozen=True)
class EncodedFrame:
    seq: int
    captured_at: float  # unix time
    jpeg: bytes


class StaleFrame(TimeoutError):
    """A strict feed's newest frame is older than its `max_age_ms`: the episode pauses, it does not end."""


class CameraFeed:
    def __init__(self, spec: CameraSpec, camera) -> None:
        self.spec = spec
        self.inner = camera
        self.strict = False
        self.max_age_ms = STALE_AFTER_MS  # strict: an older frame raises StaleFrame
        self._cond = threading.Condition()
        self._frame: np.ndarray | None = None
        self._timestamp: float | None = None  # perf_counter of the latest capture
        self._wall_offset = time.time() - time.perf_counter()
        self._seq = 0
        self._fps = 0.0
        self._signature: bytes | None = None
        self._same_since: float | None = None
        self._error = ""
        self._jpeg: EncodedFrame | None = None

    # -- the parts of lerobot's Camera contract that robots use -------------------------------
    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def read_latest(self, max_age_ms: int = int(STALE_AFTER_MS)) -> np.ndarray:
        try:
            frame = self.inner.read_latest(max_age_ms=10**9)
        except Exception as error:  # noqa: BLE001 - any camera failure is reported the same way
            self._error = f"{type(error).__name__}: {error}"
            if self.strict:
                raise
            return self._frame if self._frame is not None else self._blank()
        self._error = ""
        if frame is not self._frame:  # cameras hand out a new array per captured frame
            self._accept(frame, getattr(self.inner, "latest_timestamp", None) or time.perf_counter())
        age_ms = (time.perf_counter() - self._timestamp) * 1e3
        if self.strict and age_ms > min(max_age_ms, self.max_age_ms):
            raise StaleFrame(f"Camera '{self.spec.name}' ({self.spec.device}) has sent no frame for {age_ms:.0f} ms.")
        return frame

    # -- station side ---------------------------------------------------------------------------
    def status(self) -> CameraStatus:
        now = time.perf_counter()
        age_ms = None if self._timestamp is None else (now - self._timestamp) * 1e3
        health, message = self._health(now, age_ms)
        return CameraStatus(
            name=self.spec.name,
            device=self.spec.device,
            width=self.spec.width,
            height=self.spec.height,
            fps_target=float(self.spec.fps),
            fps_measured=round(self._fps, 1) if age_ms is not None and age_ms < STALE_AFTER_MS else 0.0,
            frame_age_ms=None if age_ms is None else round(age_ms, 1),
            seq=self._seq,
            health=health,
            message=message,
        )

    def wait_jpeg(self, after_seq: int, timeout_s: float, quality: int = 80) -> EncodedFrame | None:
        """The newest frame as JPEG once it is newer than `after_seq`; None on timeout (for MJPEG long-polls)."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._seq > after_seq, timeout=timeout_s):
                return None
            seq, frame, timestamp = self._seq, self._frame, self._timestamp
            cached = self._jpeg
        if cached is not None and cached.seq == seq:
            return cached
        captured_at = timestamp + self._wall_offset
        bgr = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)  # a copy: the robot's own frame is never drawn on
        if STAMP_FRAMES:
            frame_stamp.stamp(bgr, round(captured_at * 1000))
        ok, buffer = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
        encoded = EncodedFrame(seq, captured_at, buffer.tobytes())
        with self._cond:
            if self._jpeg is None or self._jpeg.seq < seq:
                self._jpeg = encoded
        return encoded

    # -- internals ------------------------------------------------------------------------------
    def _accept(self, frame: np.ndarray, timestamp: float) -> None:
        signature = np.ascontiguousarray(frame[::8, ::8]).tobytes()
        now = time.perf_counter()
        if signature == self._signature:
            self._same_since = self._same_since or now
        else:
            self._same_since = None
        self._signature = signature
        if self._timestamp is not None:
            interval = timestamp - self._timestamp
            if interval > 0:
                self._fps = 1.0 / interval if self._fps == 0 else 0.9 * self._fps + 0.1 / interval
        with self._cond:
            self._frame = frame
            self._timestamp = timestamp
            self._seq += 1
            self._cond.notify_all()

    def _health(self, now: float, age_ms: float | None) -> tuple[CameraHealth, str]:
        if self._error and (age_ms is None or age_ms > STALE_AFTER_MS):
            return "lost", self._error
        if age_ms is None:
            return "starting", "waiting for the first frame"
        if age_ms > STALE_AFTER_MS:
            return "stale", f"no new frame for {age_ms / 1000:.1f} s"
        small = self._frame[::8, ::8]
        if small.mean() < BLACK_MEAN and small.std() < BLACK_STD:
            return "black", "the image is black: lens covered, lights off or a dead sensor"
        if self._same_since is not None and now - self._same_since > FROZEN_AFTER_S:
            return "frozen", f"identical frames for {now - self._same_since:.1f} s: the driver repeats one image"
        return "ok", ""

    def _blank(self) -> np.ndarray:
        return np.zeros((self.spec.height, self.spec.width, 3), dtype=np.uint8)


class CameraFeeds:
    """The station's cameras, each a CameraFeed installed in the robot in place of its lerobot camera."""

    def __init__(self, station: str, specs: tuple[CameraSpec, ...], robot) -> None:
        self.station = station
        self._feeds = {spec.name: CameraFeed(spec, robot.cameras[spec.name]) for spec in specs}
        robot.cameras.update(self._feeds)

    def frame(self, camera: str, after_seq: int, wait_s: float) -> EncodedFrame | None:
        """The newest JPEG of `camera` once it is newer than `after_seq`; None on timeout."""
        feed = self._feeds.get(camera)
        if feed is None:
            known = sorted(self._feeds)
            raise StationError(f"Station '{self.station}' has no camera named '{camera}' (it has {known}).")
        return feed.wait_jpeg(after_seq, wait_s)

    def statuses(self) -> tuple[CameraStatus, ...]:
        return tuple(feed.status() for feed in self._feeds.values())

    def set_strict(self, strict: bool, max_age_ms: float = STALE_AFTER_MS) -> None:
        """Strict during a policy episode: a lost camera raises, a frame older than `max_age_ms` raises StaleFrame."""
        for feed in self._feeds.values():
            feed.strict, feed.max_age_ms = strict, max_age_ms

    def skew(self) -> tuple[float, str, str]:
        """The largest gap between two cameras' newest frames, in ms, and the newest and the oldest camera."""
        stamped = sorted((feed._timestamp, name) for name, feed in self._feeds.items() if feed._timestamp is not None)
        if len(stamped) < 2:
            return 0.0, "", ""
        return (stamped[-1][0] - stamped[0][0]) * 1e3, stamped[-1][1], stamped[0][1]

    def reconnect(self, specs: tuple[CameraSpec, ...]) -> None:
        """Re-plug the same camera names on new devices (call it from the loop thread, between two ticks)."""
        from lerobot.cameras import make_cameras_from_configs

        for feed in self._feeds.values():
            if feed.inner.is_connected:
                feed.inner.disconnect()
        cameras = make_cameras_from_configs({spec.name: devices.camera_config(spec) for spec in specs})
        for spec in specs:
            cameras[spec.name].connect()
            self._feeds[spec.name].spec = spec
            self._feeds[spec.name].inner = cameras[spec.name]
