"""One idle socket, a flood of connections or garbage bytes on the station's port never keep the emergency stop
from getting through (the timing itself, under 100 ms, is measured by bench/estop_attack_bench.py)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import StationError
from core.station import launcher
from core.station.client import StationAddress, StationClient, StationUnreachable, _connect
from core.station.config import demo_station_config
from core.workspace import Workspace

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, StationClient]]:
    workspace = Workspace(Path(tmp_path_factory.mktemp("blocking")) / "workspace").ensure()
    client = launcher.start(demo_station_config(), workspace)
    yield workspace, client
    launcher.stop("demo", workspace)


def estop_gets_through(workspace: Workspace, client: StationClient) -> None:
    """A fresh connection (as the app server's route makes) latches the stop; then it is released."""
    client.close()  # no pooled connection: the e-stop must connect and authenticate anew
    sent: list[bool] = []
    sender = threading.Thread(target=lambda: sent.append(launcher.emergency_stop("demo", workspace)), daemon=True)
    sender.start()
    sender.join(timeout=20)  # a generous deadline: a blocked station never answers at all
    try:
        assert sent == [True], "the emergency stop did not get through"
        assert client.state().estopped
    finally:
        client.release_emergency_stop()


def station_port(client: StationClient) -> int:
    return client.address.port


def still_open(sock: socket.socket) -> bool:
    """The station has not closed the connection: nothing to read yet, or unread bytes (b"" would be its close)."""
    timeout = sock.gettimeout()
    sock.settimeout(0)  # a look without waiting
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    finally:
        sock.settimeout(timeout)


def test_an_idle_socket_does_not_block_the_emergency_stop(station) -> None:
    workspace, client = station
    with socket.create_connection(("127.0.0.1", station_port(client))) as idle:
        idle.settimeout(10)
        assert idle.recv(1024)  # the challenge: the station has accepted it and waits for its answer
        estop_gets_through(workspace, client)
        assert still_open(idle)  # the stop got through while the station held the idle connection
        assert idle.recv(1024) == b""  # the station closes a connection that does not answer it


def test_a_hundred_connections_and_garbage_bytes_do_not_block_it(station) -> None:
    workspace, client = station
    flood = [socket.create_connection(("127.0.0.1", station_port(client))) for _ in range(100)]
    try:
        for index, sock in enumerate(flood):
            if index % 2:
                sock.sendall(b"\xff\xff\xff\xffGET / HTTP/1.1\r\n\r\n" + bytes(range(256)))
        idle = flood[::2]
        for sock in idle:
            sock.settimeout(10)
            assert sock.recv(1024)  # its challenge: accepted, the station waits for an answer
        estop_gets_through(workspace, client)
        assert all(still_open(sock) for sock in idle)  # the stop got through while the station held them all
    finally:
        for sock in flood:
            sock.close()
    assert client.ping() == "pong"


def test_a_wrong_key_is_refused_within_the_handshake_timeout(station) -> None:
    _, client = station
    wrong = StationAddress("demo", "127.0.0.1", station_port(client), b"not the key" * 3, client.address.pid)
    with pytest.raises(StationUnreachable, match="not answering"):
        _connect(wrong)


def test_the_client_gives_up_on_a_port_that_never_answers_the_handshake() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts (the kernel's backlog), never speaks
        address = StationAddress("mute", "127.0.0.1", silent.getsockname()[1], b"k" * 32, 1)
        started = time.monotonic()
        with pytest.raises(StationError, match="not answering"):
            _connect(address)
        assert time.monotonic() - started < 10
