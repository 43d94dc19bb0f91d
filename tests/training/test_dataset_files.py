"""The pyarrow dataset reader returns what lerobot itself reads, and the episode layout lerobot wrote."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.training.dataset_files import open_dataset
from testkit.builders import EpisodeData
from tests.training.conftest import LENGTHS, MAIN_TASK, SHORT_TASK


def test_metadata_and_episodes(dataset_dir: Path) -> None:
    dataset = open_dataset(dataset_dir)
    assert (dataset.fps, dataset.robot_type, dataset.total_frames, dataset.total_episodes) == (
        30.0,
        "so_follower",
        40,
        4,
    )
    assert dataset.video_keys == ("observation.images.front", "observation.images.wrist")
    assert set(dataset.tasks) == {MAIN_TASK, SHORT_TASK}
    assert [episode.length for episode in dataset.episodes] == list(LENGTHS)
    assert [episode.tasks for episode in dataset.episodes] == [(MAIN_TASK,), (MAIN_TASK,), (SHORT_TASK,), (MAIN_TASK,)]
    starts = [episode.videos["observation.images.front"].from_timestamp_s for episode in dataset.episodes]
    assert np.allclose(starts, np.cumsum((0, *LENGTHS[:-1])) / 30)  # episodes follow each other in one file
    assert dataset.feature_names("action")[-1] == "gripper.pos"


def test_columns_match_the_values_written(dataset_dir: Path, episodes: list[EpisodeData]) -> None:
    columns = open_dataset(dataset_dir).read_columns(["episode_index", "frame_index", "observation.state", "action"])
    assert columns["action"].shape == (40, 6) and columns["observation.state"].shape == (40, 6)
    np.testing.assert_array_equal(columns["action"], np.concatenate([e.action for e in episodes]).astype(np.float32))
    np.testing.assert_array_equal(
        columns["observation.state"], np.concatenate([e.state for e in episodes]).astype(np.float32)
    )
    assert columns["episode_index"].tolist() == [i for i, n in enumerate(LENGTHS) for _ in range(n)]
    assert columns["frame_index"].tolist() == [f for n in LENGTHS for f in range(n)]


def test_columns_match_lerobots_own_reader(dataset_dir: Path) -> None:
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    reference = LeRobotDataset("local/preflight_test", root=dataset_dir, video_backend="pyav").hf_dataset.with_format(
        "numpy"
    )
    columns = open_dataset(dataset_dir).read_columns(["action", "index"])
    np.testing.assert_array_equal(columns["action"], np.stack(reference["action"]))
    np.testing.assert_array_equal(columns["index"], np.asarray(reference["index"]))
