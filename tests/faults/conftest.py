"""The fault suite: each fault a lab meets, driven on the simulated station (the only fakes are the simulated
lab's devices, at the hardware boundary: its servos and its cameras)."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.sim.lab import SIM_HOME_POSE
from core.station.client import StationClient
from core.station.run_settings import RunSettings
from core.station.server import exit_path
from core.workspace import WORKSPACE_ENV, Workspace
from testkit.waiting import wait_for

# A pose well away from the simulated lab's rest (home) pose, inside every joint's range.
AWAY_FROM_REST = {
    "shoulder_pan": 20.0,
    "shoulder_lift": -60.0,
    "elbow_flex": 60.0,
    "wrist_flex": 40.0,
    "wrist_roll": -20.0,
    "gripper": 30.0,
}


@pytest.fixture
def fault_workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "workspace").ensure()


def move_away_from_rest(client: StationClient) -> None:
    wait_for(lambda: client.state().mode == "idle", 30, "the station idle")
    client.move_home(AWAY_FROM_REST, 120.0)
    wait_for(
        lambda: max(abs(client.state().follower_pos[m] - v) for m, v in AWAY_FROM_REST.items()) < 3.0,
        60,
        "the arm away from its rest pose",
    )


def exit_record(workspace: Workspace, name: str = "demo", timeout_s: float = 90.0) -> dict:
    path = exit_path(workspace, name)
    wait_for(lambda: path.exists() and path.read_text(), timeout_s, "the station's exit.json")
    return json.loads(path.read_text())


def kill(pid: int, sig: signal.Signals) -> None:
    os.kill(pid, sig)


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory, demo_assets) -> Iterator[Workspace]:
    """A workspace with the demo dataset and ACT checkpoint, the registry the station and this test share."""
    workspace = Workspace(Path(tmp_path_factory.mktemp("faults")) / "workspace").ensure()
    workspace.demo_dir.symlink_to(demo_assets.dataset_root.parent, target_is_directory=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(WORKSPACE_ENV, str(workspace.root))
        yield workspace


def run_settings(checkpoint: Path, **changes) -> RunSettings:
    fields = {
        "task": "Grab the brain",
        "episode_time_s": 20.0,
        "start_pose": dict(SIM_HOME_POSE),
        "training_dataset": str(Workspace.default().demo_dataset),
        **changes,
    }
    return RunSettings(policy_dir=str(checkpoint), **fields)


def run_phase(client: StationClient, *phases: str, timeout_s: float = 180.0):
    return wait_for(lambda: (status := client.run_status()).phase in phases and status, timeout_s, f"run {phases}")


def start_episode(client: StationClient, settings: RunSettings, min_frames: int) -> None:
    """Open a run, start an episode and wait until it has recorded `min_frames` frames."""
    client.start_run(settings)
    ready = run_phase(client, "ready", "failed")
    assert ready.phase == "ready", ready.message
    wait_for(lambda: client.state().mode == "idle", 60, "the station idle")
    client.start_episode()
    wait_for(lambda: client.run_status().frames >= min_frames, 180, f"{min_frames} frames recorded")
