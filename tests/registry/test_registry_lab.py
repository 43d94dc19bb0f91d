"""A lab with many arms: SQLite history copied into PostgreSQL, a station that loses the server (or whose SQLite
file another process keeps locked) keeps recording, runs name their computer, and stations connect with a
least-privilege role."""

from __future__ import annotations

import argparse
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from subprocess import PIPE

import pytest
import sqlalchemy as sa

from core.cli import registry as registry_command
from core.errors import RegistryError
from core.registry import QueuedWrite, Registry, RegistryUnavailable, database
from core.workspace import REPO_ROOT


def cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="python -m core registry")
    registry_command.configure(parser)
    return registry_command.run(parser.parse_args(argv))


def fill(registry: Registry, run, episodes: int = 5) -> None:
    """Episodes with edited tags, an event, and an ended evaluation plan whose first two slots hold episodes."""
    plan = registry.create_plan(run.station, "A vs B", 2, [{}, {"n_action_steps": 30}], [(0, 0, 1), (1, 0, 1)] * 2)
    for index in range(episodes):
        episode = registry.record_episode(
            run.id, run.dataset_root, index, length_frames=10, started_at=datetime.now(UTC)
        )
        registry.tag_episode(episode.id, "success", note="first")
        registry.tag_episode(episode.id, "failure", note="edited")
        if index < 2:
            registry.fill_plan_slot(plan.id, index, episode.id)
    registry.end_plan(plan.id)
    registry.log_event(run.station, "emergency_stop", {"page": "Deploy"}, run_id=run.id)


def start_run(registry: Registry, checkpoint, station: str = "arm-1", root: str = "/recordings/rollout"):
    policy = registry.register_policy(checkpoint)
    settings = dict(task="Grab the brain", chunk_size=10, n_action_steps=5, fps=30, camera_mapping={"front": "0"})
    return registry.start_run(policy.id, station=station, dataset_root=root, **settings)


def test_copy_moves_the_sqlite_history_into_postgresql_with_counts_checked(
    sqlite_url, postgresql_url, checkpoint, capsys
):
    source = Registry.open(sqlite_url)
    fill(source, start_run(source, checkpoint))

    assert cli("copy", "--to", postgresql_url, "--database-url", sqlite_url) == 0
    out = capsys.readouterr().out
    copied = "copied 1 policies, 1 runs, 5 episodes, 10 tags, 1 events, 1 plans, 4 plan_slots"
    assert copied in out and "counts checked" in out

    target = Registry.open(postgresql_url)
    assert target.counts() == source.counts()
    assert target.episode_rows() == source.episode_rows()
    assert [t.note for t in target.tag_history(1)] == ["first", "edited"]
    assert target.plans() == source.plans() and target.plan_slots(1) == source.plan_slots(1)
    assert [slot.episode_id for slot in target.plan_slots(1)] == [1, 2, None, None]
    assert target.create_plan("arm-1", "next", 1, [{}, {}], [(0, 0, 0)]).id == 2  # the plans' sequence moved too
    later = target.tag_episode(1, "success", note="after the move")  # new rows follow the copied ids
    assert later == target.tag_history(1)[-1] and len(target.tag_history(1)) == 3

    with pytest.raises(RegistryError, match="already holds rows"):
        cli("copy", "--to", postgresql_url, "--db", sqlite_url)
    assert target.counts()["tags"] == 11


def test_a_station_that_loses_the_server_queues_its_writes_and_flushes_them_on_reconnect(
    postgres, postgresql_url, checkpoint, tmp_path
):
    registry = Registry.open(postgresql_url, spool=tmp_path / "spool")
    run = start_run(registry, checkpoint)
    registry.record_episode(run.id, run.dataset_root, 0, length_frames=10, started_at=datetime.now(UTC))
    assert registry.spool_state().queued == 0

    postgres.stop()
    try:
        queued = [
            registry.record_episode(run.id, run.dataset_root, index, length_frames=10, started_at=datetime.now(UTC))
            for index in (1, 2)
        ]
        queued.append(registry.log_event("arm-1", "emergency_stop", {}, run_id=run.id))
        assert all(isinstance(write, QueuedWrite) and write.id is None for write in queued)
        state = registry.spool_state()
        assert state.queued == 3 and "cannot be reached" in state.last_error
        with pytest.raises(RegistryUnavailable):
            registry.episode_rows()  # a read never pretends
    finally:
        postgres.start()

    after = registry.record_episode(run.id, run.dataset_root, 3, length_frames=10, started_at=datetime.now(UTC))
    assert after.id is not None and registry.spool_state().queued == 0
    assert [row.episode_index for row in registry.episode_rows()] == [0, 1, 2, 3]  # in the order they ended
    assert [event.kind for event in registry.events()] == ["emergency_stop"]
    assert Registry.open(postgresql_url).spool_state().queued == 0


HOLD_LOCK = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()
connection.rollback()
"""


@contextmanager
def locked_by_another_process(path: Path) -> Iterator[None]:
    """A second process holds the SQLite file's write lock until the block ends: a stuck writer, or an `sqlite3`
    shell left in a transaction. (A folder made read-only is no outage: open connections go on writing.)"""
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path)], stdin=PIPE, stdout=PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)


def test_a_station_whose_sqlite_file_another_process_keeps_locked_queues_its_writes_and_flushes_them_after(
    sqlite_url, checkpoint, tmp_path, monkeypatch
):
    monkeypatch.setattr(database, "BUSY_TIMEOUT_S", 0.2)  # a write gives up after 3 x 0.2 s rather than 3 x 5 s
    registry = Registry.open(sqlite_url, spool=tmp_path / "spool")
    run = start_run(registry, checkpoint)
    plan = registry.create_plan("arm-1", "A vs B", 1, [{}, {"n_action_steps": 30}], [(0, 0, 3), (1, 0, 3)])
    now = datetime.now(UTC)
    registry.record_episode(run.id, run.dataset_root, 0, length_frames=10, started_at=now)

    with locked_by_another_process(registry.path):
        queued = [
            registry.record_episode(run.id, run.dataset_root, 1, length_frames=10, started_at=now, plan_slot=(1, 0)),
            registry.record_episode(run.id, run.dataset_root, 2, length_frames=10, started_at=now),
            registry.log_event("arm-1", "emergency_stop", {}, run_id=run.id),
        ]
        assert all(isinstance(write, QueuedWrite) and write.id is None for write in queued)
        state = registry.spool_state()  # what the station's run message and RunStatus.registry_queued carry
        assert state.queued == 3 and "stayed locked by another process" in state.last_error
        assert [row.episode_index for row in registry.episode_rows()] == [0]  # WAL: reads go on, without the queue

    after = registry.record_episode(run.id, run.dataset_root, 3, length_frames=10, started_at=now)
    assert after.id is not None and registry.spool_state().queued == 0
    rows = registry.episode_rows()
    assert [row.episode_index for row in rows] == [0, 1, 2, 3]  # in the order they ended
    assert [event.kind for event in registry.events()] == ["emergency_stop"]
    assert [slot.episode_id for slot in registry.plan_slots(plan.id)] == [rows[1].episode_id, None]


def test_an_evaluation_episode_queued_while_the_server_is_away_fills_its_plan_slot_once_written(
    postgres, postgresql_url, checkpoint, tmp_path
):
    registry = Registry.open(postgresql_url, spool=tmp_path / "spool")
    run = start_run(registry, checkpoint)
    plan = registry.create_plan("arm-1", "A vs B", 1, [{}, {"n_action_steps": 30}], [(0, 0, 3), (1, 0, 3)])
    now = datetime.now(UTC)
    first = registry.record_episode(run.id, run.dataset_root, 0, length_frames=10, started_at=now, plan_slot=(1, 0))
    postgres.stop()
    try:
        queued = registry.record_episode(
            run.id, run.dataset_root, 1, length_frames=10, started_at=now, plan_slot=(1, 1)
        )
        assert isinstance(queued, QueuedWrite) and registry.spool_state().queued == 1
    finally:
        postgres.start()

    assert registry.flush() == 1
    written = [row.episode_id for row in registry.episode_rows() if row.episode_index == 1]
    assert [slot.episode_id for slot in registry.plan_slots(plan.id)] == [first.id, *written]


def test_a_run_records_its_station_computer_and_shared_dataset_path(db_url, checkpoint, tmp_path, monkeypatch):
    share = tmp_path / "lab-share"
    monkeypatch.setenv("PREFLIGHT_SHARED_RECORDINGS", str(share))
    registry = Registry.open(db_url)
    policy = registry.register_policy(checkpoint)
    settings = dict(task="t", chunk_size=1, n_action_steps=1, fps=30, camera_mapping={})
    shared = registry.start_run(policy.id, station="arm-1", dataset_root=share / "arm-1" / "run1", **settings)
    local = registry.start_run(policy.id, station="arm-2", dataset_root=tmp_path / "local" / "run1", **settings)
    assert (shared.computer, shared.dataset_shared) == (socket.gethostname(), "arm-1/run1")
    assert (local.computer, local.dataset_shared) == (socket.gethostname(), None)
    registry.record_episode(shared.id, shared.dataset_root, 0, length_frames=1, started_at=datetime.now(UTC))
    (row,) = registry.episode_rows(computer=socket.gethostname(), station="arm-1")
    assert (row.station, row.computer, row.dataset_shared) == ("arm-1", socket.gethostname(), "arm-1/run1")
    assert registry.episode_rows(computer="another-pc") == []


def test_the_documented_station_role_can_record_and_tag_but_not_rewrite(postgres, postgresql_url, checkpoint):
    doc = (REPO_ROOT / "docs" / "registry.md").read_text()
    (grants,) = re.findall(r"```sql\n(.*?)```", doc, flags=re.DOTALL)
    database = sa.make_url(postgresql_url).database
    owner = Registry.open(postgresql_url)  # the owner makes the schema
    policy = owner.register_policy(checkpoint)
    for statement in filter(str.strip, grants.replace("preflight_registry", database).split(";")):
        postgres.sql(statement.replace("CHANGE-ME", "station-pass"), database=database)

    station_url = postgres.url(database, user="preflight_station", password="station-pass")
    station = Registry.open(station_url)
    assert "station-pass" not in station.url and "***" in station.url
    run = start_run(station, checkpoint)
    assert run.policy_id == policy.id
    episode = station.record_episode(run.id, run.dataset_root, 0, length_frames=1, started_at=datetime.now(UTC))
    station.tag_episode(episode.id, "success")
    station.tag_episode(episode.id, "failure")
    assert [t.outcome for t in station.tag_history(episode.id)] == ["success", "failure"]
    plan = station.create_plan("arm-1", "n15 vs n30", 1, [{}, {"n_action_steps": 30}], [(0, 0, 7), (1, 0, 7)])
    assert station.fill_plan_slot(plan.id, 0, episode.id).episode_id == episode.id
    assert station.end_plan(plan.id).ended_at is not None
    assert [slot.episode_id for slot in owner.plan_slots(plan.id)] == [episode.id, None]
    engine = sa.create_engine(station_url)
    refused = ("UPDATE tags SET note = 'x'", "UPDATE plans SET name = 'x'", "UPDATE plan_slots SET seed = 0")
    for statement in (*refused, "DELETE FROM episodes", "DELETE FROM plan_slots", "CREATE TABLE mine (id int)"):
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"), engine.begin() as connection:
            connection.exec_driver_sql(statement)
    engine.dispose()
