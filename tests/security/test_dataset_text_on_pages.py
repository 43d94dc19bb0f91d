"""A task sentence from a training dataset is shown on the Deploy page as the text it is: a markdown image or link in
it is never drawn, and the browser never asks its server for anything (docs/security.md, "Markdown from data")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from core.text import WORD_JOINER
from core.training.selection import Selection, save_selection
from core.workspace import Workspace
from testkit.builders import EpisodeData, write_act_checkpoint, write_dataset
from tests.conftest import running_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TASK = "![x](http://evil.example/x.png) [click](http://evil.example)"


def episode(offset: float) -> EpisodeData:
    t = np.arange(20, dtype=np.float64)[:, None]
    action = offset + np.hstack([t * np.array([1.0, 1.5, 2.0, 0.5, 1.0]), np.where(t < 7, 60.0, 2.0)])
    return EpisodeData(TASK, np.vstack([action[:1], action[:-1]]), action)


def shown(element) -> str:
    """The text the operator reads (the invisible word joiners that keep GFM from linking a URL left out)."""
    return element.inner_text().replace(WORD_JOINER, "")


def test_a_task_sentence_with_markdown_is_shown_literally_on_the_deploy_page(page: Page, tmp_path: Path) -> None:
    dataset = write_dataset(tmp_path / "dataset", [episode(i * 0.7) for i in range(3)])
    checkpoint = write_act_checkpoint(tmp_path / "run", dataset, steps=10, batch_size=2)
    workspace = Workspace(tmp_path / "workspace").ensure()
    save_selection(workspace, Selection(str(dataset), str(checkpoint)))
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    with running_app(workspace.root) as url:
        page.goto(f"{url}/deploy")
        pill = page.get_by_test_id("stButtonGroup").get_by_text("evil.example")  # the training sentence
        expect(pill).to_be_visible(timeout=120_000)
        assert shown(pill) == TASK
        task = page.get_by_role("textbox", name="Task sentence")
        task.fill("Grab the brain")
        task.press("Control+Enter")
        finding = page.get_by_test_id("stAlert").filter(has_text="Use the training sentence exactly")  # it quotes it
        expect(finding).to_be_visible(timeout=60_000)
        assert f'Use the training sentence exactly: "{TASK}"' in shown(finding)
        assert page.locator("img[src*='evil.example']").count() == 0
        assert page.locator("a[href*='evil.example']").count() == 0
    assert requested and not [address for address in requested if "evil.example" in address]
