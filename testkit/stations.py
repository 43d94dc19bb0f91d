"""A simulated station process for tests and benches, started as the app starts it and always stopped after."""

from __future__ import annotations

import json
import subprocess
import sys
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


def start_from_app_stand_in(workspace: Workspace, **config_changes: float) -> subprocess.Popen:
    """Start the demo station (its config with `config_changes`, numbers such as stale_frame_s) from a separate
    process that stays, as the Streamlit server does (the station exits with it); returns that 'app' process."""
    code = (
        "import dataclasses, time; from pathlib import Path; from core.station import launcher;"
        "from core.station.config import demo_station_config; from core.workspace import Workspace;"
        f"config = dataclasses.replace(demo_station_config(), **{config_changes!r});"
        f"launcher.start(config, Workspace(Path({str(workspace.root)!r})));"
        "print('started', flush=True); time.sleep(3600)"
    )
    app = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert app.stdout.readline().strip() == "started"
    return app


def station_pid(workspace: Workspace, name: str = "demo") -> int:
    """The pid of the running station `name`, from its runtime file."""
    return json.loads(launcher.runtime_path(workspace, name).read_text())["pid"]
