"""The faults a lab meets, each driven on the simulated demo station mid-episode, and what survived them.

Each row: a fresh station process (the simulated SO-101 and its cameras are the only fakes) opens a run with the
demo ACT checkpoint, records and tags one episode, starts a second one, lets it record about --before-s seconds and
then meets the fault. Columns:

  survived     the run's dataset loads with lerobot's LeRobotDataset, holds the faulted episode (or it was paused
               and resumed), no earlier tag is lost, and the arm was never released away from its rest pose;
  frames lost  frames the station reported recording before the fault minus the frames the dataset holds for it;
  tags lost    tags given before the fault that the registry no longer has;
  arm after    how the station left the arm (exit.json's `arm`, or the state it holds in).

Usage: .venv/bin/python bench/fault_bench.py [--before-s 4] [--fault NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import tempfile
from dataclasses import dataclass
from pathlib import Path

from core.registry import Registry
from core.sim.lab import SIM_HOME_POSE
from core.station import launcher
from core.station.config import demo_station_config
from core.station.run_settings import RunSettings
from core.station.server import exit_path
from core.workspace import WORKSPACE_ENV, Workspace
from testkit.stations import start_from_app_stand_in, station_pid
from testkit.waiting import wait_for

FPS = 30


def run_settings(checkpoint: Path, **changes) -> RunSettings:
    fields = {"task": "Grab the brain", "episode_time_s": 20.0, "start_pose": dict(SIM_HOME_POSE), **changes}
    return RunSettings(policy_dir=str(checkpoint), training_dataset=str(Workspace.default().demo_dataset), **fields)


def run_phase(client, *phases: str):
    return wait_for(lambda: (status := client.run_status()).phase in phases and status, 180, f"run {phases}")


def start_episode(client, settings: RunSettings, min_frames: int) -> None:
    client.start_run(settings)
    ready = run_phase(client, "ready", "failed")
    assert ready.between_episodes, ready.message
    wait_for(lambda: client.state().mode == "idle", 60, "the station idle")
    client.start_episode()
    wait_for(lambda: client.run_status().frames >= min_frames, 180, f"{min_frames} frames recorded")


@dataclass(frozen=True)
class Row:
    fault: str
    survived: bool
    frames_lost: int
    tags_lost: int
    arm_after: str


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before-s", type=float, default=4.0)
    parser.add_argument("--fault", action="append", choices=list(FAULTS), help="only these rows (repeatable)")
    args = parser.parse_args()
    demo = Workspace.default().ensure()
    rows = [run_fault(fault, demo, args.before_s) for fault in args.fault or FAULTS]
    print_table(rows)


def run_fault(fault: str, demo: Workspace, before_s: float) -> Row:
    workspace = Workspace(Path(tempfile.mkdtemp(prefix="fault_bench-")) / "workspace").ensure()
    workspace.demo_dir.symlink_to(demo.demo_dir.resolve(), target_is_directory=True)
    os.environ[WORKSPACE_ENV] = str(workspace.root)
    app = start_from_app_stand_in(workspace, **CONFIG_CHANGES.get(fault, {}))
    client = launcher.connect("demo", workspace)
    checkpoint = workspace.demo_dir / "checkpoint"
    try:
        start_episode(client, run_settings(checkpoint), min_frames=15)
        client.stop_episode()
        first = wait_for(lambda: (s := client.run_status()).between_episodes and s.episodes and s.episodes[-1], 60)
        Registry.open().tag_episode(first.registry_id, "success")
        wait_for(lambda: client.state().mode == "idle", 60)
        client.start_episode()
        wait_for(lambda: client.run_status().frames >= before_s * FPS, 120)
        seen = client.run_status()
        arm = FAULTS[fault](workspace, client, app)
        client = launcher.connect("demo", workspace) or launcher.start(demo_station_config(), workspace)
        rows = wait_for(lambda: _episode(seen.run_id, seen.episode_index), 180, "the faulted episode registered")
        frames = rows.length_frames
        tags = {r.episode_id: r.outcome for r in Registry.open().episode_rows(run_id=seen.run_id)}
        tags_lost = int(tags.get(first.registry_id) != "success")
        from lerobot.datasets import LeRobotDataset

        root = Path(seen.dataset_root)
        if client.run_status().is_open:
            client.end_run()
            run_phase(client, "ended", "failed")
        dataset = LeRobotDataset(f"local/rollout_{root.name}", root=root, video_backend="pyav")
        loads = dataset.num_episodes == 2 and not list(root.glob("tmp*"))
        arm = arm or _arm_now(client)
        never_dropped = "released away" not in arm
        return Row(fault, loads and not tags_lost and never_dropped, max(0, seen.frames - frames), tags_lost, arm)
    finally:
        launcher.stop("demo", workspace)
        app.kill()


def _episode(run_id: int, index: int):
    rows = [r for r in Registry.open().episode_rows(run_id=run_id) if r.episode_index == index]
    return rows[0] if rows else None


def _exit_arm(workspace: Workspace) -> str:
    path = exit_path(workspace, "demo")
    wait_for(lambda: path.exists() and path.read_text(), 120, "exit.json")
    arm = json.loads(path.read_text())["arm"]
    if arm["torque"] == "released":
        return "at rest, torque released" if arm["reached_rest"] else "released away from rest"
    return f"held under torque ({arm['message']})"


def _arm_now(client) -> str:
    state = client.state()
    return f"held under torque by the station ({state.mode})"


def _signal(sig: signal.Signals):
    def fault(workspace: Workspace, client, app) -> str:
        os.kill(station_pid(workspace), sig)
        return _exit_arm(workspace)

    return fault


def _app_killed(workspace: Workspace, client, app) -> str:
    app.kill()
    return _exit_arm(workspace)


def _kill_9(workspace: Workspace, client, app) -> str:
    os.kill(station_pid(workspace), signal.SIGKILL)
    wait_for(lambda: launcher.status("demo", workspace).status == "crashed", 30)
    return "killed: servos hold their last goal under power (nothing can park it)"


def _camera(pause_only: bool):
    def fault(workspace: Workspace, client, app) -> str:
        client.inject_fault("unplug_camera", device="sim:cam1")
        if pause_only:
            wait_for(lambda: client.run_status().paused, 30)
            client.inject_fault("plug_camera", device="sim:cam1")
            wait_for(lambda: not client.run_status().paused, 30)
            client.stop_episode()
        else:
            wait_for(lambda: (s := client.run_status()).between_episodes and len(s.episodes) == 2, 60)
            client.inject_fault("plug_camera", device="sim:cam1")
        return ""

    return fault


def _bus_lost(workspace: Workspace, client, app) -> str:
    client.inject_fault("unplug_bus")
    wait_for(lambda: (s := client.run_status()).between_episodes and len(s.episodes) == 2, 60, "the episode ended")
    arm = _arm_now(client)
    client.inject_fault("plug_bus")
    return arm


FAULTS = {
    "stop station (SIGTERM)": _signal(signal.SIGTERM),
    "Ctrl-C (SIGINT)": _signal(signal.SIGINT),
    "UI server killed": _app_killed,
    "station kill -9": _kill_9,
    "stale camera (pulled 1 s)": _camera(pause_only=True),
    "camera lost": _camera(pause_only=False),
    "cameras out of step (skew)": _camera(pause_only=True),
    "follower bus lost": _bus_lost,
}
# the skew row loosens the stale-frame and lost-camera guards so that only the skew guard (0.1 s) sees the pulled
# camera, as tests/faults/test_skew_bus_nan.py does
CONFIG_CHANGES = {"cameras out of step (skew)": {"stale_frame_s": 10.0, "camera_lost_s": 60.0}}


def print_table(rows: list[Row]) -> None:
    print("| fault | survived | frames lost | tags lost | arm after |")
    print("|---|---|---|---|---|")
    for row in rows:
        survived = "yes" if row.survived else "no"
        print(f"| {row.fault} | {survived} | {row.frames_lost} | {row.tags_lost} | {row.arm_after} |")


if __name__ == "__main__":
    main()
