"""Feed health as the Cameras page shows it: black, frozen, stale and lost cameras.

The camera is a stand-in object at the hardware boundary (what `/dev/video*` would give
through lerobot's OpenCVCamera: a new array per captured frame, `latest_timestamp`).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from core.station import camera_feed
from core.station.camera_feed import CameraFeed
from core.station.config import CameraSpec
from testkit.waiting import wait_for

SPEC = CameraSpec("front", "/dev/video0", 64, 48, 30)


class StandInCamera:
    def __init__(self) -> None:
        self.frame = np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)
        self.latest_timestamp = time.perf_counter()
        self.error: Exception | None = None

    def capture(self, image: np.ndarray) -> None:
        self.frame, self.latest_timestamp = image, time.perf_counter()

    def read_latest(self, max_age_ms: int = 500) -> np.ndarray:
        if self.error is not None:
            raise self.error
        return self.frame


def noisy(rng: np.random.Generator) -> np.ndarray:
    return rng.integers(60, 200, (48, 64, 3), dtype=np.uint8)


def test_a_live_camera_is_ok_and_counts_its_frames():
    camera, rng = StandInCamera(), np.random.default_rng(1)
    feed = CameraFeed(SPEC, camera)
    for _ in range(5):
        camera.capture(noisy(rng))
        feed.read_latest()
    asked, status, answered = time.perf_counter(), feed.status(), time.perf_counter()
    assert status.health == "ok" and status.seq == 5
    # the age is the time since the camera's own timestamp of its last capture (rounded to 0.1 ms)
    captured = camera.latest_timestamp
    assert (asked - captured) * 1e3 - 0.05 <= status.frame_age_ms <= (answered - captured) * 1e3 + 0.05


def test_a_black_image_is_reported():
    camera = StandInCamera()
    feed = CameraFeed(SPEC, camera)
    camera.capture(np.zeros((48, 64, 3), np.uint8))
    feed.read_latest()
    assert feed.status().health == "black"


def test_identical_frames_are_a_frozen_driver(monkeypatch):
    monkeypatch.setattr(camera_feed, "FROZEN_AFTER_S", 0.05)
    camera = StandInCamera()
    feed = CameraFeed(SPEC, camera)
    rng = np.random.default_rng(2)
    still = noisy(rng)

    def same_pixels_again() -> bool:
        camera.capture(still.copy())  # new arrays, same pixels
        feed.read_latest()
        return feed.status().health == "frozen"

    wait_for(same_pixels_again, 10, "the repeated image reported frozen", interval_s=0.01)
    assert "identical frames" in feed.status().message
    camera.capture(noisy(rng))  # one new image: the driver is live again
    feed.read_latest()
    assert feed.status().health == "ok"


def test_no_new_frame_is_stale_and_strict_reads_raise(monkeypatch):
    camera = StandInCamera()
    feed = CameraFeed(SPEC, camera)
    camera.capture(noisy(np.random.default_rng(3)))
    feed.read_latest()
    camera.latest_timestamp -= 1.0  # the last capture was a second ago
    feed._timestamp = camera.latest_timestamp
    assert feed.status().health == "stale"
    feed.strict = True
    with pytest.raises(TimeoutError, match="no frame"):
        feed.read_latest()


def test_a_camera_that_disappears_is_lost_and_only_strict_reads_fail():
    camera = StandInCamera()
    feed = CameraFeed(SPEC, camera)
    camera.capture(noisy(np.random.default_rng(4)))
    feed.read_latest()
    camera.error = OSError("device unplugged")
    feed._timestamp -= 1.0
    assert feed.read_latest() is not None  # outside a policy run the joints keep flowing
    assert feed.status().health == "lost" and "unplugged" in feed.status().message
    feed.strict = True
    with pytest.raises(OSError):
        feed.read_latest()


def test_jpeg_frames_wait_for_a_newer_one():
    camera = StandInCamera()
    feed = CameraFeed(SPEC, camera)
    camera.capture(noisy(np.random.default_rng(5)))
    feed.read_latest()
    first = feed.wait_jpeg(after_seq=0, timeout_s=0.1)
    assert first.jpeg[:3] == b"\xff\xd8\xff" and first.seq == 1
    assert feed.wait_jpeg(after_seq=1, timeout_s=0.05) is None
