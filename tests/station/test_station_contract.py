"""The station process contract: start, state, commands, the robot lock, crash detection, shutdown.

Runs a real station process on the simulated lab (MuJoCo follower, leader and cameras
behind lerobot's interfaces), exactly as the app starts it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from core.errors import StationError
from core.so101 import MOTOR_NAMES
from core.station import launcher
from core.station.config import demo_station_config
from core.workspace import REPO_ROOT
from testkit.waiting import wait_for


def test_state_reports_joints_cameras_and_loop_at_the_station_fps(station):
    wait_for(lambda: station.state().loop.samples >= 30)
    state = station.state()
    assert state.mode == "idle" and not state.estopped
    assert set(state.follower_pos) == set(MOTOR_NAMES)
    assert set(state.leader_pos) == set(MOTOR_NAMES)
    assert state.camera_mapping == {"front": "sim:cam0", "wrist": "sim:cam1"}
    for camera in state.cameras:
        assert camera.health == "ok", camera
        assert camera.frame_age_ms < 200
        assert 20 <= camera.fps_measured <= 40
    assert state.loop.target_ms == pytest.approx(33.33, abs=0.01)
    assert 30 <= state.loop.p50_ms <= 37


def test_frames_are_jpeg_and_keep_coming(station):
    first = station.frame("front", after_seq=0)
    later = station.frame("front", after_seq=first.seq, wait_s=1.0)
    assert first.jpeg[:3] == b"\xff\xd8\xff" and later.seq > first.seq


def test_leader_mirroring_moves_the_follower_and_blocks_the_move_home(station):
    station.set_mirror(True)
    try:
        start = station.state().follower_pos["shoulder_pan"]
        station.set_leader({"shoulder_pan": start + 8.0})
        wait_for(lambda: abs(station.state().follower_pos["shoulder_pan"] - (start + 8.0)) < 1.0)
        with pytest.raises(StationError, match="Leader mirroring is on"):
            station.move_home({"shoulder_pan": start})
    finally:
        station.set_mirror(False)


def test_move_home_reaches_the_target_without_a_step_above_the_limit(station):
    station.set_leader({})
    target = dict(station.state().follower_pos)
    target["shoulder_pan"] -= 20.0
    station.move_home(target, max_speed_deg_s=40.0)
    states = []
    wait_for(lambda: states.append(station.state()) or states[-1].mode == "idle" and len(states) > 3, timeout_s=15)
    final = states[-1].follower_pos
    assert abs(final["shoulder_pan"] - target["shoulder_pan"]) < 1.0


def test_emergency_stop_halts_a_motion_within_100_ms(station):
    target = dict(station.state().follower_pos)
    target["shoulder_pan"] += 40.0
    station.move_home(target, max_speed_deg_s=60.0)
    wait_for(lambda: station.state().activity.get("fraction", 0) > 0.3)
    pressed = station.state().follower_pos["shoulder_pan"]
    station.emergency_stop()
    time.sleep(0.1)
    state = station.state()
    hold = state.last_sent["shoulder_pan"]
    assert state.estopped and state.mode == "idle"
    assert abs(hold - pressed) < 2.0, "the hold is where the arm was, not where it was going"
    positions = []
    for _ in range(10):
        time.sleep(0.05)
        positions.append(station.state().follower_pos["shoulder_pan"])
    assert max(abs(p - hold) for p in positions) < 1.5, "the arm kept moving after the emergency stop"
    assert abs(positions[-1] - hold) < 0.5
    with pytest.raises(StationError, match="Emergency stop is latched"):
        station.move_home(target)
    station.release_emergency_stop()


def test_a_second_process_cannot_drive_the_same_robot(station, station_workspace):
    result = subprocess.run(
        [sys.executable, "-m", "core", "station", "run", "--name", "demo", "--workspace", str(station_workspace.root)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 3
    assert "already driven by station 'demo'" in result.stdout + result.stderr
    assert station.ping() == "pong"


def test_a_crashed_station_is_reported_and_not_restarted(workspace):
    client = launcher.start(demo_station_config("crashy"), workspace)
    os.kill(client.address.pid, signal.SIGKILL)
    process = wait_for(lambda: (p := launcher.status("crashy", workspace)).status == "crashed" and p)
    assert "crashed" in process.message and "start the station again" in process.message
    time.sleep(1.0)
    assert launcher.connect("crashy", workspace) is None  # nobody restarted it


def test_stop_leaves_no_process_and_a_dead_parent_takes_its_station_along(workspace):
    client = launcher.start(demo_station_config("tidy"), workspace)
    launcher.stop("tidy", workspace)
    assert launcher.status("tidy", workspace).status == "stopped"
    assert not _alive(client.address.pid)

    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import time
            import core
            from pathlib import Path
            from core.station import launcher
            from core.station.config import demo_station_config
            from core.workspace import Workspace
            client = launcher.start(demo_station_config("orphan"), Workspace(Path({str(workspace.root)!r})))
            print(client.address.pid, flush=True)
            time.sleep(60)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )
    station_pid = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    wait_for(lambda: not _alive(station_pid), timeout_s=10)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().split(")")[-1].split()[0] != "Z"
