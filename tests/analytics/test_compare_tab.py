"""The Analytics page's Compare tab in a real browser: a finished evaluation plan (the newest, by default) and two runs,
unpaired then paired, with the rates, the p-value, the episodes still needed, the verdict and the pairs' table; the HTML
report then carries the comparison shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core.registry import Registry
from testkit.app_server import current_button
from tests.analytics.conftest import prepare_workspace
from tests.conftest import running_app
from tests.evaluation.conftest import tagged_plan

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT_MS = 120_000


def visible(page: Page, text: str) -> None:
    expect(page.get_by_text(text, exact=False).first).to_be_visible(timeout=TIMEOUT_MS)


def test_compare_tab_shows_a_plan_and_two_runs(page: Page, tmp_path: Path, training_dir: Path, sane_checkpoint: Path):
    root = prepare_workspace(tmp_path / "workspace", training_dir, {}, sane_checkpoint)
    registry = Registry.open(f"sqlite:///{root / 'registry.sqlite'}")
    plan = tagged_plan(registry, sane_checkpoint, root / "recordings", station="lab")
    with running_app(root) as url:
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{url}/analytics")
        page.wait_for_selector("[data-testid='stApp']")
        page.get_by_role("tab", name="Compare").click()

        visible(page, f"Evaluation plan {plan.record.id}: n15 vs n30")
        visible(page, "60% (6/10)")
        visible(page, "80% (8/10)")
        visible(page, "exact McNemar on 10 pairs")
        visible(page, "82 per condition (72 more each)")
        visible(page, "No difference can be claimed yet (p = 0.625)")
        visible(page, "Paired on 10 complete twins (matched starts).")
        pairs = page.get_by_test_id("stTable").filter(has_text="only B succeeded")
        expect(pairs).to_contain_text("both succeeded")
        expect(pairs).to_contain_text("neither succeeded")
        expect(page.locator("[data-testid='stPlotlyChart']:visible")).to_have_count(1)

        page.get_by_test_id("stButtonGroup").get_by_text("Two runs").click()
        visible(page, "Runs 1 and 2")  # the plan's A run (1) and B run (2): the newest two
        visible(page, "Fisher's exact test")
        visible(page, "Unpaired: every judged episode of each run counts.")
        expect(page.get_by_test_id("stTable").filter(has_text="only run 2 succeeded")).to_have_count(0)
        page.get_by_text("Paired: the runs' judged episodes are twins").click()
        visible(page, "only run 2 succeeded")
        visible(page, "exact McNemar on 10 pairs")

        with page.expect_download() as report_download:  # the report of the paired view, not of the run before it
            current_button(page, re.compile("Download the report")).click()
        report = Path(report_download.value.path()).read_text(encoding="utf-8")
    assert "Comparison: Runs 1 and 2" in report and "run 2 against run 1" in report and "only run 2 succeeded" in report
    assert 'id="plot-comparison"' in report
