"""Start, find, watch and stop station processes.

The app starts a station on demand and finds it again after a page reload through
`runtime.json` in the workspace. A station that died without saying so (no clean
`exit.json`) is reported as crashed with the end of its log, and is never restarted
behind the operator's back: restarting is an explicit `start`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Literal

from core.errors import StationError
from core.station.client import StationAddress, StationClient, StationUnreachable
from core.station.config import StationConfig
from core.station.ownership import is_station_process
from core.station.server import exit_path, log_path, runtime_path
from core.workspace import Workspace

ProcessStatus = Literal["running", "stopped", "crashed", "failed"]
_children: dict[tuple[Workspace, str], subprocess.Popen] = {}  # stations this process started


@dataclass(frozen=True)
class StationProcess:
    name: str
    status: ProcessStatus
    pid: int | None
    message: str  # why it failed or crashed, for the page
    log_tail: str


def start(
    config: StationConfig, workspace: Workspace, timeout_s: float = 60.0, stop_with_this_process: bool = True
) -> StationClient:
    """Save the config and start its station process; return a client once it answers.

    With `stop_with_this_process` (the app, tests) the station stops when this process is
    gone; the `station start` command leaves it running until `station stop`.
    """
    running = connect(config.name, workspace)
    if running is not None:
        return running
    config.save(workspace)
    for stale in (runtime_path(workspace, config.name), exit_path(workspace, config.name)):
        stale.unlink(missing_ok=True)
    log_file = open(log_path(workspace, config.name), "ab")
    command = [
        sys.executable,
        "-m",
        "core",
        "station",
        "run",
        "--name",
        config.name,
        "--workspace",
        str(workspace.root),
    ]
    if stop_with_this_process:
        command += ["--parent-pid", str(os.getpid())]
    process = subprocess.Popen(
        command, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
    )
    log_file.close()
    _children[_key(workspace, config.name)] = process
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        client = connect(config.name, workspace)
        if client is not None:
            return client
        if process.poll() is not None:
            raise StationError(status(config.name, workspace).message)
        time.sleep(0.1)
    stop(config.name, workspace)
    raise StationError(
        f"Station '{config.name}' did not start within {timeout_s:.0f} s; see {log_path(workspace, config.name)}."
    )


def connect(name: str, workspace: Workspace) -> StationClient | None:
    """A client for the running station, or None when it is not running (or not answering)."""
    address = _running_address(name, workspace)
    if address is None:
        return None
    client = StationClient(address)
    try:
        client.ping(timeout_s=5)
    except StationUnreachable:
        return None
    return client


def emergency_stop(name: str, workspace: Workspace) -> bool:
    """Send the station its `estop` in one round trip (no ping first, unlike `connect`); False when it is not running.

    For the app server's emergency-stop route: the server runs at normal priority beside a station
    at nice -10 and a policy at -20, so each round trip it makes can wait for a core.
    """
    address = _running_address(name, workspace)
    if address is None:
        return False
    StationClient(address).emergency_stop()
    return True


def status(name: str, workspace: Workspace) -> StationProcess:
    address = _address(name, workspace)
    child = _children.get(_key(workspace, name))
    exit_code = child.poll() if child is not None else None
    if address is not None and _alive(address.pid) and exit_code is None:
        return StationProcess(name, "running", address.pid, "", "")
    exit_info = _read_json(exit_path(workspace, name))
    tail = _log_tail(workspace, name)
    if exit_info is not None and exit_info.get("clean"):
        return StationProcess(name, "stopped", None, "", tail)
    if exit_info is not None:
        return StationProcess(name, "failed", exit_info.get("pid"), exit_info.get("error", ""), tail)
    if address is not None or (child is not None and exit_code is not None):
        code = f" with exit code {exit_code}" if exit_code is not None else ""
        return StationProcess(
            name,
            "crashed",
            address.pid if address else None,
            f"Station '{name}' crashed{code}. The arm is no longer controlled; check it, read the log below, then "
            "start the station again.",
            tail,
        )
    return StationProcess(name, "stopped", None, "", tail)


def stop(name: str, workspace: Workspace, timeout_s: float = 60.0) -> None:
    """Ask the station to stop (it saves the episode, parks the arm at its rest pose, then disconnects it);
    terminate it if it does not (SIGTERM parks too). `timeout_s` leaves room for the move to rest."""
    client = connect(name, workspace)
    address = _address(name, workspace)
    if client is not None:
        try:
            client.shutdown(timeout_s=5)
        except StationError:
            pass
        client.close()
    if address is not None:
        deadline = time.monotonic() + timeout_s
        while _alive(address.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(address.pid) and is_station_process(address.pid, name, address.start_ticks):
            os.kill(address.pid, 15)  # only the station that wrote runtime.json, never a process that reused its pid
    child = _children.pop(_key(workspace, name), None)
    if child is not None:
        try:
            child.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def stop_children() -> None:
    """Stop every station this process started (the app's shutdown hook)."""
    for workspace, name in list(_children):
        stop(name, workspace)


def _key(workspace: Workspace, name: str) -> tuple[Workspace, str]:
    return (workspace, name)


def _address(name: str, workspace: Workspace) -> StationAddress | None:
    runtime = _read_json(runtime_path(workspace, name))
    if runtime is None:
        return None
    return StationAddress(
        name,
        runtime["host"],
        runtime["port"],
        bytes.fromhex(runtime["authkey"]),
        runtime["pid"],
        runtime.get("start_ticks"),
    )


def _running_address(name: str, workspace: Workspace) -> StationAddress | None:
    """The station's address while its process is alive (it may still not answer)."""
    address = _address(name, workspace)
    return address if address is not None and _alive(address.pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours counts as dead
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def _read_json(path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _log_tail(workspace: Workspace, name: str, lines: int = 30) -> str:
    try:
        return "\n".join(log_path(workspace, name).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
