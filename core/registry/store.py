"""The registry: policies, runs, episodes, tags and events in one database that outlives every process.

The Deploy page and the stations write here (a run when settings are fixed, an episode
when it ends, a tag when the operator decides); Analytics and the CLI read. Nothing is
overwritten that an operator said: each tag edit is a new row, and the latest row per
episode is its tag.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import json
import logging
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar

import sqlalchemy as sa
from sqlalchemy import exc

from core.errors import RegistryError
from core.registry import database
from core.registry.database import RegistryUnavailable
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
    PlanRecord,
    PlanSlot,
    PolicyRecord,
    QueuedWrite,
    RunRecord,
    SpoolState,
    Tag,
    check_choice,
    check_score,
)
from core.registry.schema import TABLES, episodes, events, plan_slots, plans, policies, runs, tags
from core.registry.spool import Spool
from core.registry.weights import weights_sha256
from core.text import csv_cell

T = TypeVar("T")
log = logging.getLogger(__name__)

CSV_COLUMNS: tuple[str, ...] = tuple(field.name for field in dataclasses.fields(EpisodeRow))
SHARED_RECORDINGS_ENV = "PREFLIGHT_SHARED_RECORDINGS"  # this computer's mount of the lab's recordings folder

_latest_tag_id = (
    sa.select(sa.func.max(tags.c.id)).where(tags.c.episode_id == episodes.c.id).correlate(episodes).scalar_subquery()
)
_EPISODE_ROWS = (
    sa.select(
        episodes.c.id.label("episode_id"),
        episodes.c.dataset_root,
        episodes.c.episode_index,
        episodes.c.status,
        episodes.c.abort_reason,
        episodes.c.start_pose_distance_deg,
        episodes.c.start_pose_deltas_deg_json,
        episodes.c.length_frames,
        episodes.c.started_at,
        episodes.c.ended_at,
        runs.c.id.label("run_id"),
        runs.c.station,
        runs.c.computer,
        runs.c.dataset_shared,
        runs.c.task,
        runs.c.task_override,
        runs.c.chunk_size,
        runs.c.n_action_steps,
        runs.c.inference,
        runs.c.rtc_execution_horizon,
        runs.c.fps,
        runs.c.camera_mapping_json,
        runs.c.rename_map_json,
        runs.c.training_profile,
        policies.c.id.label("policy_id"),
        policies.c.path.label("policy_path"),
        policies.c.policy_type,
        policies.c.weights_sha256,
        tags.c.outcome,
        tags.c.score,
        tags.c.note,
        tags.c.tagged_at,
    )
    .select_from(episodes)
    .join(runs, runs.c.id == episodes.c.run_id)
    .join(policies, policies.c.id == runs.c.policy_id)
    .outerjoin(tags, tags.c.id == _latest_tag_id)
)
_EPISODE_FILTERS = {
    "station": runs.c.station,
    "computer": runs.c.computer,
    "run_id": episodes.c.run_id,
    "policy_id": runs.c.policy_id,
}


class Registry:
    """Use `Registry.open(url)`; each call is its own short transaction, so one object serves every thread.

    Opened with a `spool` folder (a station), episodes and events that cannot reach the database are queued
    there and written, in order, before the next write that can (`spool_state` tells the operator)."""

    def __init__(self, url: str, spool: Spool | None = None) -> None:
        self._url = url
        self.spool = spool

    @classmethod
    def open(cls, url: str | None = None, *, spool: str | Path | None = None) -> Registry:
        """Open (creating or upgrading its schema if needed) the registry at an `sqlite:///...` or
        `postgresql+psycopg://...` URL; default $PREFLIGHT_DATABASE_URL, else the workspace file. With a spool
        folder, a database that cannot be reached yet is not an error."""
        registry = cls(database.normalized_url(url or database.default_database_url()), Spool(spool) if spool else None)
        try:
            registry._engine()
        except RegistryUnavailable:
            if registry.spool is None:
                raise
        return registry

    @property
    def url(self) -> str:
        """The database URL with its password masked: safe to show and to log."""
        return database.mask_passwords(self._url)

    @property
    def path(self) -> Path | None:
        """The SQLite file, or None on PostgreSQL."""
        return database.path_of_url(self._url) if self._url.startswith(database.SQLITE_PREFIX) else None

    @property
    def backend(self) -> str:
        """ "sqlite" or "postgresql"."""
        return "sqlite" if self.path is not None else "postgresql"

    # Policies and runs

    def register_policy(self, checkpoint_dir: str | Path) -> PolicyRecord:
        """The policy in `checkpoint_dir` (the `pretrained_model/` folder), added the first time its weights are
        seen."""
        folder = Path(checkpoint_dir).expanduser().resolve()
        sha256 = weights_sha256(folder)
        values = {"path": str(folder), "weights_sha256": sha256, "policy_type": _policy_type(folder)}

        def work(connection: sa.Connection) -> PolicyRecord:
            insert = _dialect_insert(connection)(policies).values(**values, registered_at=_now())
            connection.execute(insert.on_conflict_do_nothing(index_elements=["path", "weights_sha256"]))
            row = connection.execute(
                sa.select(policies).where(policies.c.path == str(folder), policies.c.weights_sha256 == sha256)
            ).one()
            return _record(PolicyRecord, row._mapping)

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
        """Record the settings the next episodes run with; call again whenever any of them changes. The run
        records this computer and, when the dataset is inside $PREFLIGHT_SHARED_RECORDINGS, its path there."""
        check_choice("inference", inference, INFERENCE_MODES)
        if inference == "sync" and rtc_execution_horizon is not None:
            raise RegistryError("rtc_execution_horizon applies to rtc inference only; pass None with sync inference.")
        root = _absolute(dataset_root)
        values = {
            "policy_id": policy_id,
            "station": station,
            "computer": database.this_computer(),
            "dataset_root": root,
            "dataset_shared": _shared_path(root),
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

        def work(connection: sa.Connection) -> RunRecord:
            _one(connection, policies, policy_id, "policy")
            return _record(RunRecord, _insert(connection, runs, values))

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
        plan_slot: tuple[int, int] | None = None,
    ) -> EpisodeRecord | QueuedWrite:
        """Record an episode once it has ended (`ended_at` defaults to now) and its frames are saved, or were
        discarded. With a spool and no database, the episode is queued (a QueuedWrite, its id None).

        `plan_slot` (plan id, position): a kept episode of an evaluation fills that slot in the same transaction,
        also when it is queued and written later; a discarded one, or a slot already holding another, is left."""
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
        slot = list(plan_slot) if plan_slot is not None and status != "discarded" else None
        return self._write_or_queue(episodes, values, EpisodeRecord, plan_slot=slot)

    def untagged_episodes(self, *, station: str | None = None, run_id: int | None = None) -> list[EpisodeRecord]:
        """Kept episodes still awaiting the operator's decision, oldest first; an explicit "untagged" is a decision."""
        awaiting = (
            sa.select(episodes)
            .join(runs, runs.c.id == episodes.c.run_id)
            .where(episodes.c.status != "discarded", ~sa.exists().where(tags.c.episode_id == episodes.c.id))
            .where(*_filters(station=station, run_id=run_id))
            .order_by(episodes.c.id)
        )
        rows = self._read(lambda c: c.execute(awaiting).all())
        return [_record(EpisodeRecord, row._mapping) for row in rows]

    # Tags

    def tag_episode(self, episode_id: int, outcome: Outcome, score: int | None = None, note: str = "") -> Tag:
        """Decide about an episode, or change the decision later; every earlier decision stays in `tag_history`.

        Edits of one episode are serialised (a lock per episode), so history order is commit order and time order."""
        check_choice("outcome", outcome, OUTCOMES)
        check_score(score)

        def work(connection: sa.Connection) -> Tag:
            if connection.dialect.name == "postgresql":  # a lock that needs no UPDATE right (SQLite: the file's)
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:kind, :id)"), {"kind": 20, "id": episode_id})
            _one(connection, episodes, episode_id, "episode")
            values = {"episode_id": episode_id, "outcome": outcome, "score": score, "note": note, "tagged_at": _now()}
            return _record(Tag, _insert(connection, tags, values))

        return self._write(work)

    def tag_history(self, episode_id: int) -> list[Tag]:
        """Every decision about the episode, oldest first; the last one is the current tag."""
        history = sa.select(tags).where(tags.c.episode_id == episode_id).order_by(tags.c.id)
        return [_record(Tag, row._mapping) for row in self._read(lambda c: c.execute(history).all())]

    # Events

    def log_event(
        self, station: str, kind: str, payload: dict[str, Any], run_id: int | None = None
    ) -> Event | QueuedWrite:
        """Keep something analytics must see later: a camera-mapping change, a task override, an emergency stop.
        With a spool and no database, the event is queued."""
        values = {
            "station": station,
            "kind": kind,
            "payload_json": _dumps(payload),
            "run_id": run_id,
            "logged_at": _now(),
        }
        return self._write_or_queue(events, values, Event)

    def events(self, *, station: str | None = None) -> list[Event]:
        """The events kept, oldest first."""
        query = sa.select(events).order_by(events.c.id)
        if station is not None:
            query = query.where(events.c.station == station)
        return [_record(Event, row._mapping) for row in self._read(lambda c: c.execute(query).all())]

    # Evaluation plans

    def create_plan(
        self,
        station: str,
        name: str,
        episodes_per_condition: int,
        conditions: list[dict[str, Any]],
        slots: list[tuple[int, int, int]],
    ) -> PlanRecord:
        """Keep a plan and its order: `slots` are (condition, pair, seed) in the order the episodes run."""
        if not conditions or not slots:
            raise RegistryError("A plan needs conditions and at least one slot.")
        if any(not 0 <= condition < len(conditions) for condition, _, _ in slots):
            raise RegistryError(f"A slot names a condition outside the plan's {len(conditions)}.")
        values = {
            "station": station,
            "name": name,
            "episodes_per_condition": episodes_per_condition,
            "conditions_json": json.dumps(conditions, sort_keys=True),
            "created_at": _now(),
        }

        def work(connection: sa.Connection) -> PlanRecord:
            plan = _record(PlanRecord, _insert(connection, plans, values))
            connection.execute(
                plan_slots.insert(),
                [
                    {"plan_id": plan.id, "position": position, "condition": condition, "pair": pair, "seed": seed}
                    for position, (condition, pair, seed) in enumerate(slots)
                ],
            )
            return plan

        return self._write(work)

    def plans(self, *, station: str | None = None, open_only: bool = False) -> list[PlanRecord]:
        """The plans kept, oldest first; `open_only`: those not ended."""
        query = sa.select(plans).order_by(plans.c.id)
        if station is not None:
            query = query.where(plans.c.station == station)
        if open_only:
            query = query.where(plans.c.ended_at.is_(None))
        return [_record(PlanRecord, row._mapping) for row in self._read(lambda c: c.execute(query).all())]

    def plan(self, plan_id: int) -> PlanRecord:
        return self._read(lambda c: _record(PlanRecord, _one(c, plans, plan_id, "plan")))

    def plan_slots(self, plan_id: int) -> list[PlanSlot]:
        """The plan's order, first slot first."""
        query = sa.select(plan_slots).where(plan_slots.c.plan_id == plan_id).order_by(plan_slots.c.position)
        return [_record(PlanSlot, row._mapping) for row in self._read(lambda c: c.execute(query).all())]

    def fill_plan_slot(self, plan_id: int, position: int, episode_id: int) -> PlanSlot:
        """The kept episode `episode_id` ran the slot; a slot is filled once, an episode fills one slot."""

        def work(connection: sa.Connection) -> PlanSlot:
            _one(connection, episodes, episode_id, "episode")
            where = (plan_slots.c.plan_id == plan_id) & (plan_slots.c.position == position)
            row = connection.execute(sa.select(plan_slots).where(where)).first()
            if row is None:
                raise RegistryError(f"Plan {plan_id} has no slot {position}.")
            if row.episode_id is not None and row.episode_id != episode_id:
                raise RegistryError(f"Slot {position} of plan {plan_id} already holds episode {row.episode_id}.")
            filled = plan_slots.update().where(where).values(episode_id=episode_id).returning(*plan_slots.c)
            return _record(PlanSlot, connection.execute(filled).one()._mapping)

        return self._write(work)

    def end_plan(self, plan_id: int) -> PlanRecord:
        """Close the plan (finished or abandoned); its slots and episodes stay."""

        def work(connection: sa.Connection) -> PlanRecord:
            _one(connection, plans, plan_id, "plan")
            ended = plans.update().where(plans.c.id == plan_id, plans.c.ended_at.is_(None)).values(ended_at=_now())
            connection.execute(ended)
            return _record(PlanRecord, _one(connection, plans, plan_id, "plan"))

        return self._write(work)

    # The station's spool

    def flush(self) -> int:
        """Write the spool's queued rows, oldest first; returns how many. Raises RegistryUnavailable while the
        database is still away (they stay queued)."""
        if self.spool is None or not self.spool.has_pending():
            return 0

        def insert(table: str, values: dict[str, Any], plan_slot: list[int] | None) -> None:
            def work(connection: sa.Connection) -> None:  # an IntegrityError is let through: refused
                row_id = connection.execute(_TABLES[table].insert().values(**values).returning(_TABLES[table].c.id))
                if plan_slot is not None:
                    _fill_free_slot(connection, plan_slot, row_id.scalar_one())

            self._write(work)

        return self.spool.flush(insert, refused=exc.IntegrityError)

    def spool_state(self) -> SpoolState:
        """What this station has queued (all zero without a spool): the flag the operator sees."""
        return self.spool.state() if self.spool else SpoolState(0, None, "", 0)

    # Analytics and export

    def episode_rows(
        self,
        *,
        station: str | None = None,
        computer: str | None = None,
        run_id: int | None = None,
        policy_id: int | None = None,
        last: int | None = None,
    ) -> list[EpisodeRow]:
        """Every episode (discarded ones too) with its run settings, policy and current tag, oldest first."""
        query = _EPISODE_ROWS.where(*_filters(station=station, computer=computer, run_id=run_id, policy_id=policy_id))
        query = query.order_by(episodes.c.id.desc()).limit(last) if last else query.order_by(episodes.c.id)
        records = self._read(lambda c: _records(EpisodeRow, c.execute(query)))
        return records[::-1] if last else records

    def counts(self) -> dict[str, int]:
        """Rows per table: what `registry copy` checks on both sides."""

        def work(connection: sa.Connection) -> dict[str, int]:
            return {
                table.name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                for table in _TABLES.values()
            }

        return self._read(work)

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

    def _engine(self) -> sa.Engine:
        return database.engine_for(self._url)

    def _write(self, work: Callable[[sa.Connection], T]) -> T:
        return database.run_transaction(self._engine(), work, write=True)

    def _read(self, work: Callable[[sa.Connection], T]) -> T:
        if self.spool is not None and self.spool.has_pending():
            try:
                self.flush()
            except RegistryUnavailable:
                pass  # the read below says so
        return database.run_transaction(self._engine(), work, write=False)

    def _write_or_queue[R](
        self, table: sa.Table, values: dict[str, Any], cls: type[R], plan_slot: list[int] | None = None
    ) -> R | QueuedWrite:
        """Insert the row (an episode: and fill its plan slot), after whatever is queued before it; with a spool,
        queue both while the database is away."""

        def work(connection: sa.Connection) -> R:
            if table is episodes:
                _one(connection, runs, values["run_id"], "run")
            row = _insert(connection, table, values)
            if plan_slot is not None:
                _fill_free_slot(connection, plan_slot, row["id"])
            return _record(cls, row)

        if self.spool is None:
            return self._write(work)
        try:
            self.flush()
            return self._write(work)
        except RegistryUnavailable as error:
            return self.spool.append(table.name, values, str(error), plan_slot=plan_slot)


_TABLES: dict[str, sa.Table] = {table.name: table for table in TABLES}


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


def _filters(**equal_to: Any) -> list[sa.ColumnElement[bool]]:
    """`column = value` for the filters that are set."""
    return [_EPISODE_FILTERS[name] == value for name, value in equal_to.items() if value is not None]


def _dialect_insert(connection: sa.Connection):
    """The dialect's INSERT, which knows ON CONFLICT DO NOTHING (SQLite and PostgreSQL both do)."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _one(connection: sa.Connection, table: sa.Table, row_id: int, noun: str) -> sa.RowMapping:
    row = connection.execute(sa.select(table).where(table.c.id == row_id)).first()
    if row is None:
        raise RegistryError(
            f"There is no {noun} {row_id} in the registry; `python -m core registry list` shows the episodes."
        )
    return row._mapping


def _fill_free_slot(connection: sa.Connection, plan_slot: list[int], episode_id: int) -> None:
    """The new episode fills its plan slot unless the slot holds another episode or is gone: the episode is kept
    either way (the page offers the slot again), so this never fails its transaction."""
    plan_id, position = plan_slot
    where = (plan_slots.c.plan_id == plan_id) & (plan_slots.c.position == position) & plan_slots.c.episode_id.is_(None)
    if connection.execute(plan_slots.update().where(where).values(episode_id=episode_id)).rowcount == 0:
        log.warning(
            "episode %s did not fill slot %s of plan %s: it holds another or is none", episode_id, position, plan_id
        )


def _insert(connection: sa.Connection, table: sa.Table, values: dict[str, Any]) -> sa.RowMapping:
    try:
        return connection.execute(table.insert().values(**values).returning(*table.c)).one()._mapping
    except exc.IntegrityError as error:
        if table is episodes:
            raise RegistryError(
                f"Episode {values['episode_index']} of {values['dataset_root']} is already in the registry: an "
                "episode index names one recorded episode. Edit that episode instead, or record this one under "
                "its own index."
            ) from error
        raise


def dataset_location(row: EpisodeRow | RunRecord) -> tuple[Path | None, str]:
    """Where this computer finds a run's dataset: (the folder, "") when it is here, through the shared recordings
    folder or on this very computer; else (None, which host holds it and what to mount)."""
    share = os.environ.get(SHARED_RECORDINGS_ENV)
    if row.dataset_shared is not None and share:
        folder = Path(share).expanduser() / row.dataset_shared
        if folder.is_dir():
            return folder, ""
    if row.computer in ("", database.this_computer()) and Path(row.dataset_root).is_dir():
        return Path(row.dataset_root), ""
    where = f"{row.dataset_root} on {row.computer or 'the computer that recorded it'}"
    if row.dataset_shared is not None:
        return None, (
            f"The dataset is {where}, in the shared recordings folder as {row.dataset_shared}: mount that folder here "
            f"and set ${SHARED_RECORDINGS_ENV} to it."
        )
    return None, f"The dataset is {where}, outside the shared recordings folder: copy it here or open it there."


def _shared_path(root: str) -> str | None:
    """The dataset's path inside the shared recordings folder ($PREFLIGHT_SHARED_RECORDINGS), None outside it."""
    share = os.environ.get(SHARED_RECORDINGS_ENV)
    if not share:
        return None
    try:
        return str(Path(root).relative_to(Path(share).expanduser().resolve()))
    except ValueError:
        return None


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


def _record[R](cls: type[R], row: Mapping[str, Any]) -> R:
    """The record `cls` from its row: `<field>_json` columns decoded, `*_at` times parsed, flags made bool."""
    return cls(**{name: decode(row[column]) for name, column, decode in _plan(cls, tuple(row.keys()))})


def _records[R](cls: type[R], result: sa.CursorResult) -> list[R]:
    """`_record` for every row of `result`, the decoding planned once (Analytics reads thousands of rows)."""
    keys = tuple(result.keys())
    plan = [(name, keys.index(column), decode) for name, column, decode in _plan(cls, keys)]
    return [cls(**{name: decode(row[index]) for name, index, decode in plan}) for row in result]


@functools.cache
def _plan(cls: type, columns: tuple[str, ...]) -> tuple[tuple[str, str, Callable[[Any], Any]], ...]:
    """Per field of `cls`: the column it is read from and how it is decoded."""
    plan = []
    for field in dataclasses.fields(cls):
        if f"{field.name}_json" in columns:
            plan.append((field.name, f"{field.name}_json", json.loads))
        elif field.name.endswith("_at"):
            plan.append((field.name, field.name, _time))
        elif field.type == "bool":
            plan.append((field.name, field.name, bool))
        else:
            plan.append((field.name, field.name, _same))
    return tuple(plan)


def _same(value: Any) -> Any:
    return value
