"""The registry's database: URLs, engines, transactions, lock retries and schema migrations.

SQLite (one file, WAL mode; every process on one computer) or PostgreSQL (one server for a
lab), both through SQLAlchemy Core. Each operation is one short transaction: on SQLite a write
takes the file's lock at its start (`BEGIN IMMEDIATE`) and is retried while the lock stays
taken; the schema is brought to Alembic's head once per process and URL. See docs/registry.md.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import exc

from core.errors import RegistryError
from core.workspace import Workspace

DATABASE_URL_ENV = "PREFLIGHT_DATABASE_URL"
SQLITE_PREFIX = "sqlite:///"
POSTGRESQL_PREFIX = "postgresql+psycopg://"
BUSY_TIMEOUT_S = 5.0
LOCK_RETRIES = 3
CONNECT_TIMEOUT_S = 3
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
HEAD_REVISION = "0003"  # the newest file in migrations/versions; a test checks they agree
LEGACY_REVISION = "0001"  # what a file of the raw-sqlite3 schema (PRAGMA user_version 1) is stamped as
LEGACY_USER_VERSION = 1

FORMS = (
    "sqlite:///relative/path.sqlite (from the current folder), sqlite:////absolute/path.sqlite, or "
    "postgresql+psycopg://USER@HOST[:PORT]/DATABASE (password from ~/.pgpass or $PGPASSWORD, or in the URL)"
)
SHARING_ADVICE = (
    "An SQLite file is shared only by processes on one computer (WAL mode needs shared memory): do not put it on "
    "NFS or SMB. Stations on several computers share one PostgreSQL registry instead (docs/registry.md)."
)

T = TypeVar("T")
log = logging.getLogger(__name__)

_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s'\"]*:)[^@/\s'\"]*@")
_QUERY_SECRET = re.compile(r"(?i)(?P<head>[?&;](?:password|passwd|pwd|secret|token)=)[^&;\s'\"]*")


def mask_passwords(text: str) -> str:
    """`text` with the password of every URL in it (`scheme://user:PASSWORD@host`, `?password=`) shown as ***."""
    return _QUERY_SECRET.sub(r"\g<head>***", _URL_PASSWORD.sub(r"\g<head>***@", text))


class MaskPasswords(logging.Filter):
    """A logging filter: the record's message, formatted, and its exception's traceback and stack, with their
    passwords masked (`mask_passwords`); a formatter prints the masked `exc_text` instead of formatting anew."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_passwords(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _PLAIN.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_passwords(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_passwords(record.stack_info)
        return True


_PLAIN = logging.Formatter()
_masking_installed = threading.Lock()
_MASKING: list[Callable[..., logging.LogRecord]] = []


def mask_passwords_in_logs() -> None:
    """Every log record this process makes from now on, whichever logger and handler (Streamlit's, uvicorn's,
    ones added later), is masked by `MaskPasswords` as it is made: the app calls it once at start."""
    with _masking_installed:
        if _MASKING:
            return
        make = logging.getLogRecordFactory()
        masking = MaskPasswords()

        def masked_record(*args, **kwargs) -> logging.LogRecord:
            record = make(*args, **kwargs)
            try:
                masking.filter(record)
            except Exception:  # noqa: BLE001 - a bad format string fails in the handler, as without masking
                pass
            return record

        _MASKING.append(masked_record)
        logging.setLogRecordFactory(masked_record)


class RegistryUnavailable(RegistryError):
    """The database cannot be reached (server down, network gone, an SQLite file locked by another process past
    the retries): a station queues its writes (see spool.py)."""


def default_database_url() -> str:
    """$PREFLIGHT_DATABASE_URL, else the registry file in the workspace."""
    return os.environ.get(DATABASE_URL_ENV) or SQLITE_PREFIX + str(Workspace.default().registry_path)


def this_computer() -> str:
    """The host name a run records as its computer."""
    return socket.gethostname()


def normalized_url(url: str) -> str:
    """The URL in its one stored form: an SQLite file as an absolute path; a PostgreSQL URL as given."""
    scheme = url.split("://", 1)[0] if "://" in url else url
    if scheme == "sqlite":
        return SQLITE_PREFIX + str(path_of_url(url))
    if scheme == "postgresql+psycopg":
        parsed = sa.engine.make_url(url)
        if not parsed.database:
            raise RegistryError(f"Registry database URL {mask_passwords(url)!r} names no database: use {FORMS}.")
        return url
    raise RegistryError(
        f"Registry database URL {mask_passwords(url)!r} is not supported ({scheme!r}): use {FORMS}. {SHARING_ADVICE}"
    )


def path_of_url(url: str) -> Path:
    """The file a `sqlite:///relative.sqlite` (from the current folder) or `sqlite:////absolute.sqlite` URL names."""
    path = url.removeprefix(SQLITE_PREFIX)
    if not url.startswith(SQLITE_PREFIX) or not path or path == ":memory:" or "?" in path:
        raise RegistryError(
            f"Registry database URL {mask_passwords(url)!r} names no file: use {FORMS}, without query parameters."
        )
    return Path(path).expanduser().resolve()


def is_sqlite(engine: sa.Engine) -> bool:
    return engine.dialect.name == "sqlite"


_engines: dict[str, sa.Engine] = {}
_prepared: set[str] = set()
_engines_lock = threading.Lock()


def engine_for(url: str) -> sa.Engine:
    """One engine (and connection pool) per normalized URL and process, its schema brought to head once."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = _create_engine(url)
    if url not in _prepared:
        prepare(engine)
        _prepared.add(url)
    return engine


def _create_engine(url: str) -> sa.Engine:
    if url.startswith(SQLITE_PREFIX):
        path = path_of_url(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})
        sa.event.listen(engine, "connect", _sqlite_connected)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    return sa.create_engine(
        url, pool_pre_ping=True, pool_size=2, max_overflow=4, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
    )


def _sqlite_connected(dbapi_connection, _record) -> None:
    """Transactions are begun by `_sqlite_begin`, not by the driver; the busy timeout and foreign keys on."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(connection: sa.Connection) -> None:
    """A write takes the lock at its start, so SQLite's busy timeout does the waiting instead of a late failure."""
    write = connection.get_execution_options().get("preflight_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def run_transaction(engine: sa.Engine, work: Callable[[sa.Connection], T], write: bool) -> T:
    """Run `work` in one transaction, again from the start while an SQLite file stays locked."""

    def attempt() -> T:
        with engine.connect() as connection:
            connection = connection.execution_options(preflight_write=write)
            with connection.begin():
                return work(connection)

    return retry_while_locked(engine, attempt)


def retry_while_locked(engine: sa.Engine, action: Callable[[], T]) -> T:
    """SQLite's busy timeout already waits for the lock; this covers a lock held past it and busy errors it skips.

    Every other database failure becomes a RegistryError (RegistryUnavailable when the database cannot be reached),
    its message with the URL's password masked."""
    where = mask_passwords(engine.url.render_as_string(hide_password=True))
    for attempt in range(LOCK_RETRIES):
        try:
            return action()
        except exc.OperationalError as error:
            if not is_lock_error(error):
                raise _failure(where, error) from error
        except exc.DatabaseError as error:
            if "not a database" in str(error.orig):
                raise RegistryError(
                    f"{where} is not an SQLite database: point ${DATABASE_URL_ENV} (or --database-url) at a registry."
                ) from error
            raise
        time.sleep(0.05 * 2**attempt)
    raise RegistryUnavailable(  # a station queues the write, as when a server is down
        f"The registry database {where} stayed locked by another process for over "
        f"{LOCK_RETRIES * BUSY_TIMEOUT_S:.0f} s. Try again; if it persists, look for a stuck process holding the file "
        "(a station queues its writes meanwhile)."
    )


def _failure(where: str, error: exc.OperationalError) -> RegistryError:
    detail = mask_passwords(str(error.orig)).strip().splitlines()[0] if str(error.orig).strip() else type(error.orig)
    if where.startswith("sqlite"):
        return RegistryUnavailable(
            f"The registry database {where} failed: {detail}. Check that the file and its folder are writable and "
            f"the disk is not full, or point ${DATABASE_URL_ENV} (or --database-url) at another file."
        )
    return RegistryUnavailable(
        f"The registry database {where} cannot be reached: {detail}. Check that the server is up and this "
        f"computer can reach it; a station queues its writes meanwhile."
    )


def is_lock_error(error: exc.OperationalError) -> bool:
    message = str(error.orig)
    return "database is locked" in message or "database is busy" in message or "database table is locked" in message


def prepare(engine: sa.Engine) -> None:
    """Bring the schema to Alembic's head (SQLite: in WAL mode); one process at a time, the others wait."""
    if is_sqlite(engine):
        retry_while_locked(engine, lambda: _use_wal(engine))
    if run_transaction(engine, _revision, write=False) == HEAD_REVISION:
        return
    try:
        run_transaction(engine, _upgrade, write=True)
    except exc.ProgrammingError as error:  # a least-privilege station role may not change the schema
        raise RegistryError(
            f"The registry schema needs an upgrade to revision {HEAD_REVISION}, which this database user may not "
            f"make ({mask_passwords(str(error.orig)).splitlines()[0]}). Run any `python -m core registry` command "
            "once with the URL of the role that owns the tables; the stations then follow."
        ) from error


def _use_wal(engine: sa.Engine) -> None:
    """WAL mode is stored in the file, but switching needs a moment with no other connection writing."""
    connection = engine.raw_connection()  # outside any transaction, which SQLAlchemy's connections would begin
    try:
        connection.cursor().execute("PRAGMA journal_mode = WAL")
    except sqlite3.DatabaseError as error:
        raise exc.DatabaseError("PRAGMA journal_mode = WAL", None, error) from error
    finally:
        connection.close()


def _revision(connection: sa.Connection) -> str | None:
    """The schema's Alembic revision, read as Alembic stores it (Alembic itself is imported only to migrate: its
    import takes longer than Analytics' whole query)."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _upgrade(connection: sa.Connection) -> None:
    """Inside the write transaction (SQLite: the file lock; PostgreSQL: an advisory lock) so only one process
    migrates; a file of the raw-sqlite3 schema is stamped as revision 0001 first, keeping every row."""
    from alembic import command
    from alembic.config import Config

    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('preflight registry migrations'))")
    current = _revision(connection)
    if current == HEAD_REVISION:
        return  # another process migrated while this one waited for the lock
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    if current is None and connection.dialect.name == "sqlite":
        user_version = connection.exec_driver_sql("PRAGMA user_version").scalar()
        if user_version > LEGACY_USER_VERSION:
            raise RegistryError(
                f"The registry database has schema version {user_version}, newer than this Preflight knows. "
                f"Update Preflight, or point ${DATABASE_URL_ENV} (or --database-url) at another file."
            )
        if user_version == LEGACY_USER_VERSION:
            command.stamp(config, LEGACY_REVISION)
    try:
        command.upgrade(config, "head")
    except Exception as error:
        if "Can't locate revision" in str(error):
            raise RegistryError(
                f"The registry database is at schema revision {current}, newer than this Preflight knows "
                f"({HEAD_REVISION}). Update Preflight, or point ${DATABASE_URL_ENV} (or --database-url) elsewhere."
            ) from error
        raise
    log.info("registry schema upgraded from %s to %s", current, HEAD_REVISION)
