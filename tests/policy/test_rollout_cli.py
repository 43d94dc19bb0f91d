"""lerobot's own `lerobot-rollout` runs the tiny SmolVLA on the simulated follower, offline on CPU, sync and RTC,
with the rename map and inference settings this project proposes: the path the Deploy flow takes inside the station."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from core.policy.camera_slots import propose_camera_slots
from core.policy.checkpoint import CheckpointInfo
from core.policy.inference_settings import plan_inference
from core.sim.devices.config_sim_follower import default_cameras
from tests.policy.conftest import LAB_RENAME_MAP, TASK

EPISODE_S = 4


@pytest.mark.slow
@pytest.mark.parametrize("inference", ["sync", "rtc"])
def test_lerobot_rollout_runs_an_episode(smolvla_info: CheckpointInfo, tmp_path: Path, inference: str) -> None:
    slots = propose_camera_slots(
        smolvla_info, list(default_cameras())
    )  # the sim follower's front (sim:cam0) and wrist (sim:cam1)
    assert slots.rename_map == LAB_RENAME_MAP and not slots.blocking
    settings = plan_inference(smolvla_info, fps=30, inference=inference)
    assert not settings.blocking
    flags = [f"--inference.type={settings.inference}"]
    if settings.inference == "rtc":
        flags += [
            f"--inference.rtc.execution_horizon={settings.rtc_execution_horizon}",
            f"--inference.queue_threshold={settings.rtc_queue_threshold}",
        ]
    root = tmp_path / "recording"
    command = [
        str(Path(sys.executable).parent / "lerobot-rollout"),
        "--strategy.type=episodic",
        "--robot.type=preflight_sim_follower",
        # the lab renders on a thread of its own: on a 2-core machine busy with other tests it can fall 0.7 s behind,
        # which this test (lerobot's rollout driving the simulated arm) is not about
        "--robot.camera_max_age_ms=3000",
        f"--policy.path={smolvla_info.path}",
        f"--rename_map={json.dumps(slots.rename_map)}",
        *flags,
        "--device=cpu",
        "--play_sounds=false",
        "--dataset.repo_id=local/rollout_smolvla",
        f"--dataset.root={root}",
        f"--dataset.single_task={TASK}",
        "--dataset.num_episodes=1",
        f"--dataset.episode_time_s={EPISODE_S}",
        "--dataset.reset_time_s=0",
        "--dataset.push_to_hub=false",
        "--dataset.no_stamp=true",
    ]
    # One torch thread: the tiny policy's matrices are too small to share between two busy cores.
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MUJOCO_GL": "egl", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=400, cwd=tmp_path)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    assert f"Creating inference engine: {inference}" in log and "RTC inference error" not in log
    info = json.loads((root / "meta" / "info.json").read_text())
    assert info["total_episodes"] == 1
    assert {"observation.images.front", "observation.images.wrist"} <= set(
        info["features"]
    )  # recorded under the station's names
    frames = pq.read_table(next((root / "data").rglob("*.parquet"))).to_pydict()
    assert len(frames["action"]) >= (
        10 if inference == "sync" else 1
    )  # a frame is recorded for each action the policy sent
    tasks = pq.read_table(root / "meta" / "tasks.parquet").to_pandas()
    assert list(tasks.index) == [TASK]
