"""The automatic move home and the emergency stop on a simulated station, against their planned and stated figures.

A real simulated station process, started as the app starts it; the training start pose is the
simulated lab's home pose with a 1° spread (tolerances 5°, gripper 10). Each run starts from the
displaced start pose (the sidebar's fault: up to 35° off, gripper open at 60) and measures:
  (a) time from the move_home command to the first GO verdict at 30°/s, against the baseline of
      the plan's own duration (minimum-jerk time of the farthest joint, then of the gripper);
      GO comes a little before the plan ends, when every joint is inside its tolerance;
  (b) the largest step per control tick the move commanded (arm, gripper), against speed / fps;
  (c) a second move, emergency-stopped at 30 % of its plan: time from the press to the snapshot
      in which the station commanded the hold, against the 100 ms target, and how far the arm
      coasted past the hold point.

Usage: .venv/bin/python bench/home_reset_bench.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from core.rules.start_pose import judge_start_pose, start_pose_targets
from core.sim.lab import SIM_HOME_POSE
from core.so101 import pos_key
from core.station import launcher
from core.station.client import StationClient
from core.station.config import demo_station_config
from core.training.frame_stats import JointSpread
from core.workspace import Workspace

SPEED_DEG_S = 30.0
ESTOP_TARGET_MS = 100.0
TARGETS = start_pose_targets(
    [JointSpread(pos_key(motor), value, 1.0, value, value) for motor, value in SIM_HOME_POSE.items()]
)


def displace(station: StationClient) -> None:
    if station.state().estopped:
        station.release_emergency_stop()
    station.inject_fault("displace_start_pose")
    time.sleep(0.5)


def move_to_go(station: StationClient) -> tuple[float, dict]:
    """Seconds from the command to the first GO snapshot, and the move's last progress report."""
    displace(station)
    started = time.monotonic()
    station.move_home(dict(SIM_HOME_POSE), max_speed_deg_s=SPEED_DEG_S)
    go_after_s, progress = None, {}
    while time.monotonic() - started < 30:
        state = station.state()
        progress = state.activity or progress
        if go_after_s is None and judge_start_pose(TARGETS, state.follower_pos).go:
            go_after_s = time.monotonic() - started
        if go_after_s is not None and state.mode == "idle":
            return go_after_s, progress
        time.sleep(0.005)
    raise RuntimeError("the move home did not reach GO within 30 s")


def estop_during_move(station: StationClient) -> tuple[float, float]:
    """Milliseconds from the press to the hold command, and the arm's largest distance from the hold point after it."""
    displace(station)
    station.move_home(dict(SIM_HOME_POSE), max_speed_deg_s=SPEED_DEG_S)
    while station.state().activity.get("fraction", 0) < 0.3:
        time.sleep(0.005)
    pressed = time.time()
    station.emergency_stop()
    samples = []
    while time.time() - pressed < 0.6:
        samples.append(station.state())
        time.sleep(0.003)
    # the hold command (the present position) is the last command sent: the first snapshot that shows it (or a later
    # one,
    # if polling missed that tick, which only overstates the latency)
    hold = next(s for s in samples if s.estopped and s.last_sent == samples[-1].last_sent)
    coast = max(
        abs(s.follower_pos[m] - hold.last_sent[m])
        for s in samples
        if s.published_at >= hold.published_at
        for m in hold.last_sent
    )
    return 1000 * (hold.published_at - pressed), coast


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    workspace = Workspace(Path(tempfile.mkdtemp(prefix="home_reset_bench_")) / "workspace").ensure()
    station = launcher.start(demo_station_config(), workspace)
    try:
        fps = station.state().fps
        moves = [move_to_go(station) for _ in range(args.runs)]
        stops = [estop_during_move(station) for _ in range(args.runs)]
        loop = station.state().loop
    finally:
        launcher.stop("demo", workspace)

    go_s = [go for go, _ in moves]
    planned_s = moves[0][1]["duration_s"]
    arm_step = max(progress["max_arm_step"] for _, progress in moves)
    gripper_step = max(progress["max_gripper_step"] for _, progress in moves)
    hold_ms = [ms for ms, _ in stops]
    print(
        f"station loop: target {loop.target_ms} ms, p50 {loop.p50_ms} ms, p99 {loop.p99_ms} ms ({args.runs} runs each "
        "below)"
    )
    print(
        f"(a) time to GO at {SPEED_DEG_S:.0f}°/s from the displaced pose: median {statistics.median(go_s):.2f} s, max "
        f"{max(go_s):.2f} s; baseline (the plan's duration) {planned_s:.2f} s"
    )
    print(
        f"(b) largest commanded step per tick: arm {arm_step:.4f}° (limit {SPEED_DEG_S / fps:.4f}), "
        f"gripper {gripper_step:.4f} (limit {50.0 / fps:.4f}); the safety gate's limit is 10 per tick"
    )
    print(
        f"(c) emergency stop to hold command: median {statistics.median(hold_ms):.0f} ms, max {max(hold_ms):.0f} ms "
        f"(target {ESTOP_TARGET_MS:.0f} ms); the arm coasted at most {max(c for _, c in stops):.2f}° past the hold "
        "point"
    )
    print(
        f"emergency stop within {ESTOP_TARGET_MS:.0f} ms: {'yes' if max(hold_ms) <= ESTOP_TARGET_MS else 'NO'}; "
        f"speed limit kept: {'yes' if arm_step <= SPEED_DEG_S / fps + 1e-6 else 'NO'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
