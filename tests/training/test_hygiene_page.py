"""The Overview page in a real browser shows the flagged training episodes, and the episodes the operator leaves out
are saved with the profile, where the merge finds them."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core.training.exclusions import load_exclusions
from core.training.profile import profile_name
from core.training.selection import Selection, save_selection
from core.workspace import Workspace
from testkit.builders import write_dataset
from tests.conftest import running_app
from tests.training.conftest import clean_episodes

pytestmark = pytest.mark.browser


def test_flagged_episodes_are_listed_and_the_ones_left_out_are_saved(page: Page, tmp_path: Path) -> None:
    episodes = clean_episodes()
    episodes[5] = episodes[4]  # a duplicate
    dataset = write_dataset(tmp_path / "dirty", episodes, cameras=("front",))
    workspace = Workspace(tmp_path / "workspace").ensure()
    save_selection(workspace, Selection(str(dataset), None))
    with running_app(workspace.root) as url:
        page.goto(url)
        expect(page.get_by_role("heading", name="Flagged training episodes")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("duplicate").first).to_be_visible()
        box = page.get_by_role("combobox", name="Leave out of the merge plan")
        box.click()
        box.press_sequentially("5")
        expect(page.get_by_role("option").first).to_be_visible(timeout=30_000)
        box.press("Enter")
        expect(page.get_by_text("Excluded from the merge plan").first).to_be_visible(timeout=30_000)
    assert load_exclusions(workspace, profile_name(dataset)) == (5,)
