"""Live feeds and run panels are capped per station and per client: one more than the cap is refused (429) before the
station is even asked, and each gives its place back when it ends."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import anyio
import pytest
from starlette.requests import Request

from app import asgi
from core.workspace import WORKSPACE_ENV


def answer(request: Request, route=asgi.camera_stream):
    """The route's response, run on a thread of its own: a browser test's event loop may be running on this one."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(anyio.run, route, request).result()


def stream_request(client_host: str = "127.0.0.1", station: str = "demo") -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": f"/stream/{station}/front",
            "path_params": {"station": station, "camera": "front"},
            "query_string": b"",
            "headers": [],
            "client": (client_host, 50000),
        }
    )


def panel_request(client_host: str = "127.0.0.1", station: str = "demo") -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": f"/run-panel/{station}",
            "path_params": {"station": station},
            "query_string": b"",
            "headers": [],
            "client": (client_host, 50000),
        }
    )


@pytest.fixture(autouse=True)
def no_feeds_left():
    asgi._streams.clear()
    asgi._panels.clear()
    yield
    asgi._streams.clear()
    asgi._panels.clear()


@pytest.mark.parametrize(
    ("key", "cap"),
    [("client:127.0.0.1", asgi.MAX_STREAMS_PER_CLIENT), ("station:demo", asgi.MAX_STREAMS_PER_STATION)],
)
def test_one_feed_beyond_a_cap_is_refused(key: str, cap: int) -> None:
    asgi._streams[key] = cap
    response = answer(stream_request())
    assert response.status_code == 429 and b"Too many live feeds" in response.body


def test_a_feed_under_the_caps_asks_the_station_and_gives_its_place_back(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PREFLIGHT_WORKSPACE", str(tmp_path / "workspace"))
    asgi._streams["client:127.0.0.1"] = asgi.MAX_STREAMS_PER_CLIENT - 1
    response = answer(stream_request())
    assert response.status_code == 404  # no station runs in this workspace: refused by the station lookup, not a cap
    assert asgi._streams["client:127.0.0.1"] == asgi.MAX_STREAMS_PER_CLIENT - 1


@pytest.mark.parametrize(
    ("key", "cap"),
    [("client:127.0.0.1", asgi.MAX_STREAMS_PER_CLIENT), ("station:demo", asgi.MAX_STREAMS_PER_STATION)],
)
def test_one_run_panel_beyond_a_cap_is_refused(key: str, cap: int) -> None:
    asgi._panels[key] = cap
    response = answer(panel_request(), asgi.run_panel_events)
    assert response.status_code == 429 and b"Too many run panels" in response.body
    assert asgi._panels[key] == cap  # a refused panel takes no place


def test_a_run_panel_under_the_caps_asks_the_station_and_gives_its_place_back(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(WORKSPACE_ENV, str(tmp_path / "workspace"))
    asgi._panels["client:127.0.0.1"] = asgi.MAX_STREAMS_PER_CLIENT - 1
    response = answer(panel_request(), asgi.run_panel_events)
    assert response.status_code == 404  # no station runs in this workspace: refused by the station lookup, not a cap
    assert asgi._panels["client:127.0.0.1"] == asgi.MAX_STREAMS_PER_CLIENT - 1


@pytest.mark.slow
def test_an_open_run_panel_holds_its_place_until_the_browser_leaves(station, station_workspace, monkeypatch) -> None:
    """On the real simulated station: the panel counts from its request, pushes its events, and its place is free
    again once the browser disconnects."""
    monkeypatch.setenv(WORKSPACE_ENV, str(station_workspace.root))

    async def panel_until_first_event() -> tuple[int, list[bytes]]:
        response = await asgi.run_panel_events(panel_request())
        held = asgi._panels["station:demo"]
        bodies: list[bytes] = []
        pushed = anyio.Event()

        async def send(message) -> None:
            if message["type"] == "http.response.body" and message.get("body"):
                bodies.append(message["body"])
                pushed.set()

        async def receive():
            await pushed.wait()  # the browser leaves once the first event arrived
            return {"type": "http.disconnect"}

        await response({"type": "http", "method": "GET", "path": "/run-panel/demo"}, receive, send)
        return held, bodies

    with ThreadPoolExecutor(max_workers=1) as thread:
        held, bodies = thread.submit(anyio.run, panel_until_first_event).result(timeout=60)
    assert held == 1 and bodies[0].startswith(b"data: ")
    assert asgi._panels["station:demo"] == 0 and asgi._panels["client:127.0.0.1"] == 0
