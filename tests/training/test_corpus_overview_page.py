"""Every readable dataset shape of the corpus on the Overview page, in a real browser: the profile shows, with its
notes; a v2.1 dataset gets the one-click conversion, which shows its progress and then the copy's profile."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core.workspace import Workspace
from testkit import corpus
from tests.conftest import running_app
from tests.training.conftest import SHAPES, known_episodes, shape_root

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTES = {
    "videos declared but absent": "Camera frames cannot be read",
    "videos as Git LFS pointers": "git lfs pull",
    "info.json totals of a larger dataset": "counts 105 episodes",
    "a station recording killed mid-episode": "Episode 2 was interrupted",
    "no cameras": "The training dataset has no cameras",
}


def use_folder(page: Page, folder: Path) -> None:
    page.get_by_role("textbox", name="Training dataset folder").fill(str(folder))
    page.get_by_role("textbox", name="Policy checkpoint folder").fill("")
    page.get_by_role("button", name="Use these folders").click()


def test_every_shape_shows_its_profile_and_a_v21_dataset_converts_in_one_click(
    page: Page, tmp_path: Path, corpus_dir: Path
) -> None:
    workspace = Workspace(tmp_path / "workspace").ensure()
    source = corpus.write_v21(tmp_path / "lab_v21", known_episodes())
    with running_app(workspace.root) as url:
        page.goto(url)
        expect(page.get_by_text("No training dataset selected yet").first).to_be_visible(timeout=60_000)
        for shape in SHAPES:
            use_folder(page, shape_root(corpus_dir, shape))
            expect(page.get_by_text(f"Dataset: {shape_root(corpus_dir, shape)}").first).to_be_visible(timeout=60_000)
            expect(page.get_by_role("heading", name="Tasks (exact strings)")).to_be_visible(timeout=60_000)
            if shape in NOTES:
                expect(page.get_by_text(NOTES[shape]).first).to_be_visible()
            expect(page.get_by_text("Traceback")).to_have_count(0)

        use_folder(page, source)
        expect(page.get_by_text("is LeRobot format v2.1").first).to_be_visible(timeout=60_000)
        page.get_by_role("button", name="Convert a copy to v3.0").click()
        expect(page.get_by_text(f"Dataset: {tmp_path / 'lab_v21_v30'}").first).to_be_visible(timeout=120_000)
        expect(page.get_by_role("heading", name="Tasks (exact strings)")).to_be_visible(timeout=60_000)
    assert (tmp_path / "lab_v21_v30" / "meta" / "episodes").is_dir()
