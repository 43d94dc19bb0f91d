"""Talking to a running station from the app, tests or scripts.

Each thread gets its own connection, so a page's long-polling MJPEG stream never
delays another page's emergency stop. Connecting and the mutual HMAC handshake both have a
timeout (`handshake`, also used by the station for each connection it accepts).
"""

from __future__ import annotations

import socket
import struct
import threading
from dataclasses import dataclass
from multiprocessing import AuthenticationError
from multiprocessing.connection import Connection, answer_challenge, deliver_challenge

import cv2
import numpy as np

from core.errors import StationError
from core.start_pose.move_home import DEFAULT_MAX_SPEED_DEG_S
from core.station.camera_feed import EncodedFrame
from core.station.commands import CONTROLLED, Command
from core.station.config import StationConfig
from core.station.control import DEFAULT_LEASE_S, ControlStatus
from core.station.run_settings import RunSettings
from core.station.state import RunStatus, StationState, StationTimings


class StationUnreachable(StationError):
    """The station process did not answer: it stopped or crashed."""


@dataclass(frozen=True)
class StationAddress:
    name: str
    host: str
    port: int
    authkey: bytes
    pid: int
    start_ticks: int | None = None  # the process's start time (runtime.json): a reused pid is not the station


CONNECT_TIMEOUT_S = 2.0  # loopback: a station that does not accept within this is not answering
HANDSHAKE_TIMEOUT_S = 3.0  # the mutual HMAC challenge, each side's reads and writes


def handshake(sock: socket.socket, authkey: bytes, station_side: bool, timeout_s: float = HANDSHAKE_TIMEOUT_S):
    """The authenticated `Connection` over a connected socket, or OSError / AuthenticationError within `timeout_s`.

    TCP_NODELAY on both ends: without it no reply over 16 KB escaped a delayed ACK for about 40 ms.
    """
    sock.settimeout(None)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    _set_io_timeout(sock, timeout_s)  # Connection reads the raw descriptor: the kernel enforces the timeout
    connection = Connection(sock.detach())
    try:
        if station_side:
            deliver_challenge(connection, authkey)
            answer_challenge(connection, authkey)
        else:
            answer_challenge(connection, authkey)
            deliver_challenge(connection, authkey)
        with socket.socket(fileno=socket.dup(connection.fileno())) as raw:
            _set_io_timeout(raw, 0.0)  # authenticated: replies may take as long as the command does
    except BaseException:
        connection.close()
        raise
    return connection


def _set_io_timeout(sock: socket.socket, seconds: float) -> None:
    value = struct.pack("ll", int(seconds), int((seconds % 1) * 1_000_000))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)


class StationClient:
    """Commands to one station, one typed method per `Command`; connections come from a process-wide pool.

    A client bound to a browser session (`for_session`) names it in every command of `CONTROLLED`, which the station
    then accepts only from the session in control (core/station/control.py); an unbound client is a program holding
    the station's key (the command line, a test) and is never refused for control.
    """

    def __init__(self, address: StationAddress, session: str | None = None, lease_s: float = DEFAULT_LEASE_S) -> None:
        self.address = address
        self.session = session
        self.lease_s = lease_s

    def for_session(self, session: str, lease_s: float = DEFAULT_LEASE_S) -> StationClient:
        """This station's client acting for browser session `session`, whose lease lapses `lease_s` after its last
        renewal."""
        return StationClient(self.address, session, lease_s)

    @property
    def name(self) -> str:
        return self.address.name

    def ping(self, timeout_s: float = 10.0) -> str:
        """The station's "pong": it is alive and answering."""
        return self._call(Command.PING, timeout_s)

    def state(self) -> StationState:
        """The newest snapshot the station published."""
        return self._call(Command.STATE)

    def frame(self, camera: str, after_seq: int = 0, wait_s: float = 1.0) -> EncodedFrame | None:
        """The newest JPEG of `camera` once it is newer than `after_seq`; None if none came within `wait_s`."""
        return self._call(Command.FRAME, wait_s + 5, camera=camera, after_seq=after_seq, wait_s=wait_s)

    def latest_images(self, cameras: list[str]) -> dict[str, np.ndarray]:
        """The newest frame of each camera, decoded to RGB arrays (cameras without a frame are left out)."""
        images = {}
        for camera in cameras:
            frame = self.frame(camera, after_seq=0, wait_s=1.0)
            if frame is not None:
                images[camera] = cv2.cvtColor(
                    cv2.imdecode(np.frombuffer(frame.jpeg, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB
                )
        return images

    def timings(self) -> StationTimings:
        """Raw episode periods and emergency-stop times, for benchmarks."""
        return self._call(Command.TIMINGS)

    def emergency_stop(self) -> None:
        """Latch the emergency stop: the arm holds where it is until released."""
        self._call(Command.EMERGENCY_STOP)

    def release_emergency_stop(self) -> None:
        """Release the latched emergency stop; the arm stays where it is."""
        self._call(Command.RELEASE_EMERGENCY_STOP)

    def set_mirror(self, enabled: bool) -> None:
        """Start (after a slow catch-up) or stop the follower copying the leader arm."""
        self._call(Command.SET_MIRROR, enabled=enabled)

    def stop_motion(self) -> None:
        """End leader mirroring or a move home; the arm holds where it is."""
        self._call(Command.STOP_MOTION)

    def set_camera_mapping(self, mapping: dict[str, str]) -> StationConfig:
        """Re-plug cameras in software (name -> device) while the arm is idle; returns the saved config."""
        return self._call(Command.SET_CAMERA_MAPPING, mapping=mapping)

    def move_home(self, target: dict[str, float], max_speed_deg_s: float = DEFAULT_MAX_SPEED_DEG_S) -> None:
        """Start a speed-limited move to `target` (motor -> position, robot units)."""
        self._call(Command.MOVE_HOME, target=target, max_speed_deg_s=max_speed_deg_s)

    def claim_control(self) -> ControlStatus:
        """Get control for this session if nobody holds it (a refusal names who does), renew it if it holds it."""
        return self._call(Command.CLAIM_CONTROL, session=self._session(), lease_s=self.lease_s)

    def renew_control(self) -> ControlStatus:
        """The heartbeat: renew this session's lease if it holds control; the status either way."""
        return self._call(Command.RENEW_CONTROL, session=self._session(), lease_s=self.lease_s)

    def take_control(self) -> ControlStatus:
        """Take control from the session that holds it; that session sees it was taken."""
        return self._call(Command.TAKE_CONTROL, session=self._session(), lease_s=self.lease_s)

    def release_control(self, session: str | None = None) -> ControlStatus:
        """Give up the control `session` holds (default: this client's session)."""
        return self._call(Command.RELEASE_CONTROL, session=session or self._session())

    def shutdown(self, timeout_s: float = 10.0) -> None:
        """Ask the station process to stop: it holds and disconnects the arm, then exits."""
        self._call(Command.SHUTDOWN, timeout_s)

    def start_run(self, settings: RunSettings) -> RunStatus:
        """Open a policy run: load the policy and prepare its recording (the status says when it is ready)."""
        return self._call(Command.START_RUN, settings=settings)

    def start_episode(self, scene_seed: int | None = None, plan_slot: tuple[int, int] | None = None) -> RunStatus:
        """Hand the arm to the policy for one episode of the open run. An evaluation's episode names its
        `plan_slot` (plan id, position), which the kept episode fills, and its twins' `scene_seed` (the simulated
        lab places the object from it)."""
        return self._call(Command.START_EPISODE, scene_seed=scene_seed, plan_slot=plan_slot)

    def stop_episode(self) -> None:
        """End the episode in progress; it is kept."""
        self._call(Command.STOP_EPISODE)

    def discard_episode(self) -> None:
        """End the episode in progress and mark it discarded (its frames are still saved)."""
        self._call(Command.DISCARD_EPISODE)

    def end_run(self) -> RunStatus:
        """End the open run; the episode in progress is saved and the recording finalised."""
        return self._call(Command.END_RUN)

    def run_status(self) -> RunStatus:
        """The open (or last) policy run, with live telemetry during an episode."""
        return self._call(Command.RUN_STATUS)

    def set_leader(self, joints: dict[str, float]) -> None:
        """Simulated stations: move the leader arm (motor -> position) as an operator's hand would."""
        self._call(Command.SET_LEADER, joints=joints)

    def inject_fault(self, fault: str, **parameters: object) -> None:
        """Simulated stations: make a failure happen on purpose (`core.station.sim_controls.FAULTS`)."""
        self._call(Command.INJECT_FAULT, fault=fault, **parameters)

    def sim_faults(self) -> dict:
        """Simulated stations: which faults are active (`SimControls.active_faults`); they outlast a restart."""
        return self._call(Command.SIM_FAULTS)

    def open_stream(self, camera: str) -> FrameStream:
        """A connection of its own for one camera's frames (MJPEG routes hold it for minutes)."""
        return FrameStream(self.address, camera)

    def close(self) -> None:
        """Close this station's idle pooled connections (after it was asked to stop)."""
        with _idle_lock:
            pool = _idle.pop(self.address, [])
        for connection in pool:
            _discard(connection)

    def _session(self) -> str:
        if self.session is None:
            raise StationError("Control belongs to browser sessions: bind this client with for_session(...) first.")
        return self.session

    def _call(self, command: Command, timeout_s: float = 10.0, **arguments: object):
        """Send one command and wait for its reply; a StationError carries the station's own message."""
        if self.session is not None and command in CONTROLLED:
            arguments = {**arguments, "session": self.session, "lease_s": self.lease_s}
        connection = _borrow(self.address)
        try:
            connection.send({"op": command.value, **arguments})
            if not connection.poll(timeout_s):
                _discard(connection)
                raise StationUnreachable(
                    f"Station '{self.name}' did not answer '{command.value}' within {timeout_s:.0f} s."
                )
            status, value = connection.recv()
        except (EOFError, OSError) as error:
            _discard(connection)
            raise StationUnreachable(
                f"Lost the connection to station '{self.name}' ({type(error).__name__}); it may have stopped or "
                "crashed."
            ) from error
        _give_back(self.address, connection)
        if status == "error":
            raise StationError(value)
        return value


POOL_SIZE = 8  # idle connections kept per station
_idle: dict[StationAddress, list[Connection]] = {}
_idle_lock = threading.Lock()


def _connect(address: StationAddress) -> Connection:
    """An authenticated connection, or StationUnreachable within the connect and handshake timeouts."""
    try:
        sock = socket.create_connection((address.host, address.port), timeout=CONNECT_TIMEOUT_S)
        return handshake(sock, address.authkey, station_side=False)
    except (OSError, EOFError, AuthenticationError) as error:
        raise StationUnreachable(
            f"Station '{address.name}' is not answering on port {address.port} ({type(error).__name__}: {error}); "
            "it may have stopped. Check its status on the sidebar."
        ) from error


def _borrow(address: StationAddress) -> Connection:
    with _idle_lock:
        pool = _idle.get(address)
        if pool:
            return pool.pop()
    return _connect(address)


def _give_back(address: StationAddress, connection: Connection) -> None:
    with _idle_lock:
        pool = _idle.setdefault(address, [])
        if len(pool) < POOL_SIZE:
            pool.append(connection)
            return
    _discard(connection)


def _discard(connection: Connection) -> None:
    try:
        connection.close()
    except OSError:
        pass


class FrameStream:
    """Long-polls one camera's JPEG frames over a dedicated connection; use from one task at a time."""

    def __init__(self, address: StationAddress, camera: str) -> None:
        self.camera = camera
        self.seq = 0
        self._connection = _connect(address)

    def next(self, wait_s: float = 1.0) -> EncodedFrame | None:
        """The next frame newer than the last one returned, or None if none came within `wait_s`."""
        try:
            request = {"op": Command.FRAME.value, "camera": self.camera, "after_seq": self.seq, "wait_s": wait_s}
            self._connection.send(request)
            if not self._connection.poll(wait_s + 5):
                raise StationUnreachable(f"The station stopped answering for camera '{self.camera}'.")
            status, value = self._connection.recv()
        except (EOFError, OSError) as error:
            raise StationUnreachable(f"The station stopped sending camera '{self.camera}'.") from error
        if status == "error":
            raise StationError(value)
        if value is not None:
            self.seq = value.seq
        return value

    def close(self) -> None:
        try:
            self._connection.close()
        except OSError:
            pass
