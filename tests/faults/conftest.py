"""The fault suite: each fault a lab meets, driven on the simulated station (the only fakes are the simulated
lab's devices, at the hardware boundary: its servos and its cameras)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core.station import launcher
from core.station.client import StationClient
from core.station.server import exit_path
from core.workspace import Workspace
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


def start_orphanable_station(workspace: Workspace) -> int:
    """Start the demo station from a separate 'app' process, as the Streamlit server does; return that pid."""
    code = (
        "import sys, time; from core.station import launcher; from core.station.config import demo_station_config;"
        "from pathlib import Path; from core.workspace import Workspace;"
        f"launcher.start(demo_station_config(), Workspace(Path({str(workspace.root)!r})));"
        "print('started', flush=True); time.sleep(3600)"
    )
    app = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert app.stdout.readline().strip() == "started"
    return app.pid


def station_pid(workspace: Workspace, name: str = "demo") -> int:
    return json.loads(launcher.runtime_path(workspace, name).read_text())["pid"]


def kill(pid: int, sig: signal.Signals) -> None:
    os.kill(pid, sig)
