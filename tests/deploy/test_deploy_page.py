"""The Deploy page in a real browser (Debian's chromium), on the demo station with the demo ACT checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core.registry import Registry
from core.station import launcher
from testkit.waiting import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_whole_deploy_flow(page: Page, demo_app):
    url, workspace = demo_app
    page.goto(f"{url}/deploy")
    expect(page.get_by_text("Task sentence matches a training task exactly").first).to_be_visible(timeout=120_000)
    start_run = page.get_by_role("button", name="Start run")

    task = page.get_by_role("textbox", name="Task sentence")
    task.fill("Grab the brain ")
    task.press("Control+Enter")
    expect(page.get_by_text("Blocked by: the task sentence is not a training task")).to_be_visible(timeout=30_000)
    expect(start_run).to_be_disabled()
    expect(page.get_by_text("{+␣+}", exact=False).first).to_be_visible()

    page.get_by_test_id("stButtonGroup").get_by_text("Grab the brain", exact=True).click()  # pick the training sentence
    expect(page.get_by_text("The sentence is a training task, character for character.")).to_be_visible(timeout=30_000)
    expect(start_run).to_be_enabled(timeout=30_000)
    start_run.click()

    start_episode = page.get_by_role("button", name="Start episode")
    expect(start_episode).to_be_enabled(timeout=180_000)
    start_episode.click()
    stop_episode = page.get_by_role("button", name="Stop episode")
    expect(stop_episode).to_be_visible(timeout=60_000)
    expect(page.get_by_text("frames").first).to_be_visible()
    expect(page.get_by_alt_text("gripper trace")).to_be_visible(timeout=30_000)  # live telemetry while the policy runs
    expect(page.get_by_text("training p95").first).to_be_visible()
    station = launcher.connect("demo", workspace)
    wait_for(
        lambda: station.run_status().frames >= 30, 120, "a second of the episode recorded"
    )  # then the operator stops
    stop_episode.click()

    expect(page.get_by_text("needs a decision")).to_be_visible(timeout=120_000)
    expect(page.get_by_role("button", name="Start episode")).to_have_count(0)  # no next episode before a decision
    form = page.get_by_test_id("stForm").filter(has_text="how did it go?")
    form.get_by_text("Success", exact=True).click()
    form.get_by_role("textbox", name="Note (optional)").fill("reached the brain")
    form.get_by_role("button", name="Save the tag").click()
    expect(start_episode).to_be_visible(timeout=60_000)

    page.get_by_role("button", name="End run").click()
    expect(page.get_by_text("Run ended").first).to_be_visible(timeout=120_000)

    rows = Registry.open().episode_rows()
    assert [(row.episode_index, row.outcome, row.note) for row in rows] == [(0, "success", "reached the brain")]
    from lerobot.datasets import LeRobotDataset

    recording = LeRobotDataset(Path(rows[0].dataset_root).name, root=rows[0].dataset_root, video_backend="pyav")
    assert recording.num_episodes == 1 and recording.num_frames == rows[0].length_frames
