"""The sidebar's emergency stop on every page of one app and station: it latches the station, the event is
logged, and release works (Analytics included, since app/main.py draws the sidebar for every page)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core.station import launcher
from core.workspace import Workspace
from testkit.page_ready import PAGES
from testkit.waiting import wait_for
from tests.conftest import running_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_emergency_stop_latches_and_releases_from_every_page(page: Page, tmp_path: Path, demo_assets):
    workspace = Workspace(tmp_path / "workspace").ensure()
    workspace.demo_dir.symlink_to(demo_assets.dataset_root.parent, target_is_directory=True)
    with running_app(workspace.root) as url:
        for path, wait_for_page in PAGES.items():
            page.goto(f"{url}/{path}")
            wait_for_page(page)
            station = launcher.connect("demo", workspace)
            button = page.get_by_role("button", name="EMERGENCY STOP", exact=True)
            expect(button).to_be_enabled(timeout=60_000)
            clicked_at = time.time()
            button.click()
            wait_for(lambda station=station: station.state().estopped, timeout_s=10, what=f"the e-stop from /{path}")
            expect(page.get_by_text("Emergency stop latched").first).to_be_visible(timeout=30_000)
            logged = [e for e in station.state().events if e.kind == "estop" and e.at >= clicked_at - 1.0]
            assert logged, f"the e-stop from /{path} was not logged"
            page.get_by_role("button", name="Release emergency stop").click()
            expect(page.get_by_text("Emergency stop latched")).to_have_count(0, timeout=30_000)
            assert not station.state().estopped, f"/{path}: the release did not reach the station"
