"""Policy control loop inside the station, with the Deploy page open, against `lerobot-rollout` run standalone.

Same simulated robot, demo ACT checkpoint, lerobot strategy code, recording and torch threads on both sides; then
emergency stops mid-episode (a station client and the page's button). Targets: p99 within 1.1x the standalone
p99, emergency stop under 100 ms, at least 95 % of the frames recorded with the page open. Method and figures:
docs/benchmarks.md#loop_bench.

Usage: .venv/bin/python bench/loop_bench.py [--episode-s 60] [--presses 6] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

from core.registry import Registry
from core.station import launcher
from core.station.client import StationClient
from core.station.config import demo_station_config
from core.station.policy_runs import inference_threads
from core.station.rollout_config import ENCODER_THREADS, training_video_encoder
from core.station.run_settings import RunSettings
from core.workspace import REPO_ROOT, Workspace
from testkit.bench_support import (
    CpuMeter,
    browser_pids,
    chromium,
    demo_workspace,
    load_average,
    stop_on_sigterm,
    streamlit_server,
)
from testkit.waiting import wait_for

TASK = "Grab the brain"
TARGET_RATIO = 1.1
TARGET_ESTOP_MS = 100.0
TARGET_FRAME_SHARE = 0.95
VIEWPORT = {"width": 1280, "height": 1700}
CLICK_ESTOP_JS = """(button) => { const pressed = Date.now(); button.click(); return pressed; }"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def episode(station: StationClient) -> int:
    """Start an episode once the arm is idle; returns how many episodes had ended before it."""
    wait_for(
        lambda: station.state().mode == "idle" and station.run_status().between_episodes, 120, "the run to be ready"
    )
    before = len(station.run_status().episodes)
    station.start_episode()
    wait_for(lambda: station.run_status().episode_running, 60, "the episode to start")
    return before


def episode_ended(station: StationClient, before: int, timeout_s: float):
    """The outcome once saved; tagged "untagged" at once, as the operator would, so the next episode may start."""
    outcome = wait_for(
        lambda: (
            ((status := station.run_status()).between_episodes or status.has_failed)
            and len(status.episodes) > before
            and status.episodes[-1]
        ),
        timeout_s,
        "the episode to end and be saved",
        interval_s=0.2,
    )
    if outcome.registry_id is not None:
        Registry.open().tag_episode(outcome.registry_id, "untagged", note="loop_bench")
    return outcome


def press_estop(station: StationClient, page, by_click: bool) -> tuple[tuple[float, float] | None, str]:
    """One emergency stop mid-episode: milliseconds from the press to the station, and to the hold reaching the robot.

    None (with the reason) when the episode had already ended by itself before the press landed.
    """
    before = episode(station)
    time.sleep(random.uniform(0.8, 1.6))  # anywhere in the chunk cycle: between inferences or during one
    if by_click:
        pressed_at = page.get_by_role("button", name="EMERGENCY STOP", exact=True).evaluate(CLICK_ESTOP_JS) / 1000
    else:
        pressed_at = time.time()
        station.emergency_stop()
    timings = wait_for(
        lambda: (t := station.timings()).estop_hold_at and t.estop_received_at >= pressed_at - 0.01 and t,
        10,
        "the hold command",
    )
    outcome = episode_ended(station, before, 120)
    station.release_emergency_stop()
    if outcome.reason != "emergency stop":
        return None, f"{outcome.status}: {outcome.reason}"
    return (1000 * (timings.estop_received_at - pressed_at), 1000 * (timings.estop_hold_at - pressed_at)), ""


def measured_episode(station: StationClient, episode_s: float, meter: CpuMeter) -> tuple[list[float], list[str]]:
    """The periods of one full episode (up to 3 tries when one ends early by itself), and why the others ended."""
    periods, aborted = [], []
    for attempt in range(1, 4):
        before = episode(station)
        meter.start()
        ends = time.monotonic() + episode_s * 0.9
        while time.monotonic() < ends and station.run_status().episode_running:
            time.sleep(0.2)
        cpu = meter.stop()
        window = station.state().loop  # what the sidebar shows: the last 300 periods of the loop and the episode, mixed
        outcome = episode_ended(station, before, episode_s + 120)
        print(
            f"  episode: {outcome.frames} frames in {outcome.duration_s:.1f} s ({outcome.status} {outcome.reason}); "
            f"the station's LoopStats near its end: p50 {window.p50_ms} ms, p99 {window.p99_ms} ms; {load_average()}",
            flush=True,
        )
        print(
            "  CPU during the episode (% of one core): "
            + ", ".join(f"{name} {percent:.0f}%" for name, percent in cpu.items()),
            flush=True,
        )
        attempt_periods = list(station.timings().rollout_periods_ms)
        if len(attempt_periods) > len(periods):
            periods = attempt_periods
        if outcome.status == "recorded":
            break
        aborted.append(outcome.reason)
        print(f"  the episode ended early (attempt {attempt} of 3)", flush=True)
    return periods, aborted


def preflight_side(workspace: Workspace, checkpoint: Path, episode_s: float, presses: int) -> dict:
    config = demo_station_config()
    station = launcher.start(config, workspace)
    try:
        with streamlit_server(REPO_ROOT / "app" / "asgi.py", workspace) as (url, app_pid), chromium() as browser:
            meter = CpuMeter(
                {"station": lambda: [station.address.pid], "app server": lambda: [app_pid], "chromium": browser_pids}
            )
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(f"{url}/deploy")
            page.get_by_text("Task sentence matches a training task exactly").first.wait_for(timeout=180_000)
            for camera in config.camera_mapping:
                page.wait_for_function(
                    f"document.querySelector(\"img[alt='live {camera} camera']\")?.naturalWidth > 0", timeout=60_000
                )
            print(f"Deploy page open; loading the policy in the station; {load_average()}", flush=True)
            print("Preflight, Deploy page open:", flush=True)
            settings = RunSettings(
                policy_dir=str(checkpoint),
                task=TASK,
                episode_time_s=episode_s,
                reset="none",
                training_dataset=str(workspace.demo_dataset),
            )
            station.start_run(settings)
            periods, aborted = measured_episode(station, episode_s, meter)
            latencies, attempts = [], 0
            while len(latencies) < presses and attempts < 2 * presses:
                attempts += 1
                by_click = len(latencies) % 2 == 1
                latency, ended_by = press_estop(station, page, by_click)
                source = "page click" if by_click else "client"
                if latency is None:
                    print(
                        f"  emergency stop ({source}) not counted: the episode had ended before it ({ended_by})",
                        flush=True,
                    )
                    continue
                latencies.append((by_click, latency[1]))
                print(
                    f"  emergency stop {len(latencies)}/{presses} ({source}): hold after {latency[1]:.1f} ms "
                    f"(the station had the command after {latency[0]:.1f} ms)",
                    flush=True,
                )
            page.close()
            print("Preflight, Deploy page closed (reference):", flush=True)
            no_page, _ = measured_episode(station, episode_s, meter)
            station.end_run()
            wait_for(lambda: not station.run_status().is_open, 120, "the run to end", interval_s=0.2)
    finally:
        launcher.stop(config.name, workspace)
    return {"periods_ms": periods, "no_page_periods_ms": no_page, "estop_ms": latencies, "aborted": aborted}


def encoder_flags(training_dataset: Path) -> list[str]:
    """The training set's video encoder as lerobot CLI flags: what the station's runs record with."""
    encoder = training_video_encoder(str(training_dataset))
    fields = {
        "vcodec": encoder.vcodec,
        "pix_fmt": encoder.pix_fmt,
        "g": encoder.g,
        "crf": encoder.crf,
        "preset": encoder.preset,
    }
    return [f"--dataset.rgb_encoder.{name}={value}" for name, value in fields.items() if value is not None]


def standalone_side(workspace: Workspace, checkpoint: Path, episode_s: float, device: str) -> list[float]:
    scratch = workspace.root.parent / "standalone"
    scratch.mkdir()
    out = scratch / "periods.json"
    cameras = ", ".join(
        f'{spec.name}: {{type: preflight_sim_camera, device: "{spec.device}", width: {spec.width}, height: '
        f"{spec.height}, fps: {spec.fps}}}"
        for spec in demo_station_config().cameras
    )
    command = [
        sys.executable,
        str(REPO_ROOT / "bench" / "timed_lerobot_rollout.py"),
        "--strategy.type=episodic",
        "--strategy.reset_to_initial_position=false",
        "--strategy.smooth_handover=false",
        "--robot.type=preflight_sim_follower",
        f"--robot.cameras={{{cameras}}}",
        f"--policy.path={checkpoint}",
        f"--policy.device={device}",
        "--fps=30",
        "--play_sounds=false",
        f"--task={TASK}",
        "--return_to_initial_position=false",
        "--dataset.repo_id=local/rollout_loop_bench",
        f"--dataset.root={scratch / 'recording'}",
        f"--dataset.single_task={TASK}",
        "--dataset.num_episodes=1",
        f"--dataset.episode_time_s={episode_s}",
        "--dataset.reset_time_s=0",
        "--dataset.push_to_hub=false",
        "--dataset.no_stamp=true",
        # recorded as the station records (core/station/rollout_config.py): video encoded while recording, with the
        # training set's encoder
        "--dataset.streaming_encoding=true",
        f"--dataset.encoder_threads={ENCODER_THREADS}",
        *encoder_flags(workspace.demo_dataset),
    ]
    env = {**os.environ, "LOOP_BENCH_PERIODS_OUT": str(out), "HF_LEROBOT_HOME": str(scratch / "lerobot")}
    with open(scratch / "rollout.log", "wb") as log:
        result = subprocess.run(
            command, cwd=scratch, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=episode_s + 300
        )
    if result.returncode != 0 or not out.is_file():
        raise RuntimeError(f"lerobot-rollout failed (exit {result.returncode}); see {scratch / 'rollout.log'}")
    return json.loads(out.read_text())["periods_ms"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episode-s", type=float, default=60.0, help="length of the measured episode on each side")
    parser.add_argument(
        "--presses", type=int, default=6, help="emergency stops, alternately from a client and a page click"
    )
    parser.add_argument("--json", type=Path, help="also write every period and latency measured to this file")
    args = parser.parse_args()
    stop_on_sigterm()
    print(f"loop_bench at start: {load_average()}", flush=True)
    threads = inference_threads()
    os.environ["PREFLIGHT_TORCH_THREADS"] = str(threads)  # the station and the standalone run both read it
    import torch

    device = (
        "cuda" if torch.cuda.is_available() else "cpu"
    )  # what the station's runs pick (core/station/rollout_config.py)
    workspace = demo_workspace("loop_bench_")
    checkpoint = workspace.demo_checkpoint

    standalone = standalone_side(workspace, checkpoint, args.episode_s, device)
    print(f"standalone lerobot-rollout: {len(standalone)} periods; {load_average()}", flush=True)
    preflight = preflight_side(workspace, checkpoint, args.episode_s, args.presses)

    period_ms = 1000 / 30
    rows = {
        "Preflight station, Deploy page open": preflight["periods_ms"],
        "Preflight station, no page (reference)": preflight["no_page_periods_ms"],
        "lerobot-rollout standalone (CLI)": standalone,
    }
    print()
    print(
        f"policy loop periods, {args.episode_s:.0f} s episode, target {period_ms:.1f} ms; torch threads {threads} on "
        f"both sides; device {device}"
    )
    expected = round(args.episode_s * 30)
    print(f"{'':40}{'frames':>14}{'p50':>9}{'p99':>9}{'max':>9}{'late':>6}{'late p50':>10}")
    for name, periods in rows.items():
        late = [p for p in periods if p > 1.5 * period_ms]  # mostly the ticks that compute a new action chunk
        frames = f"{len(periods) + 1}/{expected} {(len(periods) + 1) / expected:>4.0%}"
        print(
            f"{name:40}{frames:>14}{percentile(periods, 50):>7.1f}ms{percentile(periods, 99):>7.1f}ms"
            f"{max(periods):>7.1f}ms"
            f"{len(late):>6}{percentile(late, 50):>8.1f}ms"
        )
    print(
        "(late: periods over 1.5 x the target, mostly the ticks that run a new action chunk; late p50 is their median)"
    )
    if preflight["aborted"]:
        print(f"Preflight episodes that ended early before a full one (or before giving up): {preflight['aborted']}")
    ratio = percentile(preflight["periods_ms"], 99) / percentile(standalone, 99)
    share = (len(preflight["periods_ms"]) + 1) / expected
    print(
        f"frames recorded with the Deploy page open: {share:.1%} of {expected} (target >= {TARGET_FRAME_SHARE:.0%})  "
        f"{'PASS' if share >= TARGET_FRAME_SHARE else 'FAIL'}"
    )
    if args.json:
        args.json.write_text(json.dumps({"standalone_periods_ms": standalone, **preflight, "p99_ratio": ratio}))
    estop = [ms for _, ms in preflight["estop_ms"]]
    by_client = [ms for click, ms in preflight["estop_ms"] if not click]
    by_click = [ms for click, ms in preflight["estop_ms"] if click]
    print(
        f"p99 ratio Preflight / standalone: {ratio:.2f} (target <= {TARGET_RATIO})  "
        f"{'PASS' if ratio <= TARGET_RATIO else 'FAIL'}"
    )
    if not estop:
        print("no emergency stop landed mid-episode")
        return 1
    print(
        f"emergency stop to hold command, {len(estop)} presses mid-episode: p50 {percentile(estop, 50):.1f} ms, max "
        f"{max(estop):.1f} ms (client {', '.join(f'{ms:.0f}' for ms in by_client)}; page click "
        f"{', '.join(f'{ms:.0f}' for ms in by_click)} ms) (target < {TARGET_ESTOP_MS:.0f} ms)  "
        f"{'PASS' if max(estop) < TARGET_ESTOP_MS else 'FAIL'}"
    )
    print(f"loop_bench at end: {load_average()}")
    shutil.rmtree(
        workspace.root.parent, ignore_errors=True
    )  # kept when the bench fails: its logs are named in the error
    return 0


if __name__ == "__main__":
    sys.exit(main())
