"""The deploy tests' workspace (the demo ACT checkpoint and dataset), where the shared simulated station runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.sim.lab import SIM_HOME_POSE
from core.station.client import StationClient
from core.station.run_settings import RunSettings
from core.workspace import WORKSPACE_ENV, Workspace
from testkit.stations import demo_workspace
from testkit.waiting import wait_for


@pytest.fixture(scope="module")
def deploy_workspace(tmp_path_factory: pytest.TempPathFactory, demo_assets) -> Iterator[Workspace]:
    workspace = demo_workspace(Path(tmp_path_factory.mktemp("deploy")) / "workspace", demo_assets)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(WORKSPACE_ENV, str(workspace.root))
        yield workspace


@pytest.fixture(scope="module")
def station_workspace(deploy_workspace: Workspace) -> Workspace:
    """The shared `station` fixture (tests/conftest.py) runs on the deploy workspace, with the demo assets."""
    return deploy_workspace


def settings_for(checkpoint: Path, **changes) -> RunSettings:
    """A short demo run: the demo task from the simulated lab's home pose, recorded against the demo dataset."""
    training = str(Workspace.default().demo_dataset)
    fields = {
        "task": "Grab the brain",
        "episode_time_s": 3.0,
        "start_pose": dict(SIM_HOME_POSE),
        "training_dataset": training,
        **changes,
    }
    return RunSettings(policy_dir=str(checkpoint), **fields)


def run_phase(station: StationClient, *phases: str, timeout_s: float = 120.0):
    return wait_for(lambda: (status := station.run_status()).phase in phases and status, timeout_s, interval_s=0.2)


@pytest.fixture(autouse=True)
def no_run_left_open(request: pytest.FixtureRequest):
    """Whatever a test did, the next one finds the station without an open run."""
    yield
    if "station" not in request.fixturenames:
        return
    station = request.getfixturevalue("station")
    if station.run_status().is_open:
        station.release_emergency_stop()
        station.end_run()
        run_phase(station, "ended", "failed")
