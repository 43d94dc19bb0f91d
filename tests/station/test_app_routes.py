"""The app server's own routes, over HTTP, on the real app (`streamlit run app/asgi.py`) and the simulated demo station:
camera feeds with a rate cap, the Deploy page's pushed run panel, and the emergency stop."""

from __future__ import annotations

import json
import os
import signal
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
from testkit.app_server import serve_app
from testkit.waiting import wait_for
from tests.conftest import running_app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    workspace = Workspace(Path(tmp_path_factory.mktemp("routes")) / "workspace").ensure()
    station = launcher.start(demo_station_config(), workspace)
    try:
        with running_app(workspace.root) as url:
            yield url, station, workspace
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
    url, station, _ = served
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


def has_exited(pid: int) -> bool:
    try:
        return " Z " in Path(f"/proc/{pid}/stat").read_text()  # a zombie until serve_app reaps it
    except FileNotFoundError:
        return True


def ends_within(response, seconds: float) -> bool:
    """Whether the response ends (its server closes it) within `seconds`, reading whatever it still sends."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not response.read1(65536):
            return True
    return False


def test_a_stop_signal_ends_open_feeds_and_the_run_panel_so_the_server_exits(served) -> None:
    """Uvicorn waits for every open response before it shuts down and stops the stations; a tab left showing a camera
    or the run panel must not hold the server forever (Ctrl-C in the terminal, a service manager's SIGTERM)."""
    workspace = served[2]
    with serve_app(workspace.root) as (url, pid):
        feed = urllib.request.urlopen(f"{url}/stream/demo/front", timeout=10)
        panel = urllib.request.urlopen(f"{url}/run-panel/demo", timeout=10)
        feed.readline(), panel.readline()
        os.kill(pid, signal.SIGTERM)
        assert ends_within(feed, 15), "the camera feed went on after SIGTERM"  # each ends at its next message
        assert ends_within(panel, 15), "the run panel went on after SIGTERM"
        wait_for(lambda: has_exited(pid), 15, "the app server to exit")
