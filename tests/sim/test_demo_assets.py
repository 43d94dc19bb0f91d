"""The generated demo assets are real lerobot files: a v3.0 dataset that loads and decodes, and a checkpoint
lerobot-rollout runs; they carry the fingerprint of the code and recipe that made them, and a stale one is made again.

`demo_assets` is the workspace's full demo when it is current, otherwise a tiny demo generated for this session by
the same code (tests/conftest.py): either way what is checked is what today's generator makes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from lerobot.datasets import LeRobotDataset

from core.sim import demo_assets as generator
from core.sim.devices.config_sim_follower import SIM_FOLLOWER_TYPE
from core.sim.expert import TASK
from core.sim.lab import SIM_HOME_POSE
from core.sim.recording import RecordingPlan
from core.so101 import MOTOR_NAMES
from core.workspace import Workspace

pytestmark = pytest.mark.slow


def test_dataset_loads_with_lerobot_and_matches_the_recording_plan(demo_assets):
    dataset = LeRobotDataset(demo_assets.repo_id, root=demo_assets.dataset_root, video_backend="pyav")
    assert dataset.meta.info["codebase_version"] == "v3.0"
    assert dataset.num_episodes == demo_assets.plan.episodes  # failed takes are discarded, never counted
    assert dataset.fps == 30
    assert dataset.meta.robot_type == SIM_FOLLOWER_TYPE
    assert list(dataset.meta.tasks.index) == [TASK]
    assert dataset.meta.camera_keys == ["observation.images.front", "observation.images.wrist"]
    assert dataset.meta.features["action"]["names"] == [f"{motor}.pos" for motor in MOTOR_NAMES]


def test_videos_decode_in_first_middle_and_last_episode(demo_assets):
    dataset = LeRobotDataset(demo_assets.repo_id, root=demo_assets.dataset_root, video_backend="pyav")
    for episode in (0, dataset.num_episodes // 2, dataset.num_episodes - 1):
        start = dataset.meta.episodes[episode]["dataset_from_index"]
        item = dataset[start + 10]
        front, wrist = item["observation.images.front"], item["observation.images.wrist"]
        assert front.shape == wrist.shape == (3, 240, 320)
        assert 0.05 < float(front.mean()) < 0.95
        assert not np.allclose(front.numpy(), wrist.numpy(), atol=0.05)


def test_episodes_start_near_the_home_pose_with_the_gripper_closed(demo_assets):
    table = pq.read_table(
        next((demo_assets.dataset_root / "data").rglob("*.parquet")), columns=["observation.state", "frame_index"]
    ).to_pandas()
    starts = np.stack(table[table["frame_index"] == 0]["observation.state"].to_numpy())
    home = np.array([SIM_HOME_POSE[motor] for motor in MOTOR_NAMES])
    assert np.abs(starts - home)[:, :5].max() < 4.0
    assert starts[:, 5].max() < 3.0
    assert starts[:, :5].std(axis=0).min() > 0.2  # a person resets the arm roughly, not exactly


def test_actions_are_what_the_follower_was_sent_through_the_leader(demo_assets):
    columns = ["observation.state", "action", "episode_index"]
    table = pq.read_table(next((demo_assets.dataset_root / "data").rglob("*.parquet")), columns=columns).to_pandas()
    for _, episode in table.groupby("episode_index"):
        state, action = np.stack(episode["observation.state"].to_numpy()), np.stack(episode["action"].to_numpy())
        # The follower tracks the leader: its state is the action a frame late, never far off on the arm joints.
        assert np.median(np.abs(state[1:, :5] - action[:-1, :5])) < 3.0
        # A person moves the leader smoothly: no jump of more than a few degrees between frames.
        assert np.abs(np.diff(action[:, :5], axis=0)).max() < 10.0


def test_checkpoint_has_lerobot_train_files_and_the_demo_marker(demo_assets):
    folder = demo_assets.checkpoint_dir
    for name in (
        "config.json",
        "model.safetensors",
        "train_config.json",
        "policy_preprocessor.json",
        "policy_postprocessor.json",
        "preflight_demo.json",
    ):
        assert (folder / name).is_file(), name
    train_config = json.loads((folder / "train_config.json").read_text())
    assert Path(train_config["dataset"]["root"]) == demo_assets.dataset_root
    assert json.loads((folder / "config.json").read_text())["pretrained_backbone_weights"] is None
    assert 0 < demo_assets.checkpoint.steps <= train_config["steps"]  # a time-bounded run may stop early
    if not demo_assets.checkpoint.trained:
        assert "Untrained" in demo_assets.checkpoint.note


def test_lerobot_rollout_drives_the_simulated_follower_with_the_demo_checkpoint(demo_assets, tmp_path):
    command = [
        sys.executable,
        "-m",
        "lerobot.scripts.lerobot_rollout",
        "--strategy.type=base",
        "--robot.type=preflight_sim_follower",
        "--robot.camera_max_age_ms=3000",  # the lab's render thread may lag on a busy 2-core machine: not the point
        f"--policy.path={demo_assets.checkpoint_dir}",
        "--duration=5",
        "--policy.device=cpu",
        "--play_sounds=false",
        f"--task={TASK}",
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MUJOCO_GL": "egl", "HF_LEROBOT_HOME": str(tmp_path / "lerobot")}
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Robot connected: preflight_sim_follower" in output
    assert "Rollout finished" in output


def test_the_assets_carry_the_fingerprint_of_the_code_and_recipe_that_made_them(demo_assets):
    workspace = Workspace(demo_assets.dataset_root.parent.parent)
    assert generator.demo_assets_current(workspace, demo_assets.plan)
    recorded = json.loads((workspace.demo_dir / generator.DATASET_FINGERPRINT).read_text())
    assert recorded["fingerprint"] == generator.dataset_fingerprint(demo_assets.plan)
    checkpoint = json.loads((demo_assets.checkpoint_dir / generator.CHECKPOINT_FINGERPRINT).read_text())
    assert checkpoint["fingerprint"] in {
        generator.checkpoint_fingerprint(recorded["fingerprint"], recipe) for recipe in generator.KNOWN_RECIPES
    }
    # another recording plan is another dataset: these assets are not current for it
    assert not generator.demo_assets_current(workspace, RecordingPlan(episodes=demo_assets.plan.episodes + 1))


def test_the_code_fingerprint_follows_every_source_file_and_the_recipe(tmp_path, monkeypatch):
    package = tmp_path / "sim"
    (package / "devices").mkdir(parents=True)
    (package / "lab.py").write_text("GRAVITY = 9.81\n")
    (package / "devices" / "camera.py").write_text("FPS = 30\n")
    (tmp_path / "so101.py").write_text("MOTORS = 6\n")
    monkeypatch.setattr(generator, "SIM_PACKAGE", package)
    monkeypatch.setattr(generator, "CODE_FILES", (package, tmp_path / "so101.py"))
    seen = {generator.code_fingerprint()}
    for path, text in ((package / "devices" / "camera.py", "FPS = 25\n"), (tmp_path / "so101.py", "MOTORS = 7\n")):
        path.write_text(text)
        seen.add(generator.code_fingerprint())
    (package / "expert.py").write_text("")  # a new module
    seen.add(generator.code_fingerprint())
    assert len(seen) == 4
    dataset = generator.dataset_fingerprint(RecordingPlan())
    assert dataset != generator.dataset_fingerprint(RecordingPlan(fps=15))
    assert dataset == generator.dataset_fingerprint(RecordingPlan(workers=1))  # the worker count is only speed
    recipes = {generator.checkpoint_fingerprint(dataset, recipe) for recipe in generator.KNOWN_RECIPES}
    assert len(recipes) == len(generator.KNOWN_RECIPES)


@pytest.mark.slow
def test_a_stale_checkpoint_is_made_again_and_a_current_dataset_kept(demo_assets, tmp_path):
    """A copy of the session's demo whose checkpoint fingerprint names other code: ensuring it retrains the
    checkpoint and leaves the dataset (current) as it was."""
    workspace = Workspace(tmp_path / "workspace").ensure()
    source = Workspace(demo_assets.dataset_root.parent.parent)
    shutil.copytree(source.demo_dir, workspace.demo_dir, symlinks=True, ignore=shutil.ignore_patterns(".lock"))
    dataset_info = workspace.demo_dataset / "meta" / "info.json"
    dataset_written = dataset_info.stat().st_mtime_ns
    stale = workspace.demo_checkpoint / generator.CHECKPOINT_FINGERPRINT
    stale.write_text(json.dumps({"fingerprint": "made by older code"}))
    assert not generator.demo_assets_current(workspace, demo_assets.plan)

    remade = generator.ensure_demo_assets(workspace, plan=demo_assets.plan)
    assert generator.demo_assets_current(workspace, demo_assets.plan)
    assert json.loads(stale.read_text())["fingerprint"] != "made by older code"
    assert dataset_info.stat().st_mtime_ns == dataset_written
    assert json.loads((remade.checkpoint_dir / "train_config.json").read_text())["dataset"]["root"] == str(
        workspace.demo_dataset
    )
