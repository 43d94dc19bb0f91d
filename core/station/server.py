"""The station process: holds the robot lock, runs the Station, answers clients on loopback.

Clients connect with `multiprocessing.connection` on 127.0.0.1 and an auth key that only
the workspace's owner can read (`runtime.json`, mode 0600), and send the commands of
`core.station.commands.Command`.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import secrets
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection, Listener
from pathlib import Path

from core.errors import PreflightError, StationError
from core.station.client import send_without_delay
from core.station.commands import Command
from core.station.config import StationConfig, station_dir
from core.station.real_time import raise_station_priority
from core.station.station import Station
from core.workspace import WORKSPACE_ENV, Workspace

log = logging.getLogger(__name__)
LOCK_DIR = Path(tempfile.gettempdir()) / "preflight-locks"


def runtime_path(workspace: Workspace, name: str) -> Path:
    return station_dir(workspace, name) / "runtime.json"


def exit_path(workspace: Workspace, name: str) -> Path:
    return station_dir(workspace, name) / "exit.json"


def log_path(workspace: Workspace, name: str) -> Path:
    return station_dir(workspace, name) / "station.log"


@contextmanager
def robot_lock(identity: str, station_name: str) -> Iterator[None]:
    """Exclusive, per machine: one process drives one robot. Released by the kernel if we die."""
    LOCK_DIR.mkdir(parents=True, exist_ok=True)
    path = LOCK_DIR / (identity.strip("/").replace("/", "_") + ".lock")
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as error:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise StationError(
            f"The robot {identity} is already driven by {holder}. Stop that station first; only one process may drive "
            "an arm."
        ) from error
    handle.seek(0)
    handle.truncate()
    handle.write(f"station '{station_name}' (pid {os.getpid()})")
    handle.flush()
    try:
        yield
    finally:
        handle.close()


def serve(
    name: str, workspace: Workspace, parent_pid: int | None = None, setup: Callable[[Station], None] | None = None
) -> int:
    """Run the station until asked to stop, the parent dies or SIGTERM arrives. Returns the exit status."""
    raise_station_priority()  # before any thread starts: they all inherit it
    shutdown = threading.Event()
    _exit_with_parent(parent_pid, shutdown)
    signal.signal(signal.SIGTERM, lambda *_: shutdown.set())
    signal.signal(signal.SIGINT, lambda *_: shutdown.set())
    exit_path(workspace, name).unlink(missing_ok=True)
    os.environ[WORKSPACE_ENV] = str(workspace.root)  # the registry and profiles resolve to this workspace
    try:
        config = StationConfig.load(workspace, name)
        with robot_lock(config.robot_identity(workspace), name):
            station = Station(config, workspace)
            station.start()
            try:
                if setup is not None:
                    setup(station)
                _serve_clients(station, workspace, shutdown)
            finally:
                station.stop()
                runtime_path(workspace, name).unlink(missing_ok=True)
    except PreflightError as error:
        _write_exit(workspace, name, clean=False, error=str(error))
        log.error("%s", error)
        return 3
    _write_exit(workspace, name, clean=True, error="")
    return 0


def _serve_clients(station: Station, workspace: Workspace, shutdown: threading.Event) -> None:
    authkey = secrets.token_bytes(32)
    listener = Listener(("127.0.0.1", 0), authkey=authkey)
    handlers = station_handlers(station, shutdown)
    _write_runtime(workspace, station.config.name, listener.address, authkey)
    threading.Thread(target=_accept, args=(listener, handlers, shutdown), daemon=True).start()
    log.info("station '%s' serving on %s", station.config.name, listener.address)
    shutdown.wait()
    listener.close()


def station_handlers(station: Station, shutdown: threading.Event) -> dict[Command, Callable]:
    """Command -> the callable that answers it on this station (a real station has no simulator commands)."""
    handlers: dict[Command, Callable] = {
        Command.PING: lambda: "pong",
        Command.STATE: station.state,
        Command.FRAME: station.frame,
        Command.TIMINGS: station.timings,
        Command.EMERGENCY_STOP: station.emergency_stop,
        Command.RELEASE_EMERGENCY_STOP: station.release_estop,
        Command.SET_MIRROR: station.set_mirror,
        Command.STOP_MOTION: station.stop_motion,
        Command.SET_CAMERA_MAPPING: station.set_camera_mapping,
        Command.MOVE_HOME: station.move_home,
        Command.SHUTDOWN: shutdown.set,
    }
    for extension in station.extensions:
        handlers.update(extension.handlers())
    return handlers


def _accept(listener: Listener, handlers: dict[Command, Callable], shutdown: threading.Event) -> None:
    while not shutdown.is_set():
        try:
            connection = listener.accept()
        except Exception:  # noqa: BLE001 - closed listener or a client that failed authentication
            if shutdown.is_set():
                return
            continue
        send_without_delay(connection)
        threading.Thread(target=_answer, args=(connection, handlers), daemon=True).start()


def _answer(connection: Connection, handlers: dict[Command, Callable]) -> None:
    with connection:
        while True:
            try:
                request = connection.recv()
            except (EOFError, OSError):
                return
            op = request.pop("op", None)
            handler = handlers.get(Command.named(op))
            try:
                if handler is None:
                    raise StationError(f"Unknown station command '{op}'.")
                reply = ("ok", handler(**request))
            except PreflightError as error:
                reply = ("error", str(error))
            except Exception as error:  # noqa: BLE001 - reported to the caller, logged here
                log.exception("command %s failed", op)
                reply = ("error", f"The station failed on '{op}': {type(error).__name__}: {error}")
            try:
                connection.send(reply)
            except (EOFError, OSError):
                return


def _write_runtime(workspace: Workspace, name: str, address: tuple[str, int], authkey: bytes) -> None:
    path = runtime_path(workspace, name)
    tmp = path.with_suffix(".tmp")
    payload = {
        "pid": os.getpid(),
        "host": address[0],
        "port": address[1],
        "authkey": authkey.hex(),
        "started_at": time.time(),
    }
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(payload, handle)
    tmp.replace(path)


def _write_exit(workspace: Workspace, name: str, clean: bool, error: str) -> None:
    path = exit_path(workspace, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"clean": clean, "error": error, "at": time.time(), "pid": os.getpid()}))


def _exit_with_parent(parent_pid: int | None, shutdown: threading.Event) -> None:
    """No orphans: when the process that started us goes away (we are re-parented), stop the arm and exit."""
    if parent_pid is None:
        return

    def watch() -> None:
        while not shutdown.is_set():
            if os.getppid() != parent_pid:
                log.warning("parent %s is gone: shutting down", parent_pid)
                shutdown.set()
            time.sleep(0.2)

    threading.Thread(target=watch, daemon=True).start()
