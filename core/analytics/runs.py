"""Deployment runs: where their recordings are, what the registry says about their episodes, success rates.

A deployment run is a LeRobot dataset folder (the Deploy page writes one per run under
`<workspace>/recordings/`). Analytics works on any such folder; when the registry has rows for it
(matched on dataset root and episode index) each episode gains its outcome, the policy and the
chunk settings it ran with. Without rows the outcome is "unknown".
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from core.analytics.stats import wilson_interval
from core.registry import dataset_location
from core.registry.records import EpisodeRow
from core.workspace import Workspace

OUTCOME_ORDER: tuple[str, ...] = ("success", "failure", "untagged", "awaiting", "unknown")
REGISTRY_COLUMNS: tuple[str, ...] = (
    "outcome",  # success, failure, untagged (operator chose not to judge), awaiting (no decision yet), unknown (no row)
    "score",
    "note",
    "status",
    "abort_reason",
    "run_id",
    "station",
    "policy_path",
    "policy_type",
    "weights_sha256",
    "chunk_size",
    "n_action_steps",
    "inference",
    "rtc_execution_horizon",
    "registry_task",
    "registry_fps",
    "camera_mapping",
    "registry_start_pose_distance_deg",
)
_INTEGER_COLUMNS = ("score", "run_id", "chunk_size", "n_action_steps", "rtc_execution_horizon")


def find_recordings(workspace: Workspace | None = None, rows: Sequence[EpisodeRow] = ()) -> list[Path]:
    """Dataset folders under the workspace's recordings and those the registry names, newest first."""
    workspace = workspace or Workspace.default()
    candidates = set()
    if workspace.recordings_dir.is_dir():
        candidates.update(
            path for path in workspace.recordings_dir.iterdir() if (path / "meta" / "info.json").is_file()
        )
    located = set(local_roots(rows).values())
    candidates.update(Path(root) for root in located if (Path(root) / "meta" / "info.json").is_file())
    return sorted(
        (path.resolve() for path in candidates),
        key=lambda p: ((p / "meta" / "info.json").stat().st_mtime, p.name),
        reverse=True,
    )


def local_roots(rows: Sequence[EpisodeRow]) -> dict[tuple[str, str, str | None], str]:
    """Where this computer finds each row's dataset, resolved as the recordings are: through the shared recordings
    folder when the station's own path is elsewhere, else the station's path. Keyed by (dataset_root, computer,
    dataset_shared), so each run's folder is looked up once, not once per episode."""
    found: dict[tuple[str, str, str | None], str] = {}
    for row in rows:
        key = (row.dataset_root, row.computer, row.dataset_shared)
        if key not in found:
            folder, _ = dataset_location(row)
            found[key] = str(folder.resolve()) if folder is not None else row.dataset_root
    return found


def join_registry(episodes: pd.DataFrame, rows: Sequence[EpisodeRow]) -> pd.DataFrame:
    """`episodes` (metrics rows with dataset_root, episode_index) with each kept episode's registry facts added;
    a row matches the recording where this computer finds its dataset (`local_roots`)."""
    kept = [row for row in rows if row.status != "discarded"]  # a discarded episode is not tagged or counted
    roots = local_roots(kept)
    facts = pd.DataFrame(
        [
            {
                "dataset_root": roots[(row.dataset_root, row.computer, row.dataset_shared)],
                "episode_index": row.episode_index,
                "outcome": row.outcome or "awaiting",
                "score": row.score,
                "note": row.note,
                "status": row.status,
                "abort_reason": row.abort_reason,
                "run_id": row.run_id,
                "station": row.station,
                "policy_path": row.policy_path,
                "policy_type": row.policy_type,
                "weights_sha256": row.weights_sha256,
                "chunk_size": row.chunk_size,
                "n_action_steps": row.n_action_steps,
                "inference": row.inference,
                "rtc_execution_horizon": row.rtc_execution_horizon,
                "registry_task": row.task,
                "registry_fps": row.fps,
                "camera_mapping": row.camera_mapping,
                "registry_start_pose_distance_deg": row.start_pose_distance_deg,
            }
            for row in kept
        ],
        columns=["dataset_root", "episode_index", *REGISTRY_COLUMNS],
    )
    joined = episodes.merge(facts.astype({"episode_index": "int64"}), on=["dataset_root", "episode_index"], how="left")
    joined["outcome"] = joined["outcome"].fillna("unknown")
    return joined.astype({column: "Int64" for column in _INTEGER_COLUMNS})  # a left join would leave them float


def aborted_episodes(episodes: pd.DataFrame) -> str:
    """The aborted episodes of joined registry rows as "episode N: reason; ..." ("" when none), for the summary."""
    if "status" not in episodes:
        return ""
    aborted = episodes[episodes["status"].eq("aborted")].sort_values("episode_index")
    return "; ".join(
        f"episode {int(index)}: {reason if isinstance(reason, str) and reason else 'no reason recorded'}"
        for index, reason in zip(aborted["episode_index"], aborted["abort_reason"], strict=True)
    )


def success_table(episodes: pd.DataFrame) -> pd.DataFrame:
    """Success rate per policy and chunk setting over judged episodes (success + failure), with 95 % Wilson
    intervals."""
    columns = [
        "policy",
        "policy_path",
        "weights_sha256",
        "chunk_size",
        "n_action_steps",
        "inference",
        "episodes",
        "successes",
        "failures",
        "untagged",
        "awaiting",
        "rate",
        "low",
        "high",
        "label",
    ]
    known = episodes[episodes["policy_path"].notna()] if "policy_path" in episodes else episodes.iloc[0:0]
    if known.empty:
        return pd.DataFrame(columns=columns)
    keys = ["policy_path", "weights_sha256", "chunk_size", "n_action_steps", "inference"]
    flags = pd.DataFrame(
        {
            name: known["outcome"].eq(outcome).to_numpy()
            for name, outcome in (
                ("successes", "success"),
                ("failures", "failure"),
                ("untagged", "untagged"),
                ("awaiting", "awaiting"),
            )
        }
    )
    grouped = flags.groupby([known[key].to_numpy() for key in keys], dropna=False, sort=True)
    counts = grouped.sum().assign(episodes=grouped.size()).rename_axis(keys).reset_index()
    rows = []
    for record in counts.to_dict("records"):
        judged = int(record["successes"] + record["failures"])
        low, high = wilson_interval(int(record["successes"]), judged)
        policy = f"{policy_label(record['policy_path'])} ({str(record['weights_sha256'])[:8]})"
        rows.append(
            {
                **record,
                "policy": policy,
                "rate": record["successes"] / judged if judged else None,
                "low": low,
                "high": high,
                "label": (
                    f"{policy}, chunk {record['chunk_size']} / {record['n_action_steps']} steps, {record['inference']}"
                ),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def policy_label(path: str) -> str:
    """A short name for a checkpoint: `<run>@<step>` for lerobot-train's `checkpoints/<step>/pretrained_model`."""
    folder = Path(path)
    if folder.name == "pretrained_model" and folder.parent.parent.name == "checkpoints":
        return f"{folder.parent.parent.parent.name}@{folder.parent.name}"
    return folder.name
