"""A simulated station with the demo ACT checkpoint, shared by the deploy tests of one module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.station import launcher
from core.station.client import StationClient
from core.station.config import demo_station_config
from core.workspace import WORKSPACE_ENV, Workspace
from testkit.waiting import wait_for


@pytest.fixture(scope="module")
def deploy_workspace(tmp_path_factory: pytest.TempPathFactory, demo_assets) -> Iterator[Workspace]:
    workspace = Workspace(Path(tmp_path_factory.mktemp("deploy")) / "workspace").ensure()
    workspace.demo_dir.symlink_to(demo_assets.dataset_root.parent, target_is_directory=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(WORKSPACE_ENV, str(workspace.root))
        yield workspace


@pytest.fixture(scope="module")
def station(deploy_workspace: Workspace) -> Iterator[StationClient]:
    client = launcher.start(demo_station_config(), deploy_workspace)
    yield client
    launcher.stop("demo", deploy_workspace)


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
