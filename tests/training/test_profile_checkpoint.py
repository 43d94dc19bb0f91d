"""Checkpoint folders at every level lerobot-train writes, and the ways they can disagree with the dataset."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from core.errors import CheckpointError
from core.policy.checkpoint import read_checkpoint
from core.training.profile import build_profile
from testkit.builders import write_act_checkpoint
from tests.training.conftest import BATCH_SIZE, LENGTHS, STEPS


def copy_checkpoint(pretrained_dir: Path, destination: Path) -> Path:
    """A copy of a pretrained_model folder and its training_state, without the weights this module never reads."""
    target = destination / "checkpoints" / pretrained_dir.parent.name
    shutil.copytree(pretrained_dir.parent, target, ignore=shutil.ignore_patterns("*.safetensors"))
    return target / "pretrained_model"


def test_reads_pretrained_model_checkpoint_and_run_folders_alike(train_run_dir: Path, checkpoint_dir: Path) -> None:
    folders = [checkpoint_dir, checkpoint_dir.parent, train_run_dir]
    infos = [read_checkpoint(folder) for folder in folders]
    assert {info.path for info in infos} == {str(checkpoint_dir.resolve())}


def test_an_earlier_checkpoint_counts_the_steps_it_was_saved_at(dataset_dir: Path, train_run_dir: Path) -> None:
    profile = build_profile(dataset_dir, train_run_dir / "checkpoints" / "000100", reference_frames=False)
    assert profile.checkpoint is not None and profile.checkpoint.training is not None
    assert (profile.checkpoint.training.checkpoint_step, profile.checkpoint.training.steps) == (100, STEPS)
    assert profile.epochs == pytest.approx(100 * BATCH_SIZE / sum(LENGTHS))


def test_training_on_an_episode_subset_counts_only_those_frames(dataset_dir: Path, tmp_path: Path) -> None:
    pretrained = write_act_checkpoint(tmp_path / "run", dataset_dir, steps=50, batch_size=4, train_episodes=[0, 2])
    profile = build_profile(dataset_dir, pretrained, reference_frames=False)
    assert profile.training_frames == LENGTHS[0] + LENGTHS[2]
    assert profile.epochs == pytest.approx(50 * 4 / (LENGTHS[0] + LENGTHS[2]))


def test_a_checkpoint_trained_on_another_dataset_is_flagged_not_refused_and_gets_no_epochs_from_this_one(
    dataset_dir: Path, checkpoint_dir: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other_dataset"
    other.mkdir()
    pretrained = copy_checkpoint(checkpoint_dir, tmp_path / "run")
    train_config_path = pretrained / "train_config.json"
    train_config = json.loads(train_config_path.read_text())
    train_config["dataset"].update(repo_id="lab/other_dataset", root=str(other))
    train_config_path.write_text(json.dumps(train_config))

    profile = build_profile(dataset_dir, pretrained, reference_frames=False)
    assert profile.dataset_match is not None and profile.dataset_match.status == "different"
    assert str(other) in profile.dataset_match.detail
    assert (profile.epochs, profile.training_frames) == (None, None)  # this dataset's frames do not count
    assert any(str(other) in warning and "Epochs are not computed" in warning for warning in profile.warnings)


def test_a_training_path_from_another_machine_matches_by_folder_name(
    dataset_dir: Path, checkpoint_dir: Path, tmp_path: Path
) -> None:
    pretrained = copy_checkpoint(checkpoint_dir, tmp_path / "run")
    train_config_path = pretrained / "train_config.json"
    train_config = json.loads(train_config_path.read_text())
    train_config["dataset"]["root"] = f"/home/lab/datasets/{dataset_dir.name}"
    train_config_path.write_text(json.dumps(train_config))

    profile = build_profile(dataset_dir, pretrained, reference_frames=False)
    assert profile.dataset_match is not None and profile.dataset_match.status == "same_name"
    assert profile.warnings == ()


def test_a_checkpoint_without_train_config_has_no_epochs(
    dataset_dir: Path, checkpoint_dir: Path, tmp_path: Path
) -> None:
    pretrained = copy_checkpoint(checkpoint_dir, tmp_path / "run")
    (pretrained / "train_config.json").unlink()
    profile = build_profile(dataset_dir, pretrained, reference_frames=False)
    assert profile.checkpoint is not None and profile.checkpoint.training is None
    assert (profile.epochs, profile.dataset_match) == (None, None)
    assert profile.checkpoint.chunk_size == 10


def test_a_folder_without_config_is_not_a_checkpoint(checkpoint_dir: Path, tmp_path: Path) -> None:
    pretrained = copy_checkpoint(checkpoint_dir, tmp_path / "run")
    (pretrained / "config.json").unlink()
    with pytest.raises(CheckpointError, match="no config.json.*Give the pretrained_model folder"):
        read_checkpoint(pretrained)


def test_a_checkpoint_without_processors_names_the_migration_command(checkpoint_dir: Path, tmp_path: Path) -> None:
    pretrained = copy_checkpoint(checkpoint_dir, tmp_path / "run")
    (pretrained / "policy_preprocessor.json").unlink()
    with pytest.raises(
        CheckpointError, match="python -m lerobot.processor.migrate_policy_normalization --pretrained-path"
    ):
        read_checkpoint(pretrained)


def test_a_missing_checkpoint_folder_says_so(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="does not exist. Check the path"):
        read_checkpoint(tmp_path / "nope")


def test_migration_command_names_an_installed_lerobot_module() -> None:
    import importlib.util

    assert importlib.util.find_spec("lerobot.processor.migrate_policy_normalization") is not None
