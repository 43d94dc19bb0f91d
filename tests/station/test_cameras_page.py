"""The Cameras page in a real browser (Debian's chromium) on the demo station."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core.station import launcher
from core.workspace import Workspace
from testkit.waiting import wait_for
from tests.conftest import running_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory, demo_assets):
    root = Path(tmp_path_factory.mktemp("cameras-page")) / "workspace"
    workspace = Workspace(root).ensure()
    workspace.demo_dir.symlink_to(demo_assets.dataset_root.parent, target_is_directory=True)
    with running_app(root) as url:
        yield url, workspace


PIXELS_OF = """(alt) => {
    const image = document.querySelector(`img[alt='${alt}']`);
    const canvas = document.createElement('canvas');
    canvas.width = image.naturalWidth; canvas.height = image.naturalHeight;
    const context = canvas.getContext('2d');
    context.drawImage(image, 0, 0);
    return Array.from(context.getImageData(0, 0, canvas.width, canvas.height).data.filter((_, i) => i % 101 === 0));
}"""


def feed_pixels(page: Page, camera: str) -> list[int]:
    """A sample of the pixels the browser shows for the feed now (drawn from the <img> itself)."""
    return page.evaluate(PIXELS_OF, f"live {camera} camera")


def test_feeds_are_live_a_cable_swap_is_flagged_and_the_swap_button_fixes_it(page: Page, app_url):
    url, workspace = app_url
    page.goto(f"{url}/cameras")
    expect(page.get_by_text("OK: Camera roles match the training views", exact=False).first).to_be_visible(
        timeout=90_000
    )

    for camera in ("front", "wrist"):
        page.wait_for_function(
            f"document.querySelector(\"img[alt='live {camera} camera']\")?.naturalWidth > 0", timeout=30_000
        )
        first = feed_pixels(page, camera)
        assert len(first) > 1000, f"the {camera} feed shows no image"
        seen = {tuple(first)}
        wait_for(
            lambda camera=camera, seen=seen: seen.add(tuple(feed_pixels(page, camera))) or len(seen) >= 3,
            60,
            f"the {camera} feed to show three different pictures",
            interval_s=0.2,
        )

    launcher.connect("demo", workspace).inject_fault("swap_cables")
    expect(page.get_by_text("Swapped:", exact=False).first).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Swap cameras").click()
    expect(page.get_by_text("OK: Camera roles match the training views", exact=False).first).to_be_visible(
        timeout=30_000
    )
    assert launcher.connect("demo", workspace).state().camera_mapping == {"front": "sim:cam1", "wrist": "sim:cam0"}


def test_the_sidebar_emergency_stop_latches_at_once_and_releases(page: Page, app_url):
    url, workspace = app_url
    page.goto(f"{url}/cameras")
    button = page.get_by_role("button", name="EMERGENCY STOP", exact=True)
    expect(button).to_be_enabled(timeout=90_000)
    station = launcher.connect("demo", workspace)
    button.click()
    # posted straight to the app server (no script rerun on the way); its latency is bench/loop_bench.py's figure
    wait_for(lambda: station.state().estopped, 30, "the station latched by the click")
    expect(page.get_by_text("Emergency stop latched").first).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Release emergency stop").click()
    expect(page.get_by_text("Emergency stop latched")).to_have_count(0, timeout=30_000)
    assert not station.state().estopped
