"""The app server's own routes, over HTTP, on the real app (`streamlit run app/asgi.py`) and the simulated demo station:
camera feeds with a rate cap, the Deploy page's pushed run panel, and the emergency stop."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from app.emergency_stop import HEADER, HEADER_VALUE
from core.station import launcher
from core.station.client import StationClient
from core.station.config import demo_station_config
from core.workspace import Workspace
from tests.conftest import running_app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    workspace = Workspace(Path(tmp_path_factory.mktemp("routes")) / "workspace").ensure()
    station = launcher.start(demo_station_config(), workspace)
    try:
        with running_app(workspace.root) as url:
            yield url, station
    finally:
        launcher.stop("demo", workspace)


@pytest.fixture
def served_station(served) -> str:
    return served[0]


def frames_in(url: str, seconds: float) -> int:
    """JPEG parts an MJPEG response delivers in `seconds` (after its first frame)."""
    with urllib.request.urlopen(url, timeout=10) as response:
        response.readline()
        ends = time.monotonic() + seconds
        count = 0
        while time.monotonic() < ends:
            if response.readline().startswith(b"--preflightframe"):
                count += 1
        return count


def test_a_feed_can_be_capped_to_fewer_frames_a_second(served_station: str) -> None:
    """The cap is an upper bound the server keeps whatever the load (it waits 1/fps between parts; a busy machine only
    delivers fewer); how many frames an uncapped feed paints is bench/stream_bench.py's figure."""
    full = frames_in(f"{served_station}/stream/demo/front", 3.0)
    capped = frames_in(f"{served_station}/stream/demo/front?fps=5", 3.0)
    assert full > 0 and 0 < capped <= 3.0 * 5 + 2  # +2: the part in flight at each end of the window
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{served_station}/stream/demo/front?fps=fast", timeout=10)
    assert refused.value.code == 400


def test_the_run_panel_is_pushed_at_most_once_a_second(served_station: str) -> None:
    with urllib.request.urlopen(f"{served_station}/run-panel/demo", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        started = time.monotonic()
        events = []
        while len(events) < 3:
            line = response.readline()
            if line.startswith(b"data: "):
                events.append(json.loads(line[len(b"data: ") :]))
        elapsed = time.monotonic() - started
    assert all(event["moment"] == ["idle", 0, "idle"] and "No run open." in event["html"] for event in events), events
    assert elapsed >= 1.9  # the first at once, then one a second: three events never come faster (load only slows)
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{served_station}/run-panel/nosuchstation", timeout=10)
    assert missing.value.code == 404


def post_estop(url: str, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_emergency_stop_route_stops_the_station_and_only_for_the_apps_button(served) -> None:
    url, station = served
    station: StationClient
    assert post_estop(f"{url}/estop/demo", {})[0] == 403  # a cross-site form cannot set the header
    assert not station.state().estopped
    status, text = post_estop(f"{url}/estop/demo", {HEADER: HEADER_VALUE})
    try:
        assert (status, text) == (200, "Emergency stop: the arm holds its position.")
        assert station.state().estopped
    finally:
        station.release_emergency_stop()
    status, text = post_estop(f"{url}/estop/nosuchstation", {HEADER: HEADER_VALUE})
    assert status == 404 and "not running" in text
