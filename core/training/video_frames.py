"""Single frames out of a dataset's mp4 files, decoded with PyAV (no torchcodec, no lerobot import).

lerobot stores many episodes per video file; an episode's frame at time t is at
`from_timestamp + t` in the file. We seek to the keyframe before it and decode forward.
"""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
from PIL import Image

from core.errors import DatasetError


def decode_frame(path: Path, timestamp_s: float) -> np.ndarray:
    """The RGB frame (H, W, 3) uint8 shown at `timestamp_s` in the video file: the last frame not after it."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            period_s = 1.0 / float(stream.average_rate or stream.guessed_rate or 30)
            container.seek(
                max(0, int(round(timestamp_s / stream.time_base)) - 1), backward=True, any_frame=False, stream=stream
            )
            chosen = None
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                if float(frame.pts * stream.time_base) > timestamp_s + period_s / 2:
                    break
                chosen = frame
    except (av.error.FFmpegError, OSError) as error:
        raise DatasetError(
            f"Cannot decode {path} ({error}). The video file is damaged: copy the dataset again from its source."
        ) from error
    if chosen is None:
        raise DatasetError(
            f"{path} has no frame at {timestamp_s:.3f} s. The video is shorter than its episodes say: copy it again."
        )
    return chosen.to_ndarray(format="rgb24")


def to_jpeg(image_rgb: np.ndarray, max_width_px: int = 320, quality: int = 85) -> bytes:
    """A small JPEG of an RGB frame, for display next to a live view (downscaled to max_width_px)."""
    image = Image.fromarray(np.asarray(image_rgb, dtype=np.uint8))
    if image.width > max_width_px:
        image = image.resize((max_width_px, round(image.height * max_width_px / image.width)), Image.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def from_jpeg(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
