"""A throwaway PostgreSQL server for tests and benchmarks: Debian's `postgresql` binaries, a cluster in a temp
folder, reached only through a unix socket in that folder (no TCP port), removed when done.

initdb refuses to run as root, so as root the cluster belongs to `nobody` (`runuser`). The tests share one
cluster per process (a pytest session, or one xdist worker): `shared_postgres()`, each test on a fresh database.
"""

from __future__ import annotations

import atexit
import glob
import itertools
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "preflight"
PORT = 5432  # names the socket file only: listen_addresses is empty
FAST = ("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")


def pg_bin(name: str) -> str:
    """`initdb` / `pg_ctl` from PATH, else from Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise RuntimeError(f"{name} not found: install Debian's postgresql (scripts/setup.sh does, as root).")
    return found


@dataclass(frozen=True)
class PostgresServer:
    folder: Path  # holds data/, the log and the socket
    durable: bool

    def url(self, database: str = "postgres", user: str = SUPERUSER, password: str | None = None) -> str:
        """A `postgresql+psycopg://` URL through the socket."""
        secret = f":{password}" if password else ""
        return f"postgresql+psycopg://{user}{secret}@/{database}?host={self.folder}&port={PORT}"

    def sql(self, statement: str, database: str = "postgres") -> None:
        """Run one statement as the superuser, outside a transaction (CREATE DATABASE needs that)."""
        import psycopg

        with psycopg.connect(host=str(self.folder), port=PORT, user=SUPERUSER, dbname=database, autocommit=True) as c:
            c.execute(statement)

    def create_database(self, name: str) -> str:
        self.sql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def fresh_database(self, prefix: str = "test") -> str:
        """A new, empty database with a name no other caller in this process got; its URL."""
        return self.create_database(f"{prefix}_{next(_database_numbers)}")

    def stop(self) -> None:
        _as_owner([pg_bin("pg_ctl"), "-D", str(self.folder / "data"), "-w", "-m", "fast", "stop"])

    def start(self) -> None:
        options = [
            "-c",
            "listen_addresses=",
            "-c",
            f"unix_socket_directories={self.folder}",
            "-p",
            str(PORT),
            "-c",
            "max_connections=200",
        ]
        if not self.durable:
            options += FAST
        command = [pg_bin("pg_ctl"), "-D", str(self.folder / "data"), "-l", str(self.folder / "log"), "-w"]
        _as_owner([*command, "-o", " ".join(_quoted(option) for option in options), "start"])


_database_numbers = itertools.count()
_shared: list[PostgresServer] = []
_shared_lock = threading.Lock()


def shared_postgres() -> PostgresServer:
    """This process's throwaway cluster, started on the first call and removed when the process exits: every test
    module that needs PostgreSQL uses the same one (making and starting one takes about a second)."""
    with _shared_lock:
        if not _shared:
            cluster = throwaway_postgres()
            _shared.append(cluster.__enter__())
            atexit.register(cluster.__exit__, None, None, None)
        return _shared[0]


@contextmanager
def throwaway_postgres(durable: bool = False) -> Iterator[PostgresServer]:
    """A fresh cluster, started; stopped and removed on exit. `durable=False` turns fsync off (tests)."""
    folder = Path(tempfile.mkdtemp(prefix="preflight-pg-", dir="/tmp"))  # short: a socket path has ~100 bytes
    if os.geteuid() == 0:
        shutil.chown(folder, user="nobody")
    server = PostgresServer(folder, durable)
    try:
        _as_owner(
            [pg_bin("initdb"), "-D", str(folder / "data"), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8"]
            + ["--locale=C.UTF-8", "--no-sync"]
        )
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _as_owner(command: list[str]) -> None:
    if os.geteuid() == 0:
        command = ["runuser", "-u", "nobody", "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd="/tmp")
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr or done.stdout}")


def _quoted(option: str) -> str:
    return f"'{option}'" if option.endswith("=") else option
