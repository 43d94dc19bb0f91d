"""The schema goes through Alembic on both backends; a registry file of the raw-sqlite3 schema upgrades in place."""

from __future__ import annotations

import socket
import sqlite3

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from core.registry import HEAD_REVISION, Registry
from core.registry.database import MIGRATIONS_DIR
from core.registry.schema import metadata

# The schema exactly as core/registry/database.py wrote it before Alembic (PRAGMA user_version 1).
LEGACY_SCHEMA = (
    """CREATE TABLE policies (
        id INTEGER PRIMARY KEY, path TEXT NOT NULL, weights_sha256 TEXT NOT NULL, policy_type TEXT NOT NULL,
        registered_at TEXT NOT NULL, UNIQUE (path, weights_sha256))""",
    """CREATE TABLE runs (
        id INTEGER PRIMARY KEY, policy_id INTEGER NOT NULL REFERENCES policies (id), station TEXT NOT NULL,
        dataset_root TEXT NOT NULL, task TEXT NOT NULL,
        task_override INTEGER NOT NULL CHECK (task_override IN (0, 1)), chunk_size INTEGER NOT NULL,
        n_action_steps INTEGER NOT NULL, inference TEXT NOT NULL CHECK (inference IN ('sync', 'rtc')),
        rtc_execution_horizon INTEGER, camera_mapping_json TEXT NOT NULL, rename_map_json TEXT NOT NULL,
        fps REAL NOT NULL, training_profile TEXT, started_at TEXT NOT NULL)""",
    """CREATE TABLE episodes (
        id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs (id), dataset_root TEXT NOT NULL,
        episode_index INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('recorded', 'aborted', 'discarded')), abort_reason TEXT,
        start_pose_distance_deg REAL, start_pose_deltas_deg_json TEXT NOT NULL, length_frames INTEGER NOT NULL,
        started_at TEXT NOT NULL, ended_at TEXT, CHECK ((status = 'aborted') = (abort_reason IS NOT NULL)))""",
    """CREATE UNIQUE INDEX episodes_in_dataset ON episodes (dataset_root, episode_index)
        WHERE status != 'discarded'""",
    "CREATE INDEX episodes_of_run ON episodes (run_id)",
    """CREATE TABLE tags (
        id INTEGER PRIMARY KEY, episode_id INTEGER NOT NULL REFERENCES episodes (id),
        outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'untagged')),
        score INTEGER CHECK (score BETWEEN 0 AND 100), note TEXT NOT NULL, tagged_at TEXT NOT NULL)""",
    "CREATE INDEX tags_of_episode ON tags (episode_id, id)",
    """CREATE TRIGGER tags_are_append_only_update BEFORE UPDATE ON tags
        BEGIN SELECT RAISE(ABORT, 'tags are append-only: add a new tag instead'); END""",
    """CREATE TRIGGER tags_are_append_only_delete BEFORE DELETE ON tags
        BEGIN SELECT RAISE(ABORT, 'tags are append-only: add a new tag instead'); END""",
    """CREATE VIEW latest_tags AS
        SELECT * FROM tags t WHERE t.id = (SELECT MAX(id) FROM tags WHERE episode_id = t.episode_id)""",
    """CREATE TABLE events (
        id INTEGER PRIMARY KEY, station TEXT NOT NULL, kind TEXT NOT NULL, payload_json TEXT NOT NULL,
        run_id INTEGER REFERENCES runs (id), logged_at TEXT NOT NULL)""",
    "CREATE INDEX events_by_station ON events (station, id)",
)
T0 = "2025-05-01T10:00:00+00:00"


def write_legacy_registry(path) -> dict[str, list[tuple]]:
    """A registry file as today's code leaves it, with a lab's worth of rows; returns every table's rows."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("BEGIN")
    for statement in LEGACY_SCHEMA:
        connection.execute(statement)
    connection.execute("PRAGMA user_version = 1")
    connection.execute("INSERT INTO policies VALUES (1, '/ckpt/act/pretrained_model', ?, 'act', ?)", ("ab" * 32, T0))
    for run_id, station in ((1, "arm-1"), (2, "arm-2")):
        connection.execute(
            "INSERT INTO runs VALUES (?, 1, ?, ?, 'Grab the brain', 0, 10, 5, 'sync', NULL, '{\"front\": \"0\"}', "
            "'{}', 30.0, 'brain_v3', ?)",
            (run_id, station, f"/recordings/rollout_{station}", T0),
        )
    for episode_id in range(1, 7):
        run_id = 1 + episode_id % 2
        status, reason = ("aborted", "camera wrist lost") if episode_id == 5 else ("recorded", None)
        connection.execute(
            "INSERT INTO episodes VALUES (?, ?, ?, ?, ?, ?, 1.5, '{\"gripper\": 2.0}', 90, ?, ?)",
            (episode_id, run_id, f"/recordings/rollout_arm-{run_id}", episode_id, status, reason, T0, T0),
        )
    connection.execute(
        "INSERT INTO episodes VALUES (7, 1, '/recordings/rollout_arm-1', 2, 'discarded', NULL, NULL, '{}', 0, ?, ?)",
        (T0, T0),
    )
    for tag_id, (episode_id, outcome) in enumerate([(1, "success"), (1, "failure"), (2, "untagged"), (3, "success")]):
        connection.execute("INSERT INTO tags VALUES (?, ?, ?, 50, 'edit', ?)", (tag_id + 1, episode_id, outcome, T0))
    connection.execute("INSERT INTO events VALUES (1, 'arm-1', 'emergency_stop', '{}', 1, ?)", (T0,))
    connection.execute("COMMIT")
    rows = {
        table: connection.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
        for table in ("policies", "runs", "episodes", "tags", "events")
    }
    connection.close()
    return rows


def test_a_registry_file_of_todays_schema_upgrades_in_place_keeping_every_row(tmp_path):
    path = tmp_path / "registry.sqlite"
    before = write_legacy_registry(path)

    registry = Registry.open(f"sqlite:///{path}")
    connection = sqlite3.connect(path)
    assert connection.execute("SELECT version_num FROM alembic_version").fetchone()[0] == HEAD_REVISION
    for table, rows in before.items():
        after = connection.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
        width = len(rows[0])
        assert [row[:width] for row in after] == rows, table  # every row, every value, same ids
    assert {row[0] for row in connection.execute("SELECT computer FROM runs")} == {socket.gethostname()}
    connection.close()

    rows = registry.episode_rows()
    assert [(row.episode_id, row.outcome) for row in rows] == [
        (1, "failure"),
        (2, "untagged"),
        (3, "success"),
        (4, None),
        (5, None),
        (6, None),
        (7, None),
    ]
    assert [tag.outcome for tag in registry.tag_history(1)] == ["success", "failure"]
    assert [episode.id for episode in registry.untagged_episodes()] == [4, 5, 6]
    next_tag = registry.tag_episode(4, "success")  # new rows continue after the old ids
    assert registry.tag_history(4) == [next_tag]
    Registry.open(f"sqlite:///{path}")  # opening again changes nothing
    with sqlite3.connect(path) as again:
        assert again.execute("SELECT COUNT(*) FROM tags").fetchone()[0] == 5


def test_head_revision_is_the_newest_migration():
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION


def test_the_migrated_schema_has_the_columns_the_store_queries(db_url):
    registry = Registry.open(db_url)
    engine = sa.create_engine(db_url)
    inspector = sa.inspect(engine)
    for table in metadata.tables.values():
        assert [column["name"] for column in inspector.get_columns(table.name)] == list(table.c.keys()), table.name
    assert "latest_tags" in inspector.get_view_names()
    engine.dispose()
    assert registry.episode_rows() == []
