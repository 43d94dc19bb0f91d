"""Locks that no other user can redirect or pre-empt, stale pids never signalled, names that cannot escape the
workspace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import PreflightError, StationError
from core.station import launcher
from core.station.config import StationConfig, demo_station_config
from core.station.ownership import LOCK_FILE, is_station_process, process_start_ticks, robot_lock
from core.station.server import runtime_path
from core.training.planner import merged_root
from core.workspace import Workspace
from testkit.waiting import wait_for


def test_a_symlinked_lock_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    folder = tmp_path / "stations" / "demo"
    folder.mkdir(parents=True, mode=0o700)
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    (folder / LOCK_FILE).symlink_to(victim)
    with pytest.raises(StationError, match="never a link"), robot_lock(None, folder, "demo"):
        pass
    assert victim.read_text() == "keep me"


def test_a_lock_folder_others_can_write_to_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)
    with pytest.raises(StationError, match="others cannot write"), robot_lock(None, folder, "demo"):
        pass


def test_the_lock_is_exclusive_names_its_holder_and_is_never_truncated(tmp_path: Path) -> None:
    folder = tmp_path / "stations" / "demo"
    with robot_lock(None, folder, "demo"):
        size = (folder / LOCK_FILE).stat().st_size
        with pytest.raises(StationError, match=rf"already driven by station 'demo' \(pid {os.getpid()}\)"):
            with robot_lock(None, folder, "other"):
                pass
    assert oct((folder / LOCK_FILE).stat().st_mode & 0o777) == "0o600"
    with robot_lock(None, folder, "demo"):
        assert (folder / LOCK_FILE).stat().st_size == size


def test_a_real_arm_locks_its_serial_port_itself(tmp_path: Path) -> None:
    port = tmp_path / "ttyACM0"  # a file stands in for the device: flock works on any file
    port.write_bytes(b"")
    with robot_lock(str(port), tmp_path, "lab"):
        with pytest.raises(StationError, match="already driven"), robot_lock(str(port), tmp_path / "x", "lab2"):
            pass
    with pytest.raises(StationError, match="lerobot-find-port"), robot_lock(str(tmp_path / "nothing"), tmp_path, "x"):
        pass


def test_a_stale_pid_that_now_belongs_to_another_process_is_never_signalled(workspace: Workspace) -> None:
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        demo_station_config().save(workspace)
        runtime = {"pid": other.pid, "host": "127.0.0.1", "port": 1, "authkey": "00", "start_ticks": 1}
        runtime_path(workspace, "demo").write_text(json.dumps(runtime))
        launcher.stop("demo", workspace, timeout_s=0.5)
        assert other.poll() is None  # still running: stop() checked its command line and start time
    finally:
        other.kill()
        other.wait()


def test_a_station_process_is_told_by_command_line_and_start_time() -> None:
    station_like = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", "-m", "core", "station", "run", "--name", "demo"]
    )
    try:
        ticks = process_start_ticks(station_like.pid)
        # until the child has exec'd, /proc shows the parent's command line: wait for the station's
        wait_for(lambda: b"station" in Path(f"/proc/{station_like.pid}/cmdline").read_bytes(), 30, "the child's exec")
        assert is_station_process(station_like.pid, "demo", ticks)
        assert not is_station_process(station_like.pid, "demo", (ticks or 0) + 1)  # a reused pid starts later
        assert not is_station_process(station_like.pid, "lab", ticks)
        assert not is_station_process(os.getpid(), "demo", process_start_ticks(os.getpid()))
    finally:
        station_like.kill()
        station_like.wait()


@pytest.mark.parametrize("name", ["../../checkpoint", "a/b", "..", "", "x" * 65, "demo.json", "name with space"])
def test_a_station_name_that_could_escape_is_refused(workspace: Workspace, name: str) -> None:
    config = StationConfig(name=name, kind="sim", cameras=())
    with pytest.raises(StationError, match="letters, digits"):
        config.save(workspace)
    with pytest.raises(StationError, match="letters, digits"):
        StationConfig.load(workspace, name)
    assert not any(workspace.root.parent.rglob("config.json"))


def test_a_station_named_after_a_checkpoint_folder_cannot_overwrite_its_config(workspace: Workspace) -> None:
    checkpoint = workspace.root.parent / "checkpoint"
    checkpoint.mkdir()
    (checkpoint / "config.json").write_text('{"type": "act"}')
    with pytest.raises(StationError):
        StationConfig(name=str(checkpoint), kind="sim", cameras=()).save(workspace)
    assert (checkpoint / "config.json").read_text() == '{"type": "act"}'


@pytest.mark.parametrize("name", ["../../escape", os.sep + "x", "a/../../b", "x" * 65])  # os.sep + "x": absolute
def test_a_merged_dataset_name_that_could_escape_is_refused(workspace: Workspace, name: str) -> None:
    with pytest.raises(PreflightError, match="letters, digits"):
        merged_root(name, workspace)
    assert merged_root("grab_the_brain_mixed-2", workspace) == workspace.root / "merged" / "grab_the_brain_mixed-2"
