"""The Overview page in a real browser: pick the training data and checkpoint folders, see the profile."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core.workspace import Workspace
from tests.conftest import running_app

pytestmark = pytest.mark.browser


def test_picking_folders_shows_the_profile_and_bad_folders_say_what_to_do(
    page: Page, tmp_path: Path, dataset_dir, train_run_dir
):
    workspace = Workspace(tmp_path / "workspace").ensure()
    with running_app(workspace.root) as url:
        page.goto(url)
        expect(page.get_by_text("No training dataset selected yet").first).to_be_visible(timeout=60_000)

        dataset = page.get_by_role("textbox", name="Training dataset folder")
        policy = page.get_by_role("textbox", name="Policy checkpoint folder")
        dataset.fill(str(tmp_path / "no_such_folder"))
        page.get_by_role("button", name="Use these folders").click()
        expect(page.get_by_text("does not exist").first).to_be_visible(timeout=30_000)

        dataset.fill(str(dataset_dir))
        policy.fill(str(train_run_dir))
        page.get_by_role("button", name="Use these folders").click()
        expect(page.get_by_role("heading", name="Tasks (exact strings)")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Start pose (first observation.state of each episode").first).to_be_visible()
        expect(page.get_by_text("epochs").first).to_be_visible()
    assert (workspace.root / "selection.json").is_file()
