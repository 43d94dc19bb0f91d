"""Recorded camera frames for analytics: the first frame of chosen episodes, and frames for the drill-down.

Decoding is the one slow thing here (tens of milliseconds a frame), so only a handful of frames
are decoded: a few episodes spread over a recording, or a few moments of one episode.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.errors import DatasetError
from core.training.camera_frames import camera_frame
from core.training.dataset_files import DatasetFiles


@dataclass(frozen=True)
class RecordedFrame:
    episode_index: int
    camera_key: str
    at_s: float  # time from the episode's start
    image: np.ndarray  # (H, W, 3) uint8 RGB


def spread_episodes(dataset: DatasetFiles, count: int) -> list[int]:
    """Up to `count` episode indices spread evenly from the first episode to the last."""
    if not dataset.episodes or count <= 0:
        return []
    positions = sorted({int(i) for i in np.linspace(0, len(dataset.episodes) - 1, count).round()})
    return [dataset.episodes[i].index for i in positions]


def episode_frame(dataset: DatasetFiles, episode_index: int, camera_key: str, at_s: float = 0.0) -> RecordedFrame:
    """The frame of one camera `at_s` seconds into an episode (clamped to the episode)."""
    episode = next((e for e in dataset.episodes if e.index == episode_index), None)
    if episode is None:
        raise DatasetError(f"The dataset at {dataset.root} has no episode {episode_index}.")
    image, at_s = camera_frame(dataset, episode, camera_key, at_s)
    return RecordedFrame(episode_index=episode_index, camera_key=camera_key, at_s=at_s, image=image)


def first_frames(dataset: DatasetFiles, camera_key: str, episodes: Sequence[int]) -> list[RecordedFrame]:
    return [episode_frame(dataset, index, camera_key, 0.0) for index in episodes]


def drilldown_frames(
    dataset: DatasetFiles, episode_index: int, moments: Sequence[float] = (0.0, 0.5, 1.0)
) -> list[RecordedFrame]:
    """Each camera at the start, middle and end of an episode (moments are fractions of its length)."""
    episode = next((e for e in dataset.episodes if e.index == episode_index), None)
    if episode is None:
        raise DatasetError(f"The dataset at {dataset.root} has no episode {episode_index}.")
    duration_s = episode.length / dataset.fps
    return [
        episode_frame(dataset, episode_index, key, moment * duration_s)
        for key in dataset.camera_keys
        for moment in moments
    ]
