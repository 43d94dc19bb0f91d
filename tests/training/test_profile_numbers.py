"""Known values in, exact profile numbers out: what every preflight check compares against."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.errors import DatasetError
from core.so101 import MOTOR_NAMES, pos_key
from core.training.profile import TrainingProfile, build_profile, profile_name, save_profile
from core.workspace import Workspace
from testkit.builders import EpisodeData
from tests.training.conftest import BATCH_SIZE, LENGTHS, MAIN_TASK, RENAME_MAP, SHORT_TASK, START_POSES, STEPS

TOTAL_FRAMES = sum(LENGTHS)


def test_counts_names_and_tasks_as_exact_strings(profile: TrainingProfile) -> None:
    assert (profile.total_episodes, profile.total_frames, profile.fps, profile.robot_type) == (
        4,
        40,
        30.0,
        "so_follower",
    )
    assert profile.state_names == profile.action_names == tuple(pos_key(m) for m in MOTOR_NAMES)
    assert [(t.task, t.episodes, t.frames) for t in profile.tasks] == [(MAIN_TASK, 3, 32), (SHORT_TASK, 1, 8)]


def test_start_pose_is_the_spread_of_each_episodes_first_state(profile: TrainingProfile) -> None:
    by_joint = {j.joint: j for j in profile.start_pose}
    pan = by_joint["shoulder_pan.pos"]
    assert (pan.mean, pan.min, pan.max) == (-8.0, -10.0, -6.0)
    assert pan.std == pytest.approx(np.sqrt(2.0))  # deviations 0, 2, -2, 0: population std
    for i, joint in enumerate(profile.state_names):
        assert by_joint[joint].mean == pytest.approx(START_POSES[:, i].mean())
        assert (by_joint[joint].min, by_joint[joint].max) == (START_POSES[:, i].min(), START_POSES[:, i].max())


def test_gripper_threshold_splits_closed_from_open_and_fractions_are_exact(profile: TrainingProfile) -> None:
    gripper = profile.gripper
    assert gripper is not None and gripper.joint == "gripper.pos"
    assert gripper.closed_threshold.rule == "otsu"
    assert 5.0 < gripper.closed_threshold.value < 55.0  # between the closed (0..5) and open (55, 60) values
    assert gripper.closed_fraction_action == pytest.approx(12 / 40)  # 3 + 4 + 2 + 3 closed action frames
    assert gripper.closed_fraction_state == pytest.approx(16 / 40)  # the state closes one frame longer
    assert gripper.mean_action == pytest.approx(28 * 60.0 / 40)


def test_action_jumps_stay_within_episodes(profile: TrainingProfile, episodes: list[EpisodeData]) -> None:
    within = np.concatenate([np.abs(np.diff(e.action, axis=0)) for e in episodes])
    jumps = {j.joint: j for j in profile.action_jumps}
    # elbow_flex ramps by 3 per frame; the ramp restarts each episode (127 -> 98 across a boundary)
    assert (jumps["elbow_flex.pos"].p50, jumps["elbow_flex.pos"].p95, jumps["elbow_flex.pos"].max) == (3.0, 3.0, 3.0)
    assert jumps["shoulder_pan.pos"].max == 21.0  # the +20 spike on a ramp of 1
    for i, joint in enumerate(profile.action_names):
        assert jumps[joint].p50 == pytest.approx(np.percentile(within[:, i], 50))
        assert jumps[joint].p95 == pytest.approx(np.percentile(within[:, i], 95))
        assert jumps[joint].max == pytest.approx(within[:, i].max())


def test_joint_units_are_degrees_when_an_arm_joint_passes_100(profile: TrainingProfile) -> None:
    assert profile.joint_units.units == "degrees"
    assert profile.joint_units.max_abs_arm_value == pytest.approx(98.0 + 3 * 11)  # elbow ramp, end of episode 1


def test_checkpoint_settings_and_epochs(profile: TrainingProfile, train_run_dir: Path) -> None:
    checkpoint = profile.checkpoint
    assert checkpoint is not None
    assert checkpoint.path == str((train_run_dir / "checkpoints" / "last" / "pretrained_model").resolve())
    assert (checkpoint.policy_type, checkpoint.chunk_size, checkpoint.n_action_steps) == ("act", 10, 5)
    assert checkpoint.image_keys == ("observation.images.front", "observation.images.wrist")
    assert dict(checkpoint.rename_map) == RENAME_MAP
    assert checkpoint.training is not None
    assert (checkpoint.training.steps, checkpoint.training.batch_size, checkpoint.training.checkpoint_step) == (
        STEPS,
        BATCH_SIZE,
        STEPS,
    )
    assert profile.training_frames == TOTAL_FRAMES
    assert profile.epochs == pytest.approx(STEPS * BATCH_SIZE / TOTAL_FRAMES)  # 40 epochs
    assert profile.dataset_match is not None and profile.dataset_match.status == "same"
    assert profile.warnings == ()


def test_profile_without_checkpoint_has_no_epochs(dataset_dir: Path) -> None:
    profile = build_profile(dataset_dir, reference_frames=False)
    assert (profile.checkpoint, profile.epochs, profile.dataset_match) == (None, None, None)
    assert all(camera.reference_frames == () for camera in profile.cameras)


def test_saved_profile_loads_back_equal(profile: TrainingProfile, tmp_path: Path) -> None:
    path = profile.save(tmp_path / "out" / "profile.json")
    assert TrainingProfile.load(path) == profile
    assert TrainingProfile.load(path.parent) == profile


def test_a_profile_of_another_version_or_missing_a_field_is_refused(profile: TrainingProfile, tmp_path: Path) -> None:
    path = profile.save(tmp_path / "profile.json")
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "version": 0}))
    with pytest.raises(DatasetError, match="format version 0, this Preflight reads 1: build the profile again"):
        TrainingProfile.load(path)
    del data["fps"]
    path.write_text(json.dumps(data))
    with pytest.raises(DatasetError, match=r"damaged .*TrainingProfile\.fps: missing.*build it again"):
        TrainingProfile.load(path)


def test_workspace_profiles_are_named_after_their_dataset(
    profile: TrainingProfile, dataset_dir: Path, tmp_path: Path
) -> None:
    workspace = Workspace(tmp_path / "ws")
    path = save_profile(profile, workspace)
    assert path == workspace.profiles_dir / profile_name(dataset_dir) / "profile.json"
    assert profile.name == profile_name(dataset_dir) == profile_name(str(dataset_dir) + "/")
    assert profile.name.startswith("brain_dataset-")
    assert TrainingProfile.load(path) == profile  # the Deploy run panel and Analytics read it back from there
    assert profile_name(dataset_dir.parent / "other_dataset") != profile.name
