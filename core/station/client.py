"""Talking to a running station from the app, tests or scripts.

Each thread gets its own connection, so a page's long-polling MJPEG stream never
delays another page's emergency stop.
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass
from multiprocessing.connection import Client, Connection

import cv2
import numpy as np

from core.errors import StationError
from core.station.camera_feed import EncodedFrame
from core.station.state import StationState


class StationUnreachable(StationError):
    """The station process did not answer: it stopped or crashed."""


@dataclass(frozen=True)
class StationAddress:
    name: str
    host: str
    port: int
    authkey: bytes
    pid: int


def send_without_delay(connection: Connection) -> None:
    """TCP_NODELAY on a station connection, both ends. Without it Nagle's algorithm holds a write back
    until the peer's delayed ACK of the previous one (about 40 ms on loopback): a reply over 16 KB (a
    camera JPEG) goes out as header then payload, and a new client's first request follows its last
    handshake message (measured in bench/stream_bench.py and bench/loop_bench.py)."""
    with socket.socket(fileno=os.dup(connection.fileno())) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class StationClient:
    """Commands to one station. Connections come from a process-wide pool, one per call at a time:
    Streamlit runs every script and fragment run on a fresh thread, and a new authenticated
    connection per run would cost a handshake and a station thread each time."""

    def __init__(self, address: StationAddress) -> None:
        self.address = address

    @property
    def name(self) -> str:
        return self.address.name

    def call(self, op: str, timeout_s: float = 10.0, **arguments):
        """Send one command and wait for its reply; a StationError carries the station's own message."""
        connection = _borrow(self.address)
        try:
            connection.send({"op": op, **arguments})
            if not connection.poll(timeout_s):
                _discard(connection)
                raise StationUnreachable(f"Station '{self.name}' did not answer '{op}' within {timeout_s:.0f} s.")
            status, value = connection.recv()
        except (EOFError, OSError) as error:
            _discard(connection)
            raise StationUnreachable(f"Lost the connection to station '{self.name}' ({type(error).__name__}); it may have stopped or crashed.") from error
        _give_back(self.address, connection)
        if status == "error":
            raise StationError(value)
        return value

    def state(self) -> StationState:
        return self.call("state")

    def frame(self, camera: str, after_seq: int = 0, wait_s: float = 1.0) -> EncodedFrame | None:
        return self.call("frame", timeout_s=wait_s + 5, camera=camera, after_seq=after_seq, wait_s=wait_s)

    def latest_images(self, cameras: list[str]) -> dict[str, np.ndarray]:
        """The newest frame of each camera, decoded to RGB arrays (cameras without a frame are left out)."""
        images = {}
        for camera in cameras:
            frame = self.frame(camera, after_seq=0, wait_s=1.0)
            if frame is not None:
                images[camera] = cv2.cvtColor(cv2.imdecode(np.frombuffer(frame.jpeg, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        return images

    def emergency_stop(self) -> None:
        self.call("estop")

    def open_stream(self, camera: str) -> "FrameStream":
        """A connection of its own for one camera's frames (MJPEG routes hold it for minutes)."""
        return FrameStream(self.address, camera)

    def close(self) -> None:
        """Close this station's idle pooled connections (after it was asked to stop)."""
        with _idle_lock:
            pool = _idle.pop(self.address, [])
        for connection in pool:
            _discard(connection)


POOL_SIZE = 8  # idle connections kept per station
_idle: dict[StationAddress, list[Connection]] = {}
_idle_lock = threading.Lock()


def _connect(address: StationAddress) -> Connection:
    try:
        connection = Client((address.host, address.port), authkey=address.authkey)
    except OSError as error:
        raise StationUnreachable(f"Station '{address.name}' is not answering on port {address.port}: {error}.") from error
    send_without_delay(connection)
    return connection


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
            self._connection.send({"op": "frame", "camera": self.camera, "after_seq": self.seq, "wait_s": wait_s})
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
