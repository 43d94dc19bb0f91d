"""The gripper check compares the levels the gripper commands reach: a gripper that stops half-way never grasps."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.analytics.diagnosis import Diagnosis, diagnose
from core.analytics.metrics import Reference, dataset_metrics
from core.training.profile import TrainingProfile
from testkit.builders import EpisodeData, write_dataset
from tests.analytics.conftest import clean_episodes


def closing_to(level: float) -> list[EpisodeData]:
    """The clean deployment, with the gripper command closing only to `level` (training closes to 0 from 60)."""
    episodes = []
    for data in clean_episodes():
        action, state = data.action.copy(), data.state.copy()
        action[action[:, 5] < 1, 5] = level
        state[1:, 5] = action[:-1, 5]  # the gripper follows its command one frame late; it starts as in training
        episodes.append(EpisodeData(data.task, state, action))
    return episodes


def diagnosed(profile: TrainingProfile, training_dir: Path, deployment: Path) -> Diagnosis:
    reference = Reference.of_profile(profile)
    return diagnose(profile, dataset_metrics(deployment, reference), training=dataset_metrics(training_dir, reference))


def test_a_gripper_that_stops_half_way_never_closes(profile, training_dir, tmp_path):
    assert 25.0 < profile.gripper.closed_threshold.value  # below the closed/open split, yet far from a grasp
    deployment = write_dataset(tmp_path / "half_way", closing_to(25.0), cameras=())
    diagnosis = diagnosed(profile, training_dir, deployment)
    assert diagnosis.ids == ("gripper_never_closes",)
    finding = diagnosis.findings[0]
    assert finding.severity == "critical"
    numbers = finding.evidence.numbers
    assert numbers["training_grasp_level"] == 0.0 and numbers["training_open_level"] == 60.0
    assert numbers["deployment_most_closed_level"] == 25.0
    assert numbers["episodes_never_closing"] == 3
    assert "grasp level 0.0" in finding.evidence.sentence and "25.0" in finding.evidence.sentence


@pytest.mark.parametrize("level", [0.0, 6.0])
def test_a_gripper_that_closes_near_the_training_grasp_level_is_no_finding(profile, training_dir, tmp_path, level):
    deployment = write_dataset(tmp_path / "closes", closing_to(level), cameras=())
    diagnosis = diagnosed(profile, training_dir, deployment)
    assert "gripper_never_closes" in diagnosis.checked
    assert diagnosis.findings == ()
