"""A simulated station process for tests and benches, started as the app starts it and always stopped after."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.station import launcher
from core.station.client import StationClient
from core.station.config import StationConfig, demo_station_config
from core.workspace import Workspace


def demo_workspace(root: Path, demo_assets) -> Workspace:
    """A workspace at `root` whose demo folder is the given demo assets (their dataset and checkpoint)."""
    workspace = Workspace(Path(root)).ensure()
    workspace.demo_dir.symlink_to(Path(demo_assets.dataset_root).parent, target_is_directory=True)
    return workspace


@contextmanager
def running_station(workspace: Workspace, config: StationConfig | None = None) -> Iterator[StationClient]:
    """The station of `config` (the simulated demo station by default) running on `workspace`; stopped on exit."""
    config = config or demo_station_config()
    client = launcher.start(config, workspace)
    try:
        yield client
    finally:
        launcher.stop(config.name, workspace)
