"""The registry at a lab's scale, SQLite and PostgreSQL in the same run.

(a) 8 station processes write 10,000 episodes in all, each with a tag, in 100 runs (1,250 episodes and
    12 or 13 runs per station; one record_episode and one tag_episode transaction per episode, as a
    station and its operator make them), all at once against one registry: episodes per second.
(b) Analytics' fleet data for those 100 runs in a fresh process's first call (every episode row read, the run
    picker's dataset lookups, then `core.analytics.view.fleet`): best of 3, and the same with a station filter.
Both durable: SQLite in WAL mode with its default synchronous=FULL, PostgreSQL with fsync on (a throwaway
cluster, testkit/postgres.py, unix socket). Target: (b) under 1 s on either backend.

Usage: .venv/bin/python bench/registry_bench.py [--episodes 10000] [--stations 8]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

RUNS = 100


def station(url: str, checkpoint: str, name: str, episodes: int, runs: int, start_at_s: float) -> None:
    """One station: `runs` runs of equal share, every episode recorded then tagged."""
    from core.registry import Registry

    registry = Registry.open(url)
    policy = registry.register_policy(checkpoint)
    time.sleep(max(0.0, start_at_s - time.time()))
    for run_index in range(runs):
        run = registry.start_run(
            policy.id,
            station=name,
            dataset_root=f"/recordings/{name}/run{run_index}",
            task="Grab the brain",
            chunk_size=(10, 50)[run_index % 2],
            n_action_steps=(5, 25)[run_index % 2],
            fps=30,
            camera_mapping={"front": "0", "wrist": "2"},
        )
        share = episodes // runs + (run_index < episodes % runs)
        for index in range(share):
            episode = registry.record_episode(
                run.id, run.dataset_root, index, length_frames=300, started_at=datetime.now(UTC)
            )
            registry.tag_episode(episode.id, ("success", "failure")[index % 3 == 0], score=index % 101)


def fleet_timing(url: str) -> None:
    """In a fresh process, modules imported: the first fleet load (engine, schema check, rows, table), best of 3
    after it, and one with a station filter."""
    from core.analytics.runs import find_recordings
    from core.analytics.view import fleet
    from core.registry import Registry
    from core.workspace import Workspace

    started = time.perf_counter()
    workspace = Workspace(Path(tempfile.mkdtemp(prefix="registry_bench-")))

    def load(**chosen):
        rows = Registry.open(url).episode_rows()
        find_recordings(workspace, rows)  # the page's run picker: where this computer finds each run's dataset
        return rows, fleet(rows, **chosen)

    rows, lab = load()
    first_s = time.perf_counter() - started
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        load()
        timings.append(time.perf_counter() - started)
    started = time.perf_counter()
    load(station=["arm-3"])
    filtered_s = time.perf_counter() - started
    print(f"{len(rows)} {len(lab.runs)} {first_s:.3f} {min(timings):.3f} {filtered_s:.3f}")


def write_checkpoint(folder: Path) -> Path:
    """A `pretrained_model/` folder with a tiny real model.safetensors: all the registry reads of a policy."""
    import numpy as np
    from safetensors.numpy import save_file

    folder.mkdir(parents=True)
    save_file({"weight": np.zeros((8, 8), dtype=np.float32)}, folder / "model.safetensors")
    (folder / "config.json").write_text('{"type": "act"}')
    return folder


def measure(url: str, checkpoint: Path, stations: int, episodes: int) -> dict[str, float]:
    from core.registry import Registry

    Registry.open(url)  # schema made before the clock starts
    start_at_s = time.time() + 3.0
    per_station = [episodes // stations + (i < episodes % stations) for i in range(stations)]
    runs = [RUNS // stations + (i < RUNS % stations) for i in range(stations)]
    writers = [
        subprocess.Popen(
            [sys.executable, __file__, "--station", f"arm-{i + 1}", "--url", url, "--checkpoint", str(checkpoint)]
            + ["--episodes", str(per_station[i]), "--runs", str(runs[i]), "--start-at", str(start_at_s)]
        )
        for i in range(stations)
    ]
    if any(writer.wait() for writer in writers):
        raise SystemExit("a station process failed")
    write_s = time.time() - start_at_s
    counts = Registry.open(url).counts()
    assert counts["episodes"] == episodes and counts["tags"] == episodes and counts["runs"] == RUNS, counts
    out = subprocess.run([sys.executable, __file__, "--fleet", url], check=True, capture_output=True, text=True)
    rows, fleet_runs, first_s, best_s, filtered_s = out.stdout.split()
    assert int(rows) == episodes and int(fleet_runs) == RUNS
    return {
        "write_s": write_s,
        "episodes_per_s": episodes / write_s,
        "first_s": float(first_s),
        "best_s": float(best_s),
        "filtered_s": float(filtered_s),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--episodes", type=int, default=10_000)
    parser.add_argument("--stations", type=int, default=8)
    parser.add_argument("--station")
    parser.add_argument("--url")
    parser.add_argument("--checkpoint")
    parser.add_argument("--runs", type=int)
    parser.add_argument("--start-at", type=float)
    parser.add_argument("--fleet")
    args = parser.parse_args()
    if args.station:
        return station(args.url, args.checkpoint, args.station, args.episodes, args.runs, args.start_at)
    if args.fleet:
        return fleet_timing(args.fleet)

    from testkit.postgres import throwaway_postgres

    with tempfile.TemporaryDirectory(prefix="registry-bench-") as folder, throwaway_postgres(durable=True) as server:
        checkpoint = write_checkpoint(Path(folder) / "act_brain" / "checkpoints" / "005000" / "pretrained_model")
        results = {
            "SQLite": measure(f"sqlite:///{folder}/registry.sqlite", checkpoint, args.stations, args.episodes),
            "PostgreSQL": measure(server.create_database("bench"), checkpoint, args.stations, args.episodes),
        }
    print(f"{args.stations} stations, {args.episodes} episodes with a tag each, {RUNS} runs")
    print("| backend | write (s) | episodes/s | fleet data, first call (s) | best of 3 (s) | one station (s) |")
    print("|---|---|---|---|---|---|")
    for backend, r in results.items():
        print(
            f"| {backend} | {r['write_s']:.1f} | {r['episodes_per_s']:.0f} | {r['first_s']:.3f} | "
            f"{r['best_s']:.3f} | {r['filtered_s']:.3f} |"
        )
    slow = [backend for backend, r in results.items() if r["first_s"] >= 1.0]
    if slow:
        raise SystemExit(f"fleet data over 1 s on {', '.join(slow)}")


if __name__ == "__main__":
    main()
