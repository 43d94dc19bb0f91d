"""A simulated station process shared by the tests of one module (starting one takes a few seconds)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.station import launcher
from core.station.client import StationClient
from core.station.config import demo_station_config
from core.workspace import Workspace


@pytest.fixture(scope="module")
def station_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(Path(tmp_path_factory.mktemp("station")) / "workspace").ensure()


@pytest.fixture(scope="module")
def station(station_workspace: Workspace) -> Iterator[StationClient]:
    client = launcher.start(demo_station_config(), station_workspace)
    yield client
    launcher.stop("demo", station_workspace)
