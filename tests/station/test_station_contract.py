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

import pytest

from core.errors import StationError
from core.so101 import MOTOR_NAMES
from core.station import launcher
from core.station.config import demo_station_config
from core.workspace import REPO_ROOT
from testkit.waiting import wait_for


def test_state_reports_joints_cameras_and_a_running_loop_at_the_station_fps(station):
    """What the state says, and that it is live: the loop's samples and each camera's frames keep coming. (Rates and
    latencies under load are measured in bench/, not asserted here.)"""
    first = wait_for(lambda: (state := station.state()).loop.samples >= 30 and state, 60, "30 loop periods")
    state = station.state()
    assert state.mode == "idle" and not state.estopped
    assert set(state.follower_pos) == set(MOTOR_NAMES)
    assert set(state.leader_pos) == set(MOTOR_NAMES)
    assert state.camera_mapping == {"front": "sim:cam0", "wrist": "sim:cam1"}
    assert {camera.name for camera in state.cameras} == {"front", "wrist"}
    for camera in state.cameras:
        assert camera.health == "ok", camera
        assert camera.fps_measured > 0
    assert state.fps == 30 and state.loop.target_ms == pytest.approx(1000 / 30, abs=0.01)
    wait_for(lambda: station.state().published_at > first.published_at, 10, "a newer snapshot")
    for role in ("front", "wrist"):
        frame = station.frame(role, after_seq=0)
        assert station.frame(role, after_seq=frame.seq, wait_s=10.0).seq > frame.seq, f"{role} stopped sending"


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


def move_samples(station, until) -> list:
    """Every distinct station snapshot until `until(samples)` holds (a generous deadline, never a fixed wait)."""
    samples: list = []

    def done() -> bool:
        state = station.state()
        if not samples or state.published_at != samples[-1].published_at:
            samples.append(state)
        return until(samples)

    wait_for(done, 60, "the move's end", interval_s=0.005)
    return samples


def test_move_home_reaches_the_target_without_a_step_above_the_limit(station):
    station.set_leader({})
    target = dict(station.state().follower_pos)
    target["shoulder_pan"] -= 20.0
    speed = 40.0
    station.move_home(target, max_speed_deg_s=speed)
    samples = move_samples(station, lambda seen: any(s.mode == "move_home" for s in seen) and seen[-1].mode == "idle")
    limit = speed / station.state().fps  # degrees per control tick
    moving = [s for s in samples if s.mode == "move_home" and s.activity and s.last_sent]
    assert len(moving) > 5, "too few snapshots of the move"
    # the move's own record of every commanded step, and what the station sent between the snapshots seen
    assert max(s.activity["max_arm_step"] for s in moving) <= limit + 1e-3
    for a, b in zip(moving, moving[1:]):
        ticks = max(1, round((b.activity["elapsed_s"] - a.activity["elapsed_s"]) * b.fps))
        assert abs(b.last_sent["shoulder_pan"] - a.last_sent["shoulder_pan"]) <= ticks * limit + 1e-3
    assert moving[-1].last_sent["shoulder_pan"] == pytest.approx(target["shoulder_pan"], abs=limit)
    wait_for(lambda: abs(station.state().follower_pos["shoulder_pan"] - target["shoulder_pan"]) < 1.0, 30, "arrival")


def test_emergency_stop_halts_a_motion_the_hold_is_the_last_command(station):
    target = dict(station.state().follower_pos)
    target["shoulder_pan"] += 40.0
    station.move_home(target, max_speed_deg_s=60.0)
    wait_for(lambda: station.state().activity.get("fraction", 0) > 0.3, 30, "the move under way")
    pressed = station.state().follower_pos["shoulder_pan"]
    station.emergency_stop()
    latched = wait_for(lambda: (state := station.state()).estopped and state.mode == "idle" and state, 30, "the latch")
    hold = latched.last_sent
    assert abs(hold["shoulder_pan"] - pressed) < 2.0, "the hold is where the arm was, not where it was going"
    after = move_samples(station, lambda seen: len(seen) >= 30)  # one second of the 30 Hz loop
    assert all(s.estopped and s.last_sent == hold and not s.activity for s in after), "a command after the hold"
    timings = station.timings()
    assert timings.estop_received_at <= timings.estop_hold_at
    wait_for(lambda: abs(station.state().follower_pos["shoulder_pan"] - hold["shoulder_pan"]) < 0.5, 30, "at rest")
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
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert result.returncode == 3
    assert "already driven by station 'demo'" in result.stdout + result.stderr
    assert station.ping() == "pong"


def test_a_crashed_station_is_reported_as_crashed(workspace):
    client = launcher.start(demo_station_config("crashy"), workspace)
    os.kill(client.address.pid, signal.SIGKILL)
    process = wait_for(lambda: (p := launcher.status("crashy", workspace)).status == "crashed" and p, 30, "crashed")
    assert "crashed" in process.message and "start the station again" in process.message
    assert launcher.connect("crashy", workspace) is None


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
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    station_pid = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    wait_for(lambda: not _alive(station_pid), timeout_s=60)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().split(")")[-1].split()[0] != "Z"
