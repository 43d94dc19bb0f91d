"""Stopping the station during an episode (the stop command, SIGTERM, the UI server that started it killed): the
episode in progress ends and is saved in the run's LeRobotDataset, registered as aborted with a reason starting
"interrupted: the station stopped", and only then is the arm driven to its rest pose and disconnected.

The simulated lab's devices are the only fakes (servos, cameras); the policy is the demo ACT checkpoint, the
recording lerobot's own LeRobotDataset, the registry a real SQLite file.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from core.registry import Registry
from core.sim.lab import SIM_HOME_POSE
from core.station import launcher
from core.station.station import REST_TOLERANCE
from testkit.stations import start_from_app_stand_in, station_pid
from tests.faults.conftest import exit_record, kill, run_settings, start_episode

pytestmark = pytest.mark.slow
FPS = 30

STOPS = {
    "stop command": lambda workspace, app: launcher.stop("demo", workspace),
    "SIGTERM": lambda workspace, app: kill(station_pid(workspace), signal.SIGTERM),
    "the app that started the station is gone": lambda workspace, app: kill(app.pid, signal.SIGKILL),  # UI server
}


@pytest.mark.parametrize("how", list(STOPS))
def test_stopping_the_station_mid_episode_saves_the_episode_then_parks_the_arm(demo_workspace, demo_assets, how):
    app = start_from_app_stand_in(demo_workspace)  # the station exits with it, as with the Streamlit server
    client = launcher.connect("demo", demo_workspace)
    try:
        start_episode(client, run_settings(demo_assets.checkpoint_dir), min_frames=2 * FPS)
        seen = client.run_status()
        STOPS[how](demo_workspace, app)
        record = exit_record(demo_workspace)
    finally:
        launcher.stop("demo", demo_workspace)  # nothing left to stop once it has: the next test starts afresh
        app.kill()
        app.wait()

    assert record["clean"], record
    arm = record["arm"]
    assert arm["reason"] == how
    assert arm["reached_rest"] and arm["torque"] == "released", arm["message"]
    last = arm["last_sent"]
    assert all(abs(last[m] - v) <= 0.01 for m, v in SIM_HOME_POSE.items()), "the last command is not the rest pose"
    assert all(abs(arm["position"][m] - v) <= REST_TOLERANCE for m, v in SIM_HOME_POSE.items())

    (row,) = Registry.open().episode_rows(run_id=seen.run_id)
    assert row.status == "aborted", row
    assert row.abort_reason == f"interrupted: the station stopped ({how})"
    assert row.length_frames >= seen.frames, "frames recorded before the stop were lost"

    from lerobot.datasets import LeRobotDataset

    root = Path(seen.dataset_root)
    dataset = LeRobotDataset(f"local/rollout_{root.name}", root=root, video_backend="pyav")
    assert dataset.num_episodes == 1 and dataset.num_frames == row.length_frames
    assert tuple(dataset[row.length_frames - 1]["observation.images.front"].shape) == (3, 240, 320)
    assert not list(root.glob("tmp*")), "temp folders left behind"
