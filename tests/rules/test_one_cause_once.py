"""One cause is reported once: a displaced start pose changes what the wrist camera sees at the start of each
episode; that is the start pose's finding, not also a visual shift."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.analytics.diagnosis import Diagnosis, camera_views, diagnose
from core.analytics.metrics import Reference, dataset_metrics
from core.training.dataset_files import open_dataset
from core.training.profile import TrainingProfile
from testkit.builders import EpisodeData, write_dataset
from tests.analytics.conftest import clean_episodes, later_session


def wrist_looks_elsewhere(camera: str, episode: int, frame: int, shape: tuple[int, int, int]) -> np.ndarray:
    """The wrist camera of an arm turned away at the start: it sees the room instead of the table, darker."""
    image = later_session(camera, episode, frame, shape)
    if camera == "wrist" and frame == 0:
        image = (later_session("front", episode, frame, shape)[..., ::-1] * 0.4).astype(np.uint8)
    return image


def displaced(episodes: list[EpisodeData]) -> list[EpisodeData]:
    """elbow_flex 30 degrees off the training start pose at the start of every episode."""
    moved = []
    for data in episodes:
        state = data.state.copy()
        state[0, 2] += 30.0
        moved.append(EpisodeData(data.task, state, data.action))
    return moved


def diagnosed(profile: TrainingProfile, training_dir: Path, deployment: Path) -> Diagnosis:
    reference = Reference.of_profile(profile)
    return diagnose(
        profile,
        dataset_metrics(deployment, reference),
        training=dataset_metrics(training_dir, reference),
        views=camera_views(open_dataset(deployment)),
    )


@pytest.fixture(scope="module")
def other_wrist_picture_at_the_start_pose(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("one_cause") / "at_start"
    return write_dataset(root, clean_episodes(), image_of=wrist_looks_elsewhere, repo_id="local/at_start")


def test_a_displaced_start_pose_is_the_start_pose_and_not_a_visual_shift(profile, training_dir, tmp_path):
    deployment = write_dataset(
        tmp_path / "displaced", displaced(clean_episodes()), image_of=wrist_looks_elsewhere, repo_id="local/moved"
    )
    diagnosis = diagnosed(profile, training_dir, deployment)
    assert diagnosis.ids == ("start_pose",)
    assert "visual_shift" in diagnosis.checked  # it ran, and left the displaced starts to start_pose


def test_the_same_wrist_picture_at_the_start_pose_is_a_visual_shift(
    profile, training_dir, other_wrist_picture_at_the_start_pose
):
    diagnosis = diagnosed(profile, training_dir, other_wrist_picture_at_the_start_pose)
    assert diagnosis.ids == ("visual_shift",)
    assert diagnosis.findings[0].evidence.numbers["shifted"] == ["wrist"]
