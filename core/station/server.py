"""The station process: holds the robot lock, runs the Station, answers clients on loopback.

Clients connect with `multiprocessing.connection` on 127.0.0.1 and an auth key that only
the workspace's owner can read (`runtime.json`, mode 0600), and send the commands of
`core.station.commands.Command`.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable
from multiprocessing import AuthenticationError
from pathlib import Path

from core import codec
from core.errors import PreflightError, StationError
from core.station.client import handshake
from core.station.commands import CONTROLLED, Command
from core.station.config import StationConfig, station_dir
from core.station.control import DEFAULT_LEASE_S, ControlLease
from core.station.ownership import process_start_ticks, robot_lock
from core.station.real_time import raise_station_priority
from core.station.station import Station
from core.workspace import WORKSPACE_ENV, Workspace

log = logging.getLogger(__name__)


def runtime_path(workspace: Workspace, name: str) -> Path:
    return station_dir(workspace, name) / "runtime.json"


def exit_path(workspace: Workspace, name: str) -> Path:
    return station_dir(workspace, name) / "exit.json"


def log_path(workspace: Workspace, name: str) -> Path:
    return station_dir(workspace, name) / "station.log"


def serve(
    name: str, workspace: Workspace, parent_pid: int | None = None, setup: Callable[[Station], None] | None = None
) -> int:
    """Run the station until asked to stop, the parent dies or SIGTERM arrives. Returns the exit status."""
    raise_station_priority()  # before any thread starts: they all inherit it
    shutdown = Shutdown()
    _exit_with_parent(parent_pid, shutdown)
    signal.signal(signal.SIGTERM, lambda *_: shutdown.request("SIGTERM"))
    signal.signal(signal.SIGINT, lambda *_: shutdown.request("SIGINT"))
    exit_path(workspace, name).unlink(missing_ok=True)
    os.environ[WORKSPACE_ENV] = str(workspace.root)  # the registry and profiles resolve to this workspace
    release = None
    try:
        config = StationConfig.load(workspace, name)
        with robot_lock(config.robot_device(), station_dir(workspace, name), name):
            station = Station(config, workspace)
            station.start()
            try:
                if setup is not None:
                    setup(station)
                _serve_clients(station, workspace, shutdown)
            finally:
                release = station.stop(shutdown.reason or "the station failed")
                runtime_path(workspace, name).unlink(missing_ok=True)
    except PreflightError as error:
        _write_exit(workspace, name, clean=False, error=str(error), release=release)
        log.error("%s", error)
        return 3
    _write_exit(workspace, name, clean=True, error="", release=release)
    return 0


class Shutdown(threading.Event):
    """The station's stop request, with who asked (the stop command, a signal, the parent gone)."""

    reason = ""

    def request(self, reason: str) -> None:
        self.reason = self.reason or reason
        self.set()


def _serve_clients(station: Station, workspace: Workspace, shutdown: Shutdown) -> None:
    authkey = secrets.token_bytes(32)
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    handlers = station_handlers(station, shutdown)
    address = listener.getsockname()
    _write_runtime(workspace, station.config.name, address, authkey)
    threading.Thread(target=_accept, args=(listener, authkey, handlers, shutdown), daemon=True).start()
    log.info("station '%s' serving on %s", station.config.name, address)
    shutdown.wait()
    listener.shutdown(socket.SHUT_RDWR)  # wakes the accept thread
    listener.close()


def station_handlers(station: Station, shutdown: Shutdown) -> dict[Command, Callable]:
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
        Command.SHUTDOWN: lambda: shutdown.request("stop command"),
        Command.CLAIM_CONTROL: station.control.claim,
        Command.RENEW_CONTROL: station.control.renew,
        Command.TAKE_CONTROL: station.control.take,
        Command.RELEASE_CONTROL: station.control.release,
    }
    for extension in station.extensions:
        handlers.update(extension.handlers())
    for command in CONTROLLED & handlers.keys():
        handlers[command] = _controlled(station.control, handlers[command])
    return handlers


def _controlled(lease: ControlLease, handler: Callable) -> Callable:
    """`handler` behind the lease: a request that names a browser session claims control first (refused while another
    session holds it). A request without one comes from a program with the station's key (the command line, a test)."""

    def answer(session: str | None = None, lease_s: float = DEFAULT_LEASE_S, **arguments):
        if session is not None:
            lease.claim(session, lease_s)
        return handler(**arguments)

    return answer


MAX_HANDSHAKES = 512  # connections still proving the key; more are closed at once


def _accept(
    listener: socket.socket, authkey: bytes, handlers: dict[Command, Callable], shutdown: threading.Event
) -> None:
    """Accept only: each connection's handshake runs on its own thread with a timeout, so an idle or garbage
    connection never holds up the next client (the e-stop among them)."""
    handshakes = threading.BoundedSemaphore(MAX_HANDSHAKES)
    while not shutdown.is_set():
        try:
            sock, _ = listener.accept()
        except OSError:
            if shutdown.is_set():
                return
            continue
        if not handshakes.acquire(blocking=False):
            sock.close()
            continue
        threading.Thread(target=_answer, args=(sock, authkey, handlers, handshakes), daemon=True).start()


def _answer(
    sock: socket.socket, authkey: bytes, handlers: dict[Command, Callable], handshakes: threading.BoundedSemaphore
) -> None:
    try:
        connection = handshake(sock, authkey, station_side=True)
    except (OSError, EOFError, AuthenticationError):
        sock.close()
        return
    finally:
        handshakes.release()
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
        "start_ticks": process_start_ticks(os.getpid()),  # with the command line, tells this process from a reused pid
        "host": address[0],
        "port": address[1],
        "authkey": authkey.hex(),
        "started_at": time.time(),
    }
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(payload, handle)
    tmp.replace(path)


def _write_exit(workspace: Workspace, name: str, clean: bool, error: str, release=None) -> None:
    """`arm`: how the station left the follower (`ArmRelease`), null if it never connected."""
    path = exit_path(workspace, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    arm = None if release is None else codec.to_json(release)
    path.write_text(json.dumps({"clean": clean, "error": error, "at": time.time(), "pid": os.getpid(), "arm": arm}))


def _exit_with_parent(parent_pid: int | None, shutdown: Shutdown) -> None:
    """No orphans: when the process that started us goes away (we are re-parented), stop the arm and exit."""
    if parent_pid is None:
        return

    def watch() -> None:
        while not shutdown.is_set():
            if os.getppid() != parent_pid:
                log.warning("parent %s is gone: shutting down", parent_pid)
                shutdown.request("the app that started the station is gone")
            time.sleep(0.2)

    threading.Thread(target=watch, daemon=True).start()
