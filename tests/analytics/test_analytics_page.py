"""The Analytics page in a real browser: figures render, a figure exports as PNG, the view as one HTML report."""

from __future__ import annotations

import re
import struct
from html.parser import HTMLParser
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.registry.weights import weights_sha256
from core.training.exclusions import save_exclusions
from core.training.profile import profile_name
from core.workspace import Workspace
from testkit.app_server import current_button
from tests.analytics.conftest import prepare_workspace
from tests.conftest import running_app

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EXCLUDED = (0, 5)  # training episodes left out on the Overview page
TIMEOUT_MS = 180_000  # the first kaleido export starts chromium inside the server: slow on a busy 2-core machine


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.images: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        if tag == "img":
            self.images.append(values.get("src") or "")
        if tag == "script":
            self.scripts += 1


@pytest.mark.browser
@pytest.mark.slow
def test_page_renders_and_exports_png_and_report(
    page, tmp_path: Path, training_dir: Path, clean_dir: Path, fault_dirs: dict[str, Path], sane_checkpoint: Path
) -> None:
    root = prepare_workspace(
        tmp_path / "workspace", training_dir, {"rollout_jumpy": fault_dirs["action_jumps"]}, sane_checkpoint
    )
    save_exclusions(Workspace(root), profile_name(training_dir), EXCLUDED)  # as the Overview page saves them
    with running_app(root) as url:
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{url}/analytics")
        page.wait_for_selector("[data-testid='stApp']")
        page.get_by_text("Gripper closed fraction per episode").first.wait_for()
        assert page.locator("[data-testid='stPlotlyChart']").count() >= 5
        page.get_by_text("rollout_jumpy").first.wait_for()

        with page.expect_download() as png_download:
            page.get_by_role("button", name=re.compile("PNG: Gripper closed fraction")).click()
        png = Path(png_download.value.path()).read_bytes()
        assert png_size(png) == (2000, 920)  # 1000 x 460 px at scale 2, the modebar's size too
        assert len(png) > 20_000
        assert png_download.value.suggested_filename == "gripper_closed.png"

        page.get_by_role("tab", name="Diagnosis").click()
        page.get_by_role("button", name=re.compile("Diagnose")).click()
        page.get_by_text("Actions jump between frames far more than in training").first.wait_for()
        expect(page.get_by_text("Checks run: ").first).to_be_visible()  # what ran, not only what was skipped

        with page.expect_download() as report_download:  # the report with the diagnosis, not of the run before it
            current_button(page, re.compile("Download the report")).click()
        report = Path(report_download.value.path()).read_text(encoding="utf-8")

        page.get_by_role("tab", name="Planner").click()  # the merge plan counts what the merge writes
        box = page.get_by_role("combobox", name="Merge deployment runs into the training set")
        box.click()
        box.press_sequentially("rollout_jumpy")
        expect(page.get_by_role("option").first).to_be_visible(timeout=30_000)
        box.press("Enter")
        frames = page.locator("[data-testid='stMetric']").filter(has_text="Frames")
        expect(frames).to_contain_text(f"{(6 - len(EXCLUDED)) * 24 + 3 * 24}", timeout=60_000)
        expect(page.get_by_text(f"are left out: {list(EXCLUDED)}").first).to_be_visible()

    collector = _Collector()
    collector.feed(report)
    collector.close()
    assert report.startswith("<!DOCTYPE html>") and report.rstrip().endswith("</html>")
    figures = {
        "plot-gripper_closed",
        "plot-gripper_action",
        "plot-action_jumps",
        "plot-start_pose",
        "plot-success_rate",
        "plot-episode",
    }
    assert figures <= collector.ids
    assert (
        "Plotly.newPlot" in report and "plotly.js" in report.lower()
    )  # the library itself is inlined: no network needed
    assert not re.search(r"<script[^>]+src=", report)
    jpegs = [src for src in collector.images if src.startswith("data:image/jpeg;base64,")]
    assert len(jpegs) == 2 * 3 + 2 * 4  # drill-down: 2 cameras x start, middle, end; training: 2 cameras x 4 references
    assert str(sane_checkpoint.resolve()) in report and weights_sha256(sane_checkpoint) in report
    assert "action_jumps" in report and "chunk_size" in report and "rollout_jumpy" in report
