"""The registry: policies, runs, episodes, tags and events in one SQLite file that outlives every process.

The Deploy page and the stations write here (a run when settings are fixed, an episode
when it ends, a tag when the operator decides); Analytics and the CLI read. Nothing is
overwritten that an operator said: each tag edit is a new row, and the latest row per
episode is its tag.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar

from core.errors import RegistryError
from core.registry import database
from core.registry.records import (
    EPISODE_STATUSES,
    INFERENCE_MODES,
    OUTCOMES,
    EpisodeRecord,
    EpisodeRow,
    EpisodeStatus,
    Event,
    Inference,
    Outcome,
    PolicyRecord,
    RunRecord,
    Tag,
    check_choice,
    check_score,
)
from core.registry.weights import weights_sha256
from core.text import csv_cell

T = TypeVar("T")

CSV_COLUMNS: tuple[str, ...] = tuple(field.name for field in dataclasses.fields(EpisodeRow))

_EPISODE_FILTERS = {"station": "r.station", "run_id": "e.run_id", "policy_id": "r.policy_id"}

_EPISODE_ROWS_SQL = """
    SELECT e.id AS episode_id, e.dataset_root, e.episode_index, e.status, e.abort_reason,
           e.start_pose_distance_deg, e.start_pose_deltas_deg_json, e.length_frames, e.started_at, e.ended_at,
           r.id AS run_id, r.station, r.task, r.task_override, r.chunk_size, r.n_action_steps, r.inference,
           r.rtc_execution_horizon, r.fps, r.camera_mapping_json, r.rename_map_json, r.training_profile,
           p.id AS policy_id, p.path AS policy_path, p.policy_type, p.weights_sha256,
           t.outcome, t.score, t.note, t.tagged_at
    FROM episodes e
    JOIN runs r ON r.id = e.run_id
    JOIN policies p ON p.id = r.policy_id
    LEFT JOIN latest_tags t ON t.episode_id = e.id
"""


class Registry:
    """Use `Registry.open(url)`; each call is its own short transaction, so one object serves every thread."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def open(cls, url: str | None = None) -> Registry:
        """Open (creating if needed) the registry at a `sqlite:///...` URL; default $PREFLIGHT_DATABASE_URL, else the
        workspace file."""
        path = database.path_of_url(url or database.default_database_url())
        database.prepare(path)
        return cls(path)

    @property
    def url(self) -> str:
        return database.SQLITE_PREFIX + str(self.path)

    # Policies and runs

    def register_policy(self, checkpoint_dir: str | Path) -> PolicyRecord:
        """The policy in `checkpoint_dir` (the `pretrained_model/` folder), added the first time its weights are
        seen."""
        folder = Path(checkpoint_dir).expanduser().resolve()
        sha256 = weights_sha256(folder)
        policy_type = _policy_type(folder)

        def work(connection: sqlite3.Connection) -> PolicyRecord:
            connection.execute(
                "INSERT OR IGNORE INTO policies (path, weights_sha256, policy_type, registered_at) VALUES (?, ?, ?, ?)",
                (str(folder), sha256, policy_type, _now()),
            )
            row = connection.execute(
                "SELECT * FROM policies WHERE path = ? AND weights_sha256 = ?", (str(folder), sha256)
            ).fetchone()
            return _record(PolicyRecord, row)

        return self._write(work)

    def start_run(
        self,
        policy_id: int,
        *,
        station: str,
        dataset_root: str | Path,
        task: str,
        chunk_size: int,
        n_action_steps: int,
        fps: float,
        camera_mapping: dict[str, str],
        task_override: bool = False,
        inference: Inference = "sync",
        rtc_execution_horizon: int | None = None,
        rename_map: dict[str, str] | None = None,
        training_profile: str | None = None,
    ) -> RunRecord:
        """Record the settings the next episodes run with; call again whenever any of them changes."""
        check_choice("inference", inference, INFERENCE_MODES)
        if inference == "sync" and rtc_execution_horizon is not None:
            raise RegistryError("rtc_execution_horizon applies to rtc inference only; pass None with sync inference.")
        values = {
            "policy_id": policy_id,
            "station": station,
            "dataset_root": _absolute(dataset_root),
            "task": task,
            "task_override": int(task_override),
            "chunk_size": chunk_size,
            "n_action_steps": n_action_steps,
            "inference": inference,
            "rtc_execution_horizon": rtc_execution_horizon,
            "camera_mapping_json": _dumps(camera_mapping),
            "rename_map_json": _dumps(rename_map or {}),
            "fps": fps,
            "training_profile": training_profile,
            "started_at": _now(),
        }

        def work(connection: sqlite3.Connection) -> RunRecord:
            _one(connection, "policies", policy_id, "policy")
            return _record(RunRecord, _insert(connection, "runs", values))

        return self._write(work)

    # Episodes

    def record_episode(
        self,
        run_id: int,
        dataset_root: str | Path,
        episode_index: int,
        *,
        length_frames: int,
        started_at: datetime,
        ended_at: datetime | None = None,
        status: EpisodeStatus = "recorded",
        abort_reason: str | None = None,
        start_pose_distance_deg: float | None = None,
        start_pose_deltas_deg: dict[str, float] | None = None,
    ) -> EpisodeRecord:
        """Record an episode once it has ended (`ended_at` defaults to now) and its frames are saved, or were
        discarded."""
        check_choice("status", status, EPISODE_STATUSES)
        abort_reason = abort_reason or None
        if (status == "aborted") != (abort_reason is not None):
            raise RegistryError("An aborted episode needs an abort_reason, and only an aborted one has it.")
        values = {
            "run_id": run_id,
            "dataset_root": _absolute(dataset_root),
            "episode_index": episode_index,
            "status": status,
            "abort_reason": abort_reason,
            "start_pose_distance_deg": start_pose_distance_deg,
            "start_pose_deltas_deg_json": _dumps(start_pose_deltas_deg or {}),
            "length_frames": length_frames,
            "started_at": _time_text(started_at),
            "ended_at": _time_text(ended_at) if ended_at else _now(),
        }

        def work(connection: sqlite3.Connection) -> EpisodeRecord:
            _one(connection, "runs", run_id, "run")
            try:
                return _record(EpisodeRecord, _insert(connection, "episodes", values))
            except sqlite3.IntegrityError as error:
                raise RegistryError(
                    f"Episode {episode_index} of {dataset_root} is already in the registry: an episode index "
                    "names one recorded episode. Edit that episode instead, or record this one under its own index."
                ) from error

        return self._write(work)

    def untagged_episodes(self, *, station: str | None = None, run_id: int | None = None) -> list[EpisodeRecord]:
        """Kept episodes still awaiting the operator's decision, oldest first; an explicit "untagged" is a decision."""
        where, params = _where(_EPISODE_FILTERS, station=station, run_id=run_id)
        sql = (
            "SELECT e.* FROM episodes e JOIN runs r ON r.id = e.run_id "
            f"WHERE e.status != 'discarded' AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.episode_id = e.id) {where} "
            "ORDER BY e.id"
        )
        return [_record(EpisodeRecord, row) for row in self._read(lambda c: c.execute(sql, params).fetchall())]

    # Tags

    def tag_episode(self, episode_id: int, outcome: Outcome, score: int | None = None, note: str = "") -> Tag:
        """Decide about an episode, or change the decision later; every earlier decision stays in `tag_history`."""
        check_choice("outcome", outcome, OUTCOMES)
        check_score(score)

        def work(connection: sqlite3.Connection) -> Tag:
            _one(connection, "episodes", episode_id, "episode")
            values = {"episode_id": episode_id, "outcome": outcome, "score": score, "note": note, "tagged_at": _now()}
            return _record(Tag, _insert(connection, "tags", values))

        return self._write(work)

    def tag_history(self, episode_id: int) -> list[Tag]:
        """Every decision about the episode, oldest first; the last one is the current tag."""
        sql = "SELECT * FROM tags WHERE episode_id = ? ORDER BY id"
        return [_record(Tag, row) for row in self._read(lambda c: c.execute(sql, (episode_id,)).fetchall())]

    # Events

    def log_event(self, station: str, kind: str, payload: dict[str, Any], run_id: int | None = None) -> Event:
        """Keep something analytics must see later: a camera-mapping change, a task override, an emergency stop."""
        values = {
            "station": station,
            "kind": kind,
            "payload_json": _dumps(payload),
            "run_id": run_id,
            "logged_at": _now(),
        }
        return _record(Event, self._write(lambda c: _insert(c, "events", values)))

    # Analytics and export

    def episode_rows(
        self,
        *,
        station: str | None = None,
        run_id: int | None = None,
        policy_id: int | None = None,
        last: int | None = None,
    ) -> list[EpisodeRow]:
        """Every episode (discarded ones too) with its run settings, policy and current tag, oldest first."""
        where, params = _where(_EPISODE_FILTERS, station=station, run_id=run_id, policy_id=policy_id)
        sql = f"{_EPISODE_ROWS_SQL} WHERE 1 {where} ORDER BY e.id DESC" + (" LIMIT ?" if last else "")
        rows = self._read(lambda c: c.execute(sql, params + ([last] if last else [])).fetchall())
        return [_record(EpisodeRow, row) for row in reversed(rows)]

    def export_csv(
        self,
        target: str | Path | TextIO,
        *,
        station: str | None = None,
        run_id: int | None = None,
        policy_id: int | None = None,
    ) -> int:
        """Write one row per episode with the columns `CSV_COLUMNS` (see docs/registry.md); returns the row count."""
        rows = self.episode_rows(station=station, run_id=run_id, policy_id=policy_id)
        if isinstance(target, (str, Path)):
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            with open(target, "w", newline="", encoding="utf-8") as stream:
                _write_csv(stream, rows)
        else:
            _write_csv(target, rows)
        return len(rows)

    # Transactions

    def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return database.run_transaction(self.path, work, write=True)

    def _read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return database.run_transaction(self.path, work, write=False)


def _write_csv(stream: TextIO, rows: list[EpisodeRow]) -> None:
    writer = csv.writer(stream)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(_csv_cell(getattr(row, name)) for name in CSV_COLUMNS)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return csv_cell(_dumps(value))
    if isinstance(value, str):
        return csv_cell(value)  # a task or note from data never runs as a spreadsheet formula
    return value


def _where(columns: dict[str, str], **equal_to: Any) -> tuple[str, list[Any]]:
    """`AND column = ?` clauses for the filters that are set, and their parameters."""
    chosen = {name: value for name, value in equal_to.items() if value is not None}
    return "".join(f" AND {columns[name]} = ?" for name in chosen), list(chosen.values())


def _one(connection: sqlite3.Connection, table: str, row_id: int, noun: str) -> sqlite3.Row:
    row = connection.execute(f"SELECT * FROM {table} WHERE id = ?", (row_id,)).fetchone()
    if row is None:
        raise RegistryError(
            f"There is no {noun} {row_id} in the registry; `python -m core registry list` shows the episodes."
        )
    return row


def _insert(connection: sqlite3.Connection, table: str, values: dict[str, Any]) -> sqlite3.Row:
    columns = ", ".join(values)
    placeholders = ", ".join("?" for _ in values)
    cursor = connection.execute(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", tuple(values.values()))
    return connection.execute(f"SELECT * FROM {table} WHERE id = ?", (cursor.lastrowid,)).fetchone()


def _absolute(path: str | Path) -> str:
    """Paths are stored absolute: stations and the app may run from different folders."""
    return str(Path(path).expanduser().resolve())


def _policy_type(folder: Path) -> str:
    try:
        return str(json.loads((folder / "config.json").read_text()).get("type", ""))
    except (OSError, ValueError):
        return ""


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _time_text(moment: datetime) -> str:
    """UTC ISO 8601; a naive time is taken as local time."""
    return moment.astimezone(UTC).isoformat()


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _dumps(mapping: dict[str, Any]) -> str:
    return json.dumps(mapping, sort_keys=True)


def _record[R](cls: type[R], row: sqlite3.Row) -> R:
    """The record `cls` from its row: `<field>_json` columns decoded, `*_at` times parsed, flags made bool."""
    columns = row.keys()
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        if f"{field.name}_json" in columns:
            values[field.name] = json.loads(row[f"{field.name}_json"])
        elif field.name.endswith("_at"):
            values[field.name] = _time(row[field.name])
        elif field.type == "bool":
            values[field.name] = bool(row[field.name])
        else:
            values[field.name] = row[field.name]
    return cls(**values)
