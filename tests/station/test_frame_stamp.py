"""The bench-only frame stamp (bench/stream_bench.py) survives the station's JPEG encoding."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from core.station import frame_stamp


@pytest.mark.parametrize("width, height", [(640, 480), (320, 240)])
def test_a_stamped_time_reads_back_after_a_jpeg_round_trip(width: int, height: int) -> None:
    rng = np.random.default_rng(0)
    for unix_ms in (1_760_000_000_123, 1_760_000_000_124, 2**32 - 1, 0):
        image = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)  # a busy scene around the stamp
        frame_stamp.stamp(image, unix_ms)
        ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])  # the station's quality
        assert ok
        assert frame_stamp.read(cv2.imdecode(jpeg, cv2.IMREAD_COLOR)) == unix_ms % 2**32


def test_an_unstamped_frame_reads_as_none() -> None:
    assert frame_stamp.read(np.full((480, 640, 3), 90, dtype=np.uint8)) is None
