"""The simulated lab's speed: physics plus two cameras, and scripted expert episodes per minute.

Figures:
  (a) lockstep: simulate 1/30 s and render both cameras, as fast as one thread can, at 320x240
      and 640x480 (frames per second; dataset generation runs this loop).
  (b) realtime, the station's mode: the lab's thread runs physics at wall-clock rate and renders
      both cameras at 30 fps while a control loop in another thread of the same process reads
      observations and sends actions at 30 Hz; reported: distinct camera frames per second and
      control-loop rate, at 320x240 and 640x480.
  (c) expert episodes per minute ("Grab the brain", lockstep), without and with the two
      320x240 cameras rendered (video encoding not included), with their success rate.
Target (the baseline this is compared with): at least 30 fps with two 640x480 cameras on 2 cores,
in (a) and in (b).

Usage: .venv/bin/python bench/sim_bench.py [--seconds 5] [--episodes 6]
"""

from __future__ import annotations

import argparse
import os
import threading
import time

import numpy as np

import core  # noqa: F401  (MUJOCO_GL=egl before mujoco is imported)
from core.sim.devices import SimCameraConfig, SimFollowerConfig
from core.sim.devices.sim_follower import SimFollower
from core.sim.expert import GrabBrainExpert
from core.sim.lab import close_lab, get_lab
from core.sim.recording import start_pose_near_home

TARGET_FPS = 30.0
SIZES = ((320, 240), (640, 480))


def follower(lab_id: str, clock: str, width: int, height: int) -> SimFollower:
    cameras = {
        name: SimCameraConfig(device=device, width=width, height=height, fps=30)
        for name, device in (("front", "sim:cam0"), ("wrist", "sim:cam1"))
    }
    return SimFollower(SimFollowerConfig(lab_id=lab_id, clock=clock, cameras=cameras))


def lockstep_fps(width: int, height: int, seconds: float) -> float:
    lab_id = f"bench-lockstep-{width}"
    robot = follower(lab_id, "lockstep", width, height)
    robot.connect()
    try:
        frames, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            robot.lab.advance(1 / 30)
            robot.get_observation()
            frames += 1
        return frames / (time.perf_counter() - started)
    finally:
        robot.disconnect()
        close_lab(lab_id)


def realtime_rates(width: int, height: int, seconds: float) -> tuple[float, float]:
    """(distinct frames per second per camera, control-loop Hz) with a 30 Hz loop in another thread."""
    lab_id = f"bench-realtime-{width}"
    robot = follower(lab_id, "realtime", width, height)
    robot.connect()
    ticks = 0
    seen: set[float] = set()
    stop = threading.Event()

    def control_loop() -> None:
        nonlocal ticks
        period, next_tick = 1 / TARGET_FPS, time.perf_counter()
        while not stop.is_set():
            observation = robot.get_observation()
            seen.add(robot.lab.latest_frame("sim:cam0", width, height).timestamp_s)
            robot.send_action(
                {key: value + 0.1 * np.sin(ticks / 10) for key, value in observation.items() if key.endswith(".pos")}
            )
            ticks += 1
            next_tick += period
            time.sleep(max(0.0, next_tick - time.perf_counter()))

    try:
        time.sleep(0.5)
        thread = threading.Thread(target=control_loop)
        started = time.perf_counter()
        thread.start()
        time.sleep(seconds)
        stop.set()
        thread.join()
        elapsed = time.perf_counter() - started
        return len(seen) / elapsed, ticks / elapsed
    finally:
        robot.disconnect()
        close_lab(lab_id)


def expert_episodes_per_minute(episodes: int, render: bool) -> tuple[float, int]:
    lab_id = f"bench-expert-{render}"
    lab = get_lab(lab_id, "lockstep")
    robot = follower(lab_id, "lockstep", 320, 240) if render else None
    if robot:
        robot.connect()
    successes, started = 0, time.perf_counter()
    try:
        for seed in range(episodes):
            rng = np.random.default_rng(seed)
            lab.reset(start_pose_near_home(rng, 1.5), lab.faults.object_region.sample(rng))
            expert = GrabBrainExpert(lab, 30, rng)
            while not expert.done:
                lab.set_targets(expert.next_action())
                lab.advance(1 / 30)
                if robot:
                    robot.get_observation()
            successes += lab.brain().grasped_and_lifted
        return episodes / (time.perf_counter() - started) * 60, successes
    finally:
        if robot:
            robot.disconnect()
        close_lab(lab_id)


def verdict(value: float) -> str:
    return "meets" if value >= TARGET_FPS else "BELOW"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each fps measurement")
    parser.add_argument("--episodes", type=int, default=6, help="expert episodes per measurement")
    args = parser.parse_args()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"sim_bench: {os.cpu_count()} CPUs (load average {load}), MUJOCO_GL={os.environ.get('MUJOCO_GL')}; target >= "
        f"{TARGET_FPS:.0f} fps with two 640x480 cameras"
    )
    get_lab("bench-warmup", "lockstep")  # mesh cache and first compile outside the timings
    close_lab("bench-warmup")
    for width, height in SIZES:
        fps = lockstep_fps(width, height, args.seconds)
        print(
            f"(a) lockstep physics + 2 cameras {width}x{height}: {fps:6.1f} fps  ({verdict(fps)} {TARGET_FPS:.0f} fps)"
        )
    for width, height in SIZES:
        frames, loop = realtime_rates(width, height, args.seconds)
        print(
            f"(b) realtime 2 cameras {width}x{height} + 30 Hz control loop: {frames:5.1f} camera fps, "
            f"loop {loop:5.1f} Hz  ({verdict(min(frames, loop) + 0.5)} {TARGET_FPS:.0f})"
        )
    for render in (False, True):
        per_minute, successes = expert_episodes_per_minute(args.episodes, render)
        label = "with 2 cameras 320x240" if render else "physics + IK only     "
        print(f"(c) expert episodes {label}: {per_minute:6.1f} per minute, {successes}/{args.episodes} successful")


if __name__ == "__main__":
    main()
