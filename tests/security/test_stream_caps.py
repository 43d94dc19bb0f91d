"""Live feeds are capped per station and per client: one more feed than the cap is refused (429) before the station
is even asked, and a feed gives its place back when it ends."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import anyio
import pytest
from starlette.requests import Request

from app import asgi


def answer(request: Request):
    """The route's response, run on a thread of its own: a browser test's event loop may be running on this one."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(anyio.run, asgi.camera_stream, request).result()


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


@pytest.fixture(autouse=True)
def no_feeds_left():
    asgi._streams.clear()
    yield
    asgi._streams.clear()


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
