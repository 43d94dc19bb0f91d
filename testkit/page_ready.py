"""How a browser test knows each page of the demo app is drawn: `PAGES` maps a page's URL path to a wait that
returns once the page shows what it draws last (120 s at most: the first visit starts the simulated station)."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def wait_for_overview(page: Page) -> None:
    expect(page.get_by_role("heading", name="Stations")).to_be_visible(timeout=120_000)


def wait_for_cameras(page: Page) -> None:
    live_feed_drawn = "document.querySelector(\"img[alt='live front camera']\")?.naturalWidth > 0"
    page.wait_for_function(live_feed_drawn, timeout=120_000)


def wait_for_home_reset(page: Page) -> None:
    expect(page.get_by_role("heading", name="Automatic move home")).to_be_visible(timeout=120_000)


def wait_for_deploy(page: Page) -> None:
    expect(page.get_by_role("heading", name="4. Run")).to_be_visible(timeout=120_000)  # drawn after the checks


def wait_for_analytics(page: Page) -> None:
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=120_000)


PAGES = {
    "": wait_for_overview,
    "cameras": wait_for_cameras,
    "home_reset": wait_for_home_reset,
    "deploy": wait_for_deploy,
    "analytics": wait_for_analytics,
}
