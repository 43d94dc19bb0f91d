"""Analytics page data at the lab's scale, against a per-episode pandas baseline in the same run.

Data: the training set of bench/profile_bench.py (241 episodes, about 100,000 frames; generated
and cached there, reused here) and 10 deployment runs of 24 episodes each derived from it (its
frames, with chunk-boundary jumps added to every other run; videos hard-linked, so no encoding),
plus a registry with a tag on most episodes. Cached under `<workspace>/cache/bench/analytics_v2/`.

Figures, in one process, best of 3 after a warm-up (file cache warm):
  (a) load_analytics: metrics of the training set and the 10 runs, registry join, success table
  (b) baseline: the same per-episode numbers with pandas groupby, one episode at a time
plus the rest of what the page computes before drawing (summary table and figures), and one
server-side PNG export (kaleido, cold and warm) for context.
Target: (a) plus the summary and figures under 1 s.

Usage: .venv/bin/python bench/analytics_bench.py [--rebuild]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from bench.profile_bench import best_of, lab_scale_root, write_lab_scale_dataset
from core.analytics.export import figure_png
from core.analytics.metrics import Reference
from core.analytics.runs import join_registry
from core.analytics.view import figures, load_analytics, summary_table
from core.registry import Registry
from core.rules.start_pose import start_pose_distance
from core.so101 import GRIPPER, motor_of
from core.training.dataset_files import open_dataset
from core.training.profile import TrainingProfile, build_profile
from core.workspace import Workspace

RUNS = 10
RUN_EPISODES = 24
CHUNK_JUMP_DEG = 8.0  # added to shoulder_pan every n_action_steps frames in every other run
N_ACTION_STEPS = 10
VERSION = 2  # 2: built from profile_bench v2 (one row group per episode, as lerobot writes)
DATA_COLUMNS = ["episode_index", "observation.state", "action"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--rebuild", action="store_true", help="regenerate the cached runs (the training set is profile_bench's)"
    )
    args = parser.parse_args()
    bench_dir = Workspace.default().cache_dir / "bench"
    training_root = lab_scale_root("lerobot")
    if not (training_root / "COMPLETE").is_file():
        started = time.perf_counter()
        write_lab_scale_dataset(training_root, "lerobot")
        print(f"generated the training set {training_root} in {time.perf_counter() - started:.1f} s")
    root = bench_dir / f"analytics_v{VERSION}"
    if args.rebuild or not (root / "COMPLETE").is_file():
        started = time.perf_counter()
        build_runs(training_root, root)
        print(f"generated {RUNS} runs and a registry in {root} in {time.perf_counter() - started:.1f} s")

    profile_path = root / "profile.json"
    if not profile_path.is_file():
        build_profile(training_root, reference_frames=False).save(profile_path)
    profile = TrainingProfile.load(profile_path)
    runs = sorted(path for path in (root / "runs").iterdir() if path.is_dir())
    rows = Registry.open(f"sqlite:///{root / 'registry.sqlite'}").episode_rows()

    data = load_analytics(profile, runs, rows)  # warm-up, and the numbers both ways must agree
    check_same_numbers(data.episodes, pandas_baseline(profile, runs, rows))
    ours_s, baseline_s = best_interleaved(
        3, lambda: load_analytics(profile, runs, rows), lambda: pandas_baseline(profile, runs, rows)
    )
    page_s = best_of(3, lambda: page_data(profile, runs, rows))
    figure = figures(data)["action_jumps"]
    started = time.perf_counter()
    figure_png(figure)
    png_cold_s = time.perf_counter() - started
    png_warm_s = best_of(3, lambda: figure_png(figure))

    frames = data.training.total_frames + sum(run.total_frames for run in data.runs)
    print(
        f"training: {len(data.training.episodes)} episodes, {data.training.total_frames} frames; {RUNS} runs: "
        f"{sum(len(r.episodes) for r in data.runs)} episodes, {frames - data.training.total_frames} frames; "
        f"{len(rows)} registry rows"
    )
    print(f"(a) load_analytics (vectorised numpy)      : {ours_s * 1000:8.1f} ms")
    print(f"(b) baseline: per-episode pandas groupby   : {baseline_s * 1000:8.1f} ms")
    print(f"    page data: (a) + summary + 5 figures   : {page_s * 1000:8.1f} ms")
    print(f"    kaleido PNG export, cold / warm        : {png_cold_s * 1000:8.1f} / {png_warm_s * 1000:.1f} ms")
    print(f"ratio (b)/(a) = {baseline_s / ours_s:.1f}  (the baseline is this many times slower)")
    print(f"page data under 1 s: {'yes' if page_s < 1.0 else 'NO'}")
    return 0


def page_data(profile: TrainingProfile, runs: list[Path], rows: list) -> None:
    data = load_analytics(profile, runs, rows)
    summary_table(data)
    figures(data)


def pandas_baseline(profile: TrainingProfile, runs: list[Path], rows: list) -> pd.DataFrame:
    """The straightforward way: each dataset into a DataFrame, then one episode at a time."""
    reference = Reference.of_profile(profile)
    threshold = reference.closed_threshold
    training_pose = {target.motor: target.mean for target in reference.start_pose}
    tables = []
    for root in [Path(profile.dataset_dir), *runs]:
        dataset = open_dataset(root)
        names = dataset.feature_names("action")
        motors = [motor_of(name) for name in names]
        gripper = motors.index(GRIPPER)
        frame = pd.concat(pd.read_parquet(path, columns=DATA_COLUMNS) for path in dataset.data_files())
        records = []
        for episode_index, episode in frame.groupby("episode_index", sort=True):
            action = np.stack(episode["action"].to_numpy()).astype(np.float64)
            state = np.stack(episode["observation.state"].to_numpy()).astype(np.float64)
            jumps = np.abs(np.diff(action, axis=0))
            record = {
                "dataset_root": str(dataset.root),
                "episode_index": int(episode_index),
                "length_frames": len(episode),
                "closed_fraction_action": float(np.mean(action[:, gripper] <= threshold)),
                "closed_fraction_state": float(np.mean(state[:, gripper] <= threshold)),
                "mean_gripper_action": float(action[:, gripper].mean()),
                "start_pose_distance_deg": start_pose_distance(training_pose, dict(zip(motors, state[0]))),
            }
            for i, motor in enumerate(motors):
                record[f"jump_p95.{motor}"] = float(np.percentile(jumps[:, i], 95)) if len(jumps) else 0.0
                record[f"jump_max.{motor}"] = float(jumps[:, i].max()) if len(jumps) else 0.0
            records.append(record)
        tables.append(pd.DataFrame(records))
    return join_registry(pd.concat(tables, ignore_index=True), rows)


def check_same_numbers(ours: pd.DataFrame, baseline: pd.DataFrame) -> None:
    columns = [
        c for c in baseline.columns if c.startswith(("jump_", "closed_", "mean_", "start_pose_distance", "length"))
    ]
    difference = (ours[columns].astype(float) - baseline[columns].astype(float)).abs().max().max()
    assert len(ours) == len(baseline) and difference < 1e-4, f"the two ways disagree by {difference}"
    assert (ours["outcome"].to_numpy() == baseline["outcome"].to_numpy()).all()


def best_interleaved(repeats: int, first: Callable[[], object], second: Callable[[], object]) -> tuple[float, float]:
    """Alternate the two so that a busy moment of a shared machine does not favour either."""
    a, b = [], []
    for _ in range(repeats):
        a.append(best_of(1, first))
        b.append(best_of(1, second))
    return min(a), min(b)


def build_runs(training_root: Path, root: Path) -> None:
    """Deployment runs derived from the training set: its episodes, renumbered, some with chunk jumps."""
    if root.exists():
        shutil.rmtree(root)
    training = open_dataset(training_root)
    info = json.loads((training_root / "meta" / "info.json").read_text())
    table = pa.concat_tables(pq.read_table(path) for path in training.data_files())
    episodes = pq.read_table(sorted((training_root / "meta" / "episodes").glob("*/*.parquet"))[0])
    registry = Registry.open(f"sqlite:///{root / 'registry.sqlite'}")
    policy = registry.register_policy(write_policy_stub(root / "policy"))
    rng = np.random.default_rng(1)
    started = datetime(2026, 1, 1, tzinfo=UTC)
    for r in range(RUNS):
        run_root = root / "runs" / f"rollout_{r:02d}"
        chosen = list(range(r * RUN_EPISODES, (r + 1) * RUN_EPISODES))
        lengths = write_run(run_root, training_root, info, table, episodes, chosen, jumpy=r % 2 == 1)
        run = registry.start_run(
            policy.id,
            station="bench",
            dataset_root=run_root,
            task="Grasp a brain and put it in the bin.",
            chunk_size=100,
            n_action_steps=N_ACTION_STEPS if r % 2 else 1,
            fps=info["fps"],
            camera_mapping={"front": "0", "wrist": "1"},
        )
        for episode_index in range(RUN_EPISODES):
            record = registry.record_episode(
                run.id, run_root, episode_index, length_frames=int(lengths[episode_index]), started_at=started
            )
            if rng.random() < 0.85:
                registry.tag_episode(record.id, "success" if rng.random() < (0.3 if r % 2 else 0.7) else "failure")
    (root / "COMPLETE").write_text("written by bench/analytics_bench.py\n")


def write_run(
    run_root: Path, training_root: Path, info: dict, table: pa.Table, episodes: pa.Table, chosen: list[int], jumpy: bool
) -> np.ndarray:
    """Write one run; returns its episode lengths."""
    from lerobot.datasets.io_utils import write_table_one_row_group_per_episode

    episode_column = table.column("episode_index").to_numpy()
    mask = np.isin(episode_column, chosen)
    data = table.filter(pa.array(mask))
    old_index = data.column("episode_index").to_numpy()
    new_index = np.searchsorted(np.array(chosen), old_index)
    action = data.column("action").combine_chunks()
    values = action.flatten().to_numpy().reshape(len(action), -1).copy()
    if jumpy:
        values[:, 0] += CHUNK_JUMP_DEG * (data.column("frame_index").to_numpy() // N_ACTION_STEPS)
    data = data.set_column(
        data.schema.get_field_index("action"),
        "action",
        pa.FixedSizeListArray.from_arrays(pa.array(values.astype(np.float32).ravel()), values.shape[1]),
    )
    data = data.set_column(
        data.schema.get_field_index("episode_index"), "episode_index", pa.array(new_index.astype(np.int64))
    )
    data = data.set_column(
        data.schema.get_field_index("index"), "index", pa.array(np.arange(len(data), dtype=np.int64))
    )
    (run_root / "data" / "chunk-000").mkdir(parents=True)
    write_table_one_row_group_per_episode(
        data, run_root / "data" / "chunk-000" / "file-000.parquet"
    )  # as lerobot's recorder writes it

    meta = episodes.filter(pa.array(np.isin(episodes.column("episode_index").to_numpy(), chosen))).to_pydict()
    lengths = np.asarray(meta["length"])
    meta["episode_index"] = list(range(len(chosen)))
    meta["dataset_from_index"] = np.concatenate(([0], np.cumsum(lengths)[:-1])).tolist()
    meta["dataset_to_index"] = np.cumsum(lengths).tolist()
    (run_root / "meta" / "episodes" / "chunk-000").mkdir(parents=True)
    pq.write_table(pa.table(meta), run_root / "meta" / "episodes" / "chunk-000" / "file-000.parquet")
    run_info = {
        **info,
        "total_episodes": len(chosen),
        "total_frames": int(lengths.sum()),
        "splits": {"train": f"0:{len(chosen)}"},
    }
    (run_root / "meta" / "info.json").write_text(json.dumps(run_info, indent=4))
    for name in ("tasks.parquet", "stats.json"):
        shutil.copy(training_root / "meta" / name, run_root / "meta" / name)
    for video in (training_root / "videos").rglob("*.mp4"):  # episodes keep their time windows in the shared file
        target = run_root / video.relative_to(training_root)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(video, target)
        except OSError:
            shutil.copy(video, target)
    return lengths


def write_policy_stub(folder: Path) -> Path:
    """The registry keys runs to a checkpoint folder by its weights' hash; a config and a weights file suffice."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps({"type": "act", "chunk_size": 100, "n_action_steps": 100}))
    (folder / "model.safetensors").write_bytes(b"bench stand-in weights")
    return folder


if __name__ == "__main__":
    sys.exit(main())
