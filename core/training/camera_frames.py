"""One camera frame of one episode, whether the dataset stores the camera as video or as images.

Video frames are decoded from the episode's segment of the shared mp4 (core.training.video_frames);
image features (dtype "image", as older and image-only datasets store cameras) are PNG or JPEG
bytes inside the data parquet, read for that one row only.
"""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

from core.errors import DatasetError
from core.training.dataset_files import DatasetFiles, Episode
from core.training.video_frames import decode_frame


def camera_frame(dataset: DatasetFiles, episode: Episode, key: str, at_s: float = 0.0) -> tuple[np.ndarray, float]:
    """The RGB frame of camera `key` `at_s` seconds into `episode` (clamped to it), and the time actually used."""
    if key in dataset.unreadable_cameras:
        raise DatasetError(f"The frames of {key} in {dataset.root} cannot be read: {dataset.unreadable_cameras[key]}.")
    last_s = max(0.0, (episode.length - 1) / dataset.fps)
    at_s = min(max(0.0, at_s), last_s)
    if key in dataset.image_keys:
        return _image_frame(dataset, episode, key, round(at_s * dataset.fps)), at_s
    segment = episode.videos.get(key)
    if segment is None:
        raise DatasetError(
            f"The dataset at {dataset.root} has no camera {key} (cameras: {', '.join(dataset.camera_keys) or 'none'})."
        )
    at_s = min(at_s, max(0.0, segment.to_timestamp_s - segment.from_timestamp_s - 1.0 / dataset.fps))
    return decode_frame(segment.path, segment.from_timestamp_s + at_s), at_s


def _image_frame(dataset: DatasetFiles, episode: Episode, key: str, frame_index: int) -> np.ndarray:
    index = episode.dataset_from_index + min(frame_index, episode.length - 1)
    try:
        table = pq.read_table(episode.data_path, columns=[key], filters=[("index", "==", index)])
    except (pa.ArrowException, OSError) as error:
        raise DatasetError(f"Cannot read {key} of episode {episode.index} in {dataset.root} ({error}).") from error
    if table.num_rows == 0:
        raise DatasetError(f"{episode.data_path} has no frame {index} for episode {episode.index}: copy it again.")
    cell = table.column(key)[0].as_py()
    data = cell.get("bytes") if isinstance(cell, dict) else cell
    if not data:
        raise DatasetError(
            f"{key} of episode {episode.index} in {dataset.root} stores no image bytes (only a path, "
            f"{cell.get('path') if isinstance(cell, dict) else None!r}): give the dataset with its images embedded."
        )
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
