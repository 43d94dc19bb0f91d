"""Two browser sessions on one app and station (two browser contexts, as two operators' browsers): the first to act
holds control, the second sees the run read-only with Take control, its emergency stop works, and taking control
tells the first. (The station's side of it: test_one_controlling_session.py.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from core.station import launcher
from testkit.waiting import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def two_pages(browser: Browser):
    contexts = [browser.new_context(), browser.new_context()]
    try:
        yield tuple(context.new_page() for context in contexts)
    finally:
        for context in contexts:
            context.close()


def deploy_page(page: Page, url: str) -> None:
    page.goto(f"{url}/deploy")
    expect(page.get_by_text("Task sentence matches a training task exactly").first).to_be_visible(timeout=120_000)


def test_a_second_session_sees_the_run_read_only_its_estop_works_and_taking_control_tells_the_first(
    two_pages, demo_app
):
    url, workspace = demo_app
    first, second = two_pages
    deploy_page(first, url)
    start_run = first.get_by_role("button", name="Start run")
    expect(start_run).to_be_enabled(timeout=30_000)
    start_run.click()  # the first session to act holds control
    expect(first.get_by_role("button", name="Start episode")).to_be_enabled(timeout=180_000)
    station = launcher.connect("demo", workspace)
    holder = station.state().control.holder
    assert holder is not None

    deploy_page(second, url)
    expect(second.get_by_text("Another browser session controls this station").first).to_be_visible(timeout=30_000)
    take = second.get_by_role("button", name="Take control")
    expect(take).to_be_visible()
    for label in ("Start episode", "End run", "Stop station"):  # the same run, read-only
        expect(second.get_by_role("button", name=label)).to_be_disabled()
    expect(first.get_by_role("button", name="Start episode")).to_be_enabled()  # the holder's are live

    second.get_by_role("button", name="EMERGENCY STOP", exact=True).click()  # never gated
    wait_for(lambda: station.state().estopped, 30, "the emergency stop from the read-only session")
    expect(first.get_by_text("Emergency stop latched").first).to_be_visible(timeout=30_000)
    expect(second.get_by_role("button", name="Release emergency stop")).to_be_disabled(timeout=30_000)

    take.click()
    expect(first.get_by_text("Another browser session took control").first).to_be_visible(timeout=30_000)
    expect(first.get_by_role("button", name="Release emergency stop")).to_be_disabled(timeout=30_000)
    expect(first.get_by_role("button", name="Take control")).to_be_visible()
    assert station.state().control.holder not in (None, holder)

    release = second.get_by_role("button", name="Release emergency stop")
    expect(release).to_be_enabled(timeout=30_000)
    release.click()
    wait_for(lambda: not station.state().estopped, 30, "the release from the session now in control")
    end_run = second.get_by_role("button", name="End run")
    expect(end_run).to_be_enabled(timeout=30_000)
    end_run.click()
    expect(second.get_by_text("Run ended").first).to_be_visible(timeout=120_000)
    expect(first.get_by_text("Run ended").first).to_be_visible(timeout=60_000)  # the first still sees the station
