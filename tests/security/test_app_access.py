"""The app server refuses a foreign Host (DNS rebinding) and a cross-site request on every route and on the WebSocket,
asks for the token when one is set, and refuses to start beyond loopback without one."""

from __future__ import annotations

import base64
import http.client
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app.emergency_stop import HEADER, HEADER_VALUE
from core.access_token import create_token, read_token
from core.errors import PreflightError
from core.workspace import REPO_ROOT, WORKSPACE_ENV, Workspace
from testkit.app_server import APP, free_port
from tests.conftest import running_app

pytestmark = pytest.mark.slow

# (method, path, extra headers): every custom route of app/asgi.py, and a page
ROUTES = [
    ("GET", "/", {}),
    ("GET", "/stream/demo/front", {}),
    ("GET", "/run-panel/demo", {}),
    ("POST", "/estop/demo", {HEADER: HEADER_VALUE}),
]
ATTACKS = {
    "rebound name": {"Host": "evil.example:{port}"},
    "cross-site origin": {"Origin": "http://evil.example"},
    "another port on localhost": {"Origin": "http://127.0.0.1:1"},
    "cross-site fetch": {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"},
    "same-site fetch": {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"},
}


def request(url: str, method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        sent = {"Host": parts.netloc, **{k: v.format(port=parts.port) for k, v in headers.items()}}
        connection.request(method, path, headers=sent)
        response = connection.getresponse()
        body = response.read(2000) if response.status != 200 or path == "/" else b""
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        connection.close()


def websocket_status(url: str, headers: dict[str, str]) -> int:
    """The status of a WebSocket upgrade of Streamlit's /_stcore/stream (101: accepted)."""
    parts = urlsplit(url)
    lines = {
        "Host": parts.netloc,
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        "Sec-WebSocket-Version": "13",
        "Origin": url,
        **{k: v.format(port=parts.port) for k, v in headers.items()},
    }
    raw = "GET /_stcore/stream HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in lines.items()) + "\r\n"
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(raw.encode())
        return int(sock.recv(1024).split(b" ")[1])


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workspace = Workspace(Path(tmp_path_factory.mktemp("access")) / "workspace").ensure()
    with running_app(workspace.root) as url:
        yield url


@pytest.mark.parametrize(("method", "path", "headers"), ROUTES, ids=[route[1] for route in ROUTES])
def test_each_route_answers_its_own_origin(app_url: str, method: str, path: str, headers: dict) -> None:
    same_origin = {"Origin": app_url, "Sec-Fetch-Site": "same-origin"} if method == "POST" else {}
    status, _, _ = request(app_url, method, path, {**headers, **same_origin})
    assert status in (200, 404)  # 404: no station is running, the request got through to the route


@pytest.mark.parametrize("attack", sorted(ATTACKS))
@pytest.mark.parametrize(("method", "path", "headers"), ROUTES, ids=[route[1] for route in ROUTES])
def test_a_foreign_host_or_another_site_is_refused_on_each_route(app_url, method, path, headers, attack) -> None:
    status, _, body = request(app_url, method, path, {**headers, **ATTACKS[attack]})
    assert status in (403, 421), (attack, path, status, body)
    assert b"another site" in body or b"does not answer to the name" in body


def test_a_link_from_another_site_may_open_a_page_but_never_a_route(app_url: str) -> None:
    navigation = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
    assert request(app_url, "GET", "/", navigation)[0] == 200
    assert request(app_url, "GET", "/stream/demo/front", navigation)[0] == 403


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_the_websocket_refuses_a_foreign_host_and_another_site(app_url: str, attack: str) -> None:
    assert websocket_status(app_url, {}) == 101
    assert websocket_status(app_url, ATTACKS[attack]) == 403


def test_the_stream_fps_is_range_checked(app_url: str) -> None:
    for fps in ("0", "-3", "1000", "nan", "fast"):
        assert request(app_url, "GET", f"/stream/demo/front?fps={fps}", {})[0] == 400, fps


def test_a_token_gates_every_request_and_is_exchanged_once_for_a_cookie(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "workspace").ensure()
    token = create_token(workspace)
    assert oct((workspace.root / "app_token").stat().st_mode & 0o777) == "0o600"
    with running_app(workspace.root) as url:
        assert request(url, "GET", "/", {})[0] == 401
        assert request(url, "GET", "/?token=wrong", {})[0] == 401
        assert websocket_status(url, {}) == 403
        status, headers, _ = request(url, "GET", f"/?token={token}", {})
        assert status == 303 and headers["location"] == "/"
        cookie = headers["set-cookie"].split(";")[0]
        assert "HttpOnly" in headers["set-cookie"] and "SameSite=Strict" in headers["set-cookie"]
        assert token not in cookie  # the cookie is derived from the token, never the token itself
        assert request(url, "GET", "/", {"Cookie": cookie})[0] == 200
        assert websocket_status(url, {"Cookie": cookie}) == 101
        assert request(url, "GET", "/stream/demo/front", {"Cookie": cookie})[0] == 404
        assert request(url, "GET", "/_stcore/health", {})[0] == 200


def test_a_token_file_others_can_read_is_refused(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "workspace").ensure()
    create_token(workspace)
    (workspace.root / "app_token").chmod(0o644)
    with pytest.raises(PreflightError, match="chmod 600"):
        read_token(workspace)


def start_app(workspace: Workspace, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(free_port()), *args]
    environment = {**os.environ, WORKSPACE_ENV: str(workspace.root)}
    return subprocess.run(command, cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=60)


def test_a_non_loopback_bind_without_a_token_refuses_to_start(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "workspace").ensure()
    result = start_app(workspace, "--server.address", "0.0.0.0")
    assert result.returncode != 0
    assert "needs a token" in result.stderr and "python -m core app-token" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
