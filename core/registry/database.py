"""The registry's SQLite file: database URLs, connections, schema migrations, lock retries.

Several processes write to one file at once (one station per arm plus the app), so
every operation opens its own short-lived connection, takes the write lock at the
start of its transaction (`BEGIN IMMEDIATE`, which lets SQLite's busy timeout do the
waiting) and retries when the lock stays taken. WAL journal mode lets readers go on
while a writer works.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from core.errors import RegistryError
from core.workspace import Workspace

DATABASE_URL_ENV = "PREFLIGHT_DATABASE_URL"
SQLITE_PREFIX = "sqlite:///"
BUSY_TIMEOUT_S = 5.0
LOCK_RETRIES = 3

SHARING_ADVICE = (
    "Stations and the app share one registry by pointing at the same SQLite file, which is safe for "
    "processes on one computer. The file is in SQLite's WAL mode, which coordinates writers through shared "
    "memory and so needs every process that opens it to run on the same computer: do not share one file on "
    "a network filesystem (NFS, SMB) between stations on different computers; give each computer its own "
    "file and combine their `python -m core registry export` CSV files."
)

# Each entry moves the schema from version i to i + 1; append new entries, never edit old ones.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE policies (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL,
            weights_sha256 TEXT NOT NULL,
            policy_type TEXT NOT NULL,
            registered_at TEXT NOT NULL,
            UNIQUE (path, weights_sha256)
        )""",
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            policy_id INTEGER NOT NULL REFERENCES policies (id),
            station TEXT NOT NULL,
            dataset_root TEXT NOT NULL,
            task TEXT NOT NULL,
            task_override INTEGER NOT NULL CHECK (task_override IN (0, 1)),
            chunk_size INTEGER NOT NULL,
            n_action_steps INTEGER NOT NULL,
            inference TEXT NOT NULL CHECK (inference IN ('sync', 'rtc')),
            rtc_execution_horizon INTEGER,
            camera_mapping_json TEXT NOT NULL,
            rename_map_json TEXT NOT NULL,
            fps REAL NOT NULL,
            training_profile TEXT,
            started_at TEXT NOT NULL
        )""",
        """CREATE TABLE episodes (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs (id),
            dataset_root TEXT NOT NULL,
            episode_index INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('recorded', 'aborted', 'discarded')),
            abort_reason TEXT,
            start_pose_distance_deg REAL,
            start_pose_deltas_deg_json TEXT NOT NULL,
            length_frames INTEGER NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            CHECK ((status = 'aborted') = (abort_reason IS NOT NULL))
        )""",
        # A discarded episode left no frames, so its index is used again by the next episode.
        """CREATE UNIQUE INDEX episodes_in_dataset ON episodes (dataset_root, episode_index)
            WHERE status != 'discarded'""",
        "CREATE INDEX episodes_of_run ON episodes (run_id)",
        # Append-only: every decision and every later edit is a new row; the latest row per episode is its tag.
        """CREATE TABLE tags (
            id INTEGER PRIMARY KEY,
            episode_id INTEGER NOT NULL REFERENCES episodes (id),
            outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'untagged')),
            score INTEGER CHECK (score BETWEEN 0 AND 100),
            note TEXT NOT NULL,
            tagged_at TEXT NOT NULL
        )""",
        "CREATE INDEX tags_of_episode ON tags (episode_id, id)",
        """CREATE TRIGGER tags_are_append_only_update BEFORE UPDATE ON tags
            BEGIN SELECT RAISE(ABORT, 'tags are append-only: add a new tag instead'); END""",
        """CREATE TRIGGER tags_are_append_only_delete BEFORE DELETE ON tags
            BEGIN SELECT RAISE(ABORT, 'tags are append-only: add a new tag instead'); END""",
        # Correlated on purpose: joined to episodes, SQLite then looks each episode's tag up by index.
        """CREATE VIEW latest_tags AS
            SELECT * FROM tags t WHERE t.id = (SELECT MAX(id) FROM tags WHERE episode_id = t.episode_id)""",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            station TEXT NOT NULL,
            kind TEXT NOT NULL,
            payload_json TEXT NOT NULL,
            run_id INTEGER REFERENCES runs (id),
            logged_at TEXT NOT NULL
        )""",
        "CREATE INDEX events_by_station ON events (station, id)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

T = TypeVar("T")


_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s'\"]*:)[^@/\s'\"]*@")
_QUERY_SECRET = re.compile(r"(?i)(?P<head>[?&;](?:password|passwd|pwd|secret|token)=)[^&;\s'\"]*")


def mask_passwords(text: str) -> str:
    """`text` with the password of every URL in it (`scheme://user:PASSWORD@host`, `?password=`) shown as ***."""
    return _QUERY_SECRET.sub(r"\g<head>***", _URL_PASSWORD.sub(r"\g<head>***@", text))


class MaskPasswords(logging.Filter):
    """A logging filter: the record's message, formatted, with its passwords masked (`mask_passwords`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_passwords(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def default_database_url() -> str:
    """$PREFLIGHT_DATABASE_URL, else the registry file in the workspace."""
    return os.environ.get(DATABASE_URL_ENV) or SQLITE_PREFIX + str(Workspace.default().registry_path)


def path_of_url(url: str) -> Path:
    """The file a `sqlite:///relative.sqlite` (from the current folder) or `sqlite:////absolute.sqlite` URL names."""
    forms = "sqlite:///relative/path.sqlite (from the current folder) or sqlite:////absolute/path.sqlite"
    scheme = url.split("://", 1)[0] if "://" in url else url
    if scheme != "sqlite":
        raise RegistryError(
            f"Registry database URL {mask_passwords(url)!r} is not supported: only SQLite URLs are ({forms}), "
            f"not {scheme!r}. {SHARING_ADVICE}"
        )
    path = url.removeprefix(SQLITE_PREFIX)
    if not url.startswith(SQLITE_PREFIX) or not path or path == ":memory:" or "?" in path:
        raise RegistryError(
            f"Registry database URL {mask_passwords(url)!r} names no file: use {forms}, without query parameters."
        )
    return Path(path).expanduser().resolve()


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are begun explicitly) with the busy timeout and foreign keys on."""
    try:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.OperationalError as error:
        raise RegistryError(
            f"Cannot open the registry database {path}: {error}. Check that the folder exists and is writable, "
            f"or point ${DATABASE_URL_ENV} (or --db) at another file."
        ) from error
    connection.row_factory = sqlite3.Row
    connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


def run_transaction(path: Path, work: Callable[[sqlite3.Connection], T], write: bool) -> T:
    """Run `work` in one transaction on a fresh connection, again from the start while the database stays locked."""

    def attempt() -> T:
        connection = connect(path)
        try:
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            result = work(connection)
            connection.execute("COMMIT")
            return result
        finally:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            connection.close()

    return retry_while_locked(path, attempt)


def retry_while_locked(path: Path, action: Callable[[], T]) -> T:
    """SQLite's busy timeout already waits for the lock; this covers a lock held past it and busy errors it skips."""
    for attempt in range(LOCK_RETRIES):
        try:
            return action()
        except sqlite3.OperationalError as error:
            if not is_lock_error(error):
                raise RegistryError(
                    f"The registry database {path} failed: {error}. Check that the file and its folder are "
                    f"writable and the disk is not full, or point ${DATABASE_URL_ENV} (or --db) at another file."
                ) from error
        except sqlite3.DatabaseError as error:
            if "not a database" in str(error):
                raise RegistryError(
                    f"{path} is not an SQLite database: point ${DATABASE_URL_ENV} (or --db) at a registry file."
                ) from error
            raise
        time.sleep(0.05 * 2**attempt)
    raise RegistryError(
        f"The registry database {path} stayed locked by another process for over "
        f"{LOCK_RETRIES * BUSY_TIMEOUT_S:.0f} s. Try again; if it persists, look for a stuck process holding the file."
    )


def is_lock_error(error: sqlite3.OperationalError) -> bool:
    message = str(error)
    return "database is locked" in message or "database is busy" in message or "database table is locked" in message


def prepare(path: Path) -> None:
    """Create the file and its folders if needed, switch it to WAL mode and bring its schema up to date."""
    path.parent.mkdir(parents=True, exist_ok=True)
    retry_while_locked(path, lambda: use_wal(path))
    run_transaction(path, migrate, write=True)


def use_wal(path: Path) -> None:
    """WAL mode is stored in the file, but switching needs a moment with no other connection writing."""
    connection = connect(path)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
    finally:
        connection.close()


def migrate(connection: sqlite3.Connection) -> None:
    """Apply the missing migrations; run inside a write transaction so two processes cannot both apply one."""
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise RegistryError(
            f"The registry database has schema version {version}, newer than this Preflight knows "
            f"({SCHEMA_VERSION}). Update Preflight, or point ${DATABASE_URL_ENV} (or --db) at another file."
        )
    for next_version in range(version + 1, SCHEMA_VERSION + 1):
        for statement in MIGRATIONS[next_version - 1]:
            connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {next_version}")
