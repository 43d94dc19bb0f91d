"""A crash loses at most a second: a station killed with SIGKILL mid-episode leaves a journal, and its next start
adds the episode to the run's LeRobotDataset up to the last flushed second, registered as interrupted and taggable.

The simulated lab's devices are the only fakes (servos, cameras); the policy is the demo ACT checkpoint, the
recording lerobot's own LeRobotDataset, the registry a real SQLite file.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from core.registry import Registry
from core.station import launcher
from core.station.config import demo_station_config
from core.training.dataset_files import open_dataset
from testkit.stations import station_pid
from testkit.waiting import wait_for
from tests.faults.conftest import run_settings, start_episode

pytestmark = pytest.mark.slow
FPS = 30


def interrupted_rows(run_id: int):
    return [
        row for row in Registry.open().episode_rows(run_id=run_id) if (row.abort_reason or "").startswith("interrupted")
    ]


def test_a_kill_9_mid_episode_leaves_a_recovered_taggable_episode(demo_workspace, demo_assets):
    client = launcher.start(demo_station_config(), demo_workspace)
    start_episode(client, run_settings(demo_assets.checkpoint_dir), min_frames=4 * FPS)
    seen = client.run_status()
    pid = station_pid(demo_workspace)
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: launcher.status("demo", demo_workspace).status == "crashed", 30, "the station reported crashed")

    client = launcher.start(demo_station_config(), demo_workspace)
    try:
        rows = wait_for(lambda: interrupted_rows(seen.run_id), 180, "the interrupted episode in the registry")
        (row,) = rows
        assert row.status == "aborted" and "recovered" in row.abort_reason
        assert row.length_frames >= seen.frames - FPS, "more than a second of frames was lost"

        from lerobot.datasets import LeRobotDataset

        root = Path(seen.dataset_root)
        dataset = LeRobotDataset(f"local/rollout_{root.name}", root=root, video_backend="pyav")
        assert dataset.num_episodes == 1 and dataset.num_frames == row.length_frames
        assert tuple(dataset[row.length_frames - 1]["observation.images.front"].shape) == (3, 240, 320)
        assert not list(root.glob("tmp*")) and not (root / "images").exists(), "temp folders left behind"
        assert open_dataset(root).interrupted_episode is None

        Registry.open().tag_episode(row.episode_id, "failure", note="the station was killed")
        tagged = {r.episode_id: r for r in Registry.open().episode_rows(run_id=seen.run_id)}[row.episode_id]
        assert tagged.outcome == "failure"
    finally:
        launcher.stop("demo", demo_workspace)
