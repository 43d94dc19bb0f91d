"""Epochs and steps, the merge check and a real merge through lerobot, and the lerobot-train command line."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.errors import PreflightError
from core.registry import Registry
from core.training import planner
from core.training.dataset_files import open_dataset
from core.workspace import REPO_ROOT
from tests.analytics.conftest import (  # noqa: F401  (the analytics data set: training set, runs, checkpoint)
    clean_dir,
    data_dir,
    fault_dirs,
    sane_checkpoint,
    train_run_dir,
    training_dir,
)


def test_epochs_and_steps_are_inverse() -> None:
    # the lab's failure: 15.9 epochs on about 100,000 frames
    assert planner.epochs(100_000, 16, 100_600) == pytest.approx(15.9, abs=0.01)
    assert planner.steps_for_epochs(5, 8, 100_000) == 62_500
    assert planner.steps_for_epochs(5, 8, 100_001) == 62_501  # rounded up: at least the target
    assert planner.epochs(planner.steps_for_epochs(7.3, 32, 11_939), 32, 11_939) >= 7.3
    assert planner.epochs(1000, 8, 4000, processes=2) == 4.0
    with pytest.raises(PreflightError, match="batch_size must be at least 1"):
        planner.epochs(10, 0, 100)


def test_plan_says_where_the_epochs_fall() -> None:
    plan = planner.plan_training(100_000, 8, steps=200_000, policy_type="act")
    assert plan.epochs == 16.0 and plan.verdict == "above"
    assert planner.plan_training(100_000, 8, target_epochs=5, policy_type="act").verdict == "typical"
    smolvla = planner.plan_training(11_939, 64, steps=20_000, policy_type="smolvla")
    assert (
        smolvla.epochs == pytest.approx(107.2, abs=0.1) and smolvla.verdict == "above"
    )  # the published recipe, past the lab's evidence
    lab = planner.plan_training(100_000, 64, steps=24_844, policy_type="smolvla")
    assert lab.epochs == pytest.approx(15.9, abs=0.01) and lab.verdict == "above"  # the lab's memorising run is flagged
    assert planner.guidance_for("diffusion") is planner.ACT_GUIDANCE
    with pytest.raises(PreflightError, match="either the steps or the target epochs"):
        planner.plan_training(100, 8)


def test_video_keys_ignored_by_the_merge_check_are_lerobots() -> None:
    from lerobot.configs.video import VIDEO_ENCODER_INFO_KEYS

    assert planner.VIDEO_ENCODER_INFO_KEYS == VIDEO_ENCODER_INFO_KEYS


def test_merge_check_explains_mismatches(training_dir: Path, clean_dir: Path, fault_dirs: dict[str, Path]) -> None:  # noqa: F811
    assert planner.check_merge(training_dir, [clean_dir]).ok
    fps = planner.check_merge(training_dir, [fault_dirs["fps_mismatch"]])
    assert not fps.ok and "15 fps" in fps.problems[0] and "30 fps" in fps.problems[0]
    task = planner.check_merge(training_dir, [fault_dirs["task_mismatch"]])
    assert task.ok and "'Grab the brain '" in task.notes[0]
    assert task.frames == 6 * 24 + 3 * 24
    excluding = planner.check_merge(training_dir, [clean_dir], exclude_training=[0, 5, 99])  # 99: not an episode
    assert (excluding.frames, excluding.episodes) == (4 * 24 + 3 * 24, 4 + 3)
    assert planner.training_frames(training_dir, [0, 5]) == 4 * 24


def test_merge_keeps_successful_episodes_through_lerobot(workspace, training_dir, clean_dir, sane_checkpoint) -> None:  # noqa: F811
    registry = Registry.open()
    run = registry.start_run(
        registry.register_policy(sane_checkpoint).id,
        station="lab",
        dataset_root=clean_dir,
        task="Grab the brain",
        chunk_size=10,
        n_action_steps=5,
        fps=30,
        camera_mapping={},
    )
    started = datetime(2026, 1, 1, tzinfo=UTC)
    ids = [registry.record_episode(run.id, clean_dir, i, length_frames=24, started_at=started).id for i in range(3)]
    registry.tag_episode(ids[0], "success")
    registry.tag_episode(ids[1], "failure")
    registry.tag_episode(ids[2], "success")
    successes = planner.successful_episodes(registry, [clean_dir])
    assert successes == {str(clean_dir.resolve()): (0, 2)}

    output = planner.merged_root("brain_mixed")
    result = planner.merge_recordings(training_dir, [clean_dir], output, keep="success", successes=successes)
    assert (result.episodes, result.frames) == (8, 8 * 24)
    merged = open_dataset(output)
    assert merged.total_episodes == 8 and merged.total_frames == 8 * 24
    assert open_dataset(clean_dir).total_episodes == 3  # the source is untouched
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    dataset = LeRobotDataset(result.repo_id, root=output, video_backend="pyav")
    assert tuple(dataset[7 * 24]["observation.images.front"].shape) == (3, 48, 64)  # a merged deployment frame decodes

    with pytest.raises(PreflightError, match="already exists"):
        planner.merge_recordings(training_dir, [clean_dir], output, keep="all")
    assert not list(output.parent.glob(".*parts"))  # scratch copies are gone


def test_merge_refuses_what_lerobot_cannot_merge(workspace, training_dir: Path, fault_dirs: dict[str, Path]) -> None:  # noqa: F811
    with pytest.raises(PreflightError, match="15 fps"):
        planner.merge_recordings(training_dir, [fault_dirs["fps_mismatch"]], planner.merged_root("bad"), keep="all")
    with pytest.raises(PreflightError, match="tagged success"):
        planner.merge_recordings(
            training_dir, [fault_dirs["start_pose"]], planner.merged_root("none"), keep="success", successes={}
        )
    assert not planner.merged_root("bad").exists()


def test_train_command_line(tmp_path: Path) -> None:
    command = planner.train_command(tmp_path / "my set", "local/my_set", steps=62_500, batch_size=8, policy_type="act")
    arguments = shlex.split(command)
    assert arguments[0] == "lerobot-train"
    assert f"--dataset.root={tmp_path / 'my set'}" in arguments
    assert {
        "--dataset.repo_id=local/my_set",
        "--policy.type=act",
        "--steps=62500",
        "--batch_size=8",
        "--policy.push_to_hub=false",
    } <= set(arguments)
    finetune = shlex.split(
        planner.train_command(tmp_path, "local/x", steps=10, batch_size=4, policy_path="/ckpt/pretrained_model")
    )
    assert "--policy.path=/ckpt/pretrained_model" in finetune and not any(
        a.startswith("--policy.type") for a in finetune
    )


def test_plan_command(training_dir: Path, clean_dir: Path) -> None:  # noqa: F811
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "plan",
            "--dataset",
            str(training_dir),
            "--add",
            str(clean_dir),
            "--epochs",
            "5",
            "--json",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    plan = json.loads(result.stdout)
    assert plan["frames"] == 9 * 24 and plan["steps"] == 135 and plan["epochs"] == 5.0
    assert "--steps=135" in plan["command"] and plan["merge_problems"] == []
