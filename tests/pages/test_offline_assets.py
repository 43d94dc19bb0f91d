"""Every page of the demo app in a real browser: nothing it loads comes from outside 127.0.0.1 (an offline lab
machine reaches no font or icon server), and the app serves its own icon and logo from assets/."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, expect

from core.workspace import REPO_ROOT, Workspace
from testkit.page_ready import PAGES
from tests.conftest import running_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
INLINE_SCHEMES = {"data", "blob"}  # carried by the page itself, no request leaves the machine
ASSETS = REPO_ROOT / "assets"


def leaves_the_machine(url: str) -> bool:
    parts = urlparse(url)
    return parts.scheme not in INLINE_SCHEMES and parts.hostname not in LOCAL_HOSTS


def test_no_page_loads_anything_from_outside_127_0_0_1_and_the_icon_and_logo_are_served(
    page: Page, tmp_path: Path, demo_assets
):
    workspace = Workspace(tmp_path / "workspace").ensure()
    workspace.demo_dir.symlink_to(demo_assets.dataset_root.parent, target_is_directory=True)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    with running_app(workspace.root) as url:
        for path, wait_for_page in PAGES.items():
            page.goto(f"{url}/{path}")
            wait_for_page(page)
            logo = page.get_by_test_id("stSidebarLogo")
            expect(logo).to_be_visible()
            assert logo.evaluate("image => image.naturalWidth") > 0, f"the logo did not load on /{path}"
            page.wait_for_timeout(2_000)  # what the page loads once its elements are drawn (figures, feeds)

        assert requested, "the browser recorded no requests"
        outside = sorted({request for request in requested if leaves_the_machine(request)})
        assert not outside, f"requests left 127.0.0.1: {outside}"

        icon_url = page.locator("link[rel~='icon']").first.get_attribute("href")
        logo_url = page.get_by_test_id("stSidebarLogo").get_attribute("src")
        assert icon_url in requested and logo_url in requested, "the browser did not load the icon and the logo"
        for served, asset in ((icon_url, ASSETS / "icon.png"), (logo_url, ASSETS / "logo.png")):
            response = page.request.get(served)
            assert response.ok, f"{served} answered {response.status}"
            assert response.body() == asset.read_bytes(), f"{served} is not {asset.name}"
