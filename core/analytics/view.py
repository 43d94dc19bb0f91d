"""Everything the Analytics page shows, from a training profile and the chosen deployment runs, in one call.

`load_analytics` is what must be ready in under a second at the lab's scale (bench/analytics_bench.py):
metrics of the training set and of each run, the registry's facts joined to every episode, the
success table. `figures` turns it into the page's figures; both are plain functions the page and
the HTML report share.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.analytics import figures as charts
from core.analytics.metrics import DatasetMetrics, Reference, dataset_metrics
from core.analytics.runs import aborted_episodes, join_registry, success_table
from core.analytics.stats import wilson_interval
from core.registry import dataset_location
from core.registry.records import EpisodeRow, policy_name
from core.so101 import GRIPPER, motor_of
from core.training.profile import PROFILE_FILE, TrainingProfile
from core.workspace import Workspace

FIGURE_TITLES: dict[str, str] = {
    "gripper_closed": "Gripper closed fraction",
    "gripper_action": "Gripper action distribution",
    "action_jumps": "Action jumps per joint",
    "start_pose": "Start-pose distance against outcome",
    "success_rate": "Success rate per policy and chunk setting",
}


@dataclass(frozen=True)
class AnalyticsData:
    profile: TrainingProfile
    reference: Reference
    training: DatasetMetrics | None  # None when the training dataset is not on this machine
    runs: tuple[DatasetMetrics, ...]
    episodes: pd.DataFrame  # training and run episodes (`is_training`), each with its registry facts
    success: pd.DataFrame  # `runs.success_table` of the run episodes


def load_analytics(
    profile: TrainingProfile,
    run_roots: Sequence[str | Path],
    rows: Sequence[EpisodeRow] = (),
    metrics_of: Callable[[str, Reference], DatasetMetrics] = dataset_metrics,
) -> AnalyticsData:
    """Metrics of the training set and each run, joined with the registry rows; `metrics_of` lets the page cache."""
    reference = Reference.of_profile(profile)
    training = metrics_of(profile.dataset_dir, reference) if Path(profile.dataset_dir).is_dir() else None
    runs = tuple(metrics_of(str(root), reference) for root in run_roots)
    tables = ([training.episodes.assign(is_training=True)] if training is not None else []) + [
        run.episodes.assign(is_training=False) for run in runs
    ]
    episodes = join_registry(pd.concat(tables, ignore_index=True), rows) if tables else pd.DataFrame()
    success = success_table(episodes[~episodes["is_training"]]) if tables else success_table(pd.DataFrame())
    return AnalyticsData(profile, reference, training, runs, episodes, success)


def summary_table(data: AnalyticsData) -> pd.DataFrame:
    """One row per dataset: the numbers a person compares first."""
    training_p95 = {stats.joint: stats.p95 for stats in data.profile.action_jumps}
    unit = charts.unit_label(data.profile.joint_units)
    rows = []
    for dataset in ([data.training] if data.training is not None else []) + list(data.runs):
        episodes = data.episodes[data.episodes["dataset_root"] == dataset.root]
        ratios = [
            stats.p95 / training_p95[stats.joint]
            for stats in dataset.action_jumps
            if motor_of(stats.joint) != GRIPPER and training_p95.get(stats.joint)
        ]
        judged = episodes["outcome"].isin(["success", "failure"]).sum()
        rows.append(
            {
                "dataset": dataset.name,
                "role": "training" if dataset is data.training else "deployment",
                "episodes": len(dataset.episodes),
                "frames": dataset.total_frames,
                "fps": dataset.fps,
                "gripper closed (actions)": dataset.closed_fraction_action,
                "gripper closed (states)": dataset.closed_fraction_state,
                "mean gripper action": dataset.mean_gripper_action,
                "worst jump p95 / training": max(ratios) if ratios else np.nan,
                f"median start-pose distance ({unit})": float(
                    np.nanmedian(dataset.episodes["start_pose_distance_deg"])
                ),
                "success / judged": f"{int(episodes['outcome'].eq('success').sum())}/{int(judged)}"
                if dataset is not data.training
                else "",
                "aborted (episode: reason)": aborted_episodes(episodes),
            }
        )
    return pd.DataFrame(rows)


def figures(data: AnalyticsData) -> dict[str, go.Figure]:
    """The page's figures, keyed as in FIGURE_TITLES."""
    threshold = data.reference.closed_threshold
    arm_tolerances = [t.tolerance for t in data.reference.start_pose if t.motor != GRIPPER]
    return {
        "gripper_closed": charts.gripper_closed_figure(data.training, data.runs, threshold),
        "gripper_action": charts.gripper_action_figure(data.training, data.runs, threshold),
        "action_jumps": charts.action_jumps_figure(data.profile.action_jumps, data.runs),
        "start_pose": charts.start_pose_figure(
            data.episodes, min(arm_tolerances) if arm_tolerances else None, data.profile.joint_units
        ),
        "success_rate": charts.success_rate_figure(data.success),
    }


def run_settings(data: AnalyticsData) -> list[dict[str, object]]:
    """Per run: the dataset's facts and the registry's settings (policy path and hash, task, chunking, cameras)."""
    settings = []
    for run in data.runs:
        rows = data.episodes[data.episodes["dataset_root"] == run.root]
        registered = rows[rows["policy_path"].notna()] if "policy_path" in rows else rows.iloc[0:0]
        entry: dict[str, object] = {
            "run": run.name,
            "dataset": run.root,
            "episodes": len(run.episodes),
            "frames": run.total_frames,
            "fps": run.fps,
            "tasks": list(run.tasks),
        }
        if not registered.empty:
            for column in (
                "policy_path",
                "weights_sha256",
                "policy_type",
                "station",
                "registry_task",
                "chunk_size",
                "n_action_steps",
                "inference",
                "rtc_execution_horizon",
                "camera_mapping",
            ):
                values = registered[column].dropna().astype(str).unique().tolist()
                entry[column] = values[0] if len(values) == 1 else values
        settings.append(entry)
    return settings


FLEET_FILTERS: tuple[str, ...] = ("station", "computer", "policy", "setting")


@dataclass(frozen=True)
class FleetData:
    """The lab's runs from the registry alone (no dataset read): what the fleet filters choose from and show."""

    choices: dict[str, list[str]]  # filter -> the values present, sorted
    runs: pd.DataFrame  # one row per run that passes the filters
    per_station: pd.DataFrame  # success rate per station over the filtered runs' judged episodes, Wilson 95 %


def fleet(rows: Sequence[EpisodeRow], **chosen: Sequence[str]) -> FleetData:
    """Runs and per-station success rates, filtered by `station`, `computer`, `policy` and `setting` (each a list of
    accepted values; empty or absent: all). Discarded episodes are left out of every count."""
    kept = [row for row in rows if row.status != "discarded"]
    policy_names = {path: policy_name(path) for path in {row.policy_path for row in kept}}
    frame = pd.DataFrame(
        {
            "run_id": [row.run_id for row in kept],
            "station": [row.station for row in kept],
            "computer": [row.computer for row in kept],
            "policy": [policy_names[row.policy_path] for row in kept],
            "setting": [setting_label(row) for row in kept],
            "outcome": [row.outcome for row in kept],
        }
    )
    choices = {name: sorted(frame[name].unique().tolist()) for name in FLEET_FILTERS}
    for name in FLEET_FILTERS:
        if chosen.get(name):
            frame = frame[frame[name].isin(list(chosen[name]))]
    frame = frame.assign(success=frame["outcome"].eq("success"), judged=frame["outcome"].isin(["success", "failure"]))
    by_run = frame.groupby("run_id", sort=True).agg(
        station=("station", "first"),
        computer=("computer", "first"),
        policy=("policy", "first"),
        setting=("setting", "first"),
        episodes=("outcome", "size"),
        successes=("success", "sum"),
        judged=("judged", "sum"),
    )
    first_row = {row.run_id: row for row in reversed(kept)}
    locations = [dataset_location(first_row[run_id]) for run_id in by_run.index]
    runs = by_run.reset_index().assign(
        rate=lambda t: (t["successes"] / t["judged"].where(t["judged"] > 0)).astype(float),
        dataset=[str(folder) if folder else message for folder, message in locations],
    )
    per_station = frame.groupby("station", sort=True).agg(
        computers=("computer", lambda values: ", ".join(sorted(set(values)))),
        runs=("run_id", "nunique"),
        episodes=("outcome", "size"),
        successes=("success", "sum"),
        judged=("judged", "sum"),
    )
    intervals = [wilson_interval(int(s), int(n)) for s, n in zip(per_station["successes"], per_station["judged"])]
    per_station = per_station.reset_index().assign(
        rate=lambda t: (t["successes"] / t["judged"].where(t["judged"] > 0)).astype(float),
        low=[low for low, _ in intervals],
        high=[high for _, high in intervals],
    )
    return FleetData(choices, runs, per_station)


def setting_label(row: EpisodeRow) -> str:
    """The run setting a lab compares: chunking, inference and fps."""
    horizon = f" h{row.rtc_execution_horizon}" if row.rtc_execution_horizon is not None else ""
    return f"chunk {row.chunk_size}/{row.n_action_steps}, {row.inference}{horizon}, {row.fps:g} fps"


def saved_profiles(workspace: Workspace | None = None) -> list[Path]:
    """The profile files stored in the workspace (`profiles/<name>/profile.json`), newest first."""
    folder = (workspace or Workspace.default()).profiles_dir
    files = folder.glob(f"*/{PROFILE_FILE}") if folder.is_dir() else []
    return sorted(files, key=lambda path: path.stat().st_mtime, reverse=True)
