"""The Analytics page's Fleet tab in a real browser (Debian's chromium), on a PostgreSQL registry that two station
processes filled at once: both stations' runs and success rates are shown, before any training profile exists on this
computer too.

Here rather than in tests/analytics: it needs this folder's PostgreSQL server."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core.registry import DATABASE_URL_ENV
from core.workspace import WORKSPACE_ENV
from tests.conftest import running_app
from tests.registry.conftest import WRITER

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_fleet_tab_shows_both_stations_of_a_shared_postgresql_registry(
    page: Page, postgresql_url, checkpoint, demo_assets, tmp_path, monkeypatch
):
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    monkeypatch.setenv(WORKSPACE_ENV, str(workspace))
    start_at_s = time.time() + 1.0
    writers = [
        subprocess.Popen([sys.executable, str(WRITER), postgresql_url, str(checkpoint), station, "4", str(start_at_s)])
        for station in ("arm-1", "arm-2")
    ]
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0]

    with running_app(workspace, env={DATABASE_URL_ENV: postgresql_url}) as url:
        # a computer with no training profile (analytics only) still sees the lab's runs
        page.goto(f"{url}/analytics")
        expect(page.get_by_text("No training profile yet")).to_be_visible(timeout=120_000)
        expect(page.get_by_text("Success rate per station")).to_be_visible(timeout=60_000)
        saved = subprocess.run(
            [
                *(sys.executable, "-m", "core", "profile", "--dataset", str(demo_assets.dataset_root)),
                *("--save", "--no-frames"),
            ],
            capture_output=True,
            text=True,
        )
        assert saved.returncode == 0, saved.stderr
        # the table's cells are painted on a canvas: read them as the operator exports them, through the table's
        # own "Download as CSV" (a plain download once chromium's save-file picker is out of the way)
        page.add_init_script("delete window.showSaveFilePicker")
        page.goto(f"{url}/analytics")
        page.get_by_role("tab", name="Fleet").click(timeout=120_000)
        expect(page.get_by_text("Success rate per station")).to_be_visible(timeout=60_000)
        fleet = page.get_by_role("tabpanel").filter(visible=True)
        table = fleet.get_by_test_id("stDataFrame").first  # "Success rate per station"
        table.hover()
        with page.expect_download(timeout=60_000) as download:
            table.get_by_role("button", name="Download as CSV").click()
        per_station = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(per_station)))
    assert [row["station"] for row in rows] == ["arm-1", "arm-2"]
    assert [int(row["successes"]) for row in rows] == [2, 2]  # the writers tag odd episodes success: 2 of 4 each
