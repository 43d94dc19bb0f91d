"""An evaluation plan set up and run from the Deploy page in a real browser (Debian's chromium), on the demo station.

Two conditions (n_action_steps 15 against 30; the form offers a third's inputs too), one episode each: the page
loads each condition's run, starts each slot's episode (only while its condition passes the preflight gate: not
with the cables swapped), asks for its tag, shows the B twin's target on Home reset (the verdict and the joint
table against the A twin's start instead of the training mean), and when the page is opened again (the plan lives
in the registry) resumes where it was.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from core.registry import Registry
from core.station import launcher

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def tag(page: Page, outcome: str) -> None:
    expect(page.get_by_text("needs a decision")).to_be_visible(timeout=120_000)
    form = page.get_by_test_id("stForm").filter(has_text="how did it go?")
    form.get_by_text(outcome, exact=True).click()
    form.get_by_role("button", name="Save the tag").click()


def test_a_plan_runs_its_conditions_in_order_shows_the_twin_target_and_resumes_when_reopened(page: Page, demo_app):
    url, workspace = demo_app
    page.goto(f"{url}/deploy")
    expect(page.get_by_text("Task sentence matches a training task exactly").first).to_be_visible(timeout=120_000)
    length = page.get_by_role("spinbutton", name="Episode length (s)")
    length.fill("2")
    length.press("Enter")
    page.get_by_text("Evaluation plan: is B really better than A?").click()
    conditions = page.get_by_role("spinbutton", name="Conditions (A and the ones to compare with it)")
    conditions.fill("3")  # a third condition gets inputs of its own; back to two for this plan
    conditions.press("Enter")
    expect(page.get_by_role("spinbutton", name="C: n_action_steps")).to_be_visible(timeout=60_000)
    conditions.fill("2")
    conditions.press("Enter")
    expect(page.get_by_role("spinbutton", name="C: n_action_steps")).to_have_count(0, timeout=60_000)
    steps = page.get_by_role("spinbutton", name="B: n_action_steps")
    steps.fill("30")
    steps.press("Enter")
    episodes = page.get_by_role("spinbutton", name="Episodes per condition")
    episodes.fill("1")
    episodes.press("Enter")
    page.get_by_role("button", name="Start the plan").click()

    expect(page.get_by_text("0 of 2 episodes · order AB")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Load condition A").click()
    first = page.get_by_role("button", name="Start plan episode 1 (condition A)")
    expect(first).to_be_enabled(timeout=180_000)
    first.click()
    tag(page, "Success")
    end_run = page.get_by_role("button", name="End this run to load the next condition")
    expect(end_run).to_be_visible(timeout=60_000)  # the tag is kept: the plan's next step shows

    page.goto(f"{url}/home_reset")  # B's twin is set up to where A started
    expect(page.get_by_text("Evaluation twin")).to_be_visible(timeout=120_000)
    expect(page.get_by_text("is the twin of episode 0 (condition A)")).to_be_visible()
    expect(page.get_by_text("The A twin's front camera at its start")).to_be_visible()
    expect(page.get_by_text("Target: the A twin's start (plan episode 1), not the training mean")).to_be_visible()
    expect(page.get_by_text("Every joint is inside its tolerance of the A twin's start")).to_be_visible(timeout=60_000)
    table = page.locator("[data-testid='stTable'] table").first  # the one joint table: deltas against the twin
    expect(table.locator("thead th").filter(has_text="A twin's start")).to_have_count(1)
    expect(table.locator("thead th").filter(has_text="training mean")).to_have_count(0)

    page.goto(f"{url}/deploy")  # the plan lives in the registry: the page resumes it at the next episode
    expect(page.get_by_text("1 of 2 episodes · order AB")).to_be_visible(timeout=120_000)
    end_run.click()
    page.get_by_role("button", name="Load condition B").click(timeout=120_000)
    second = page.get_by_role("button", name="Start plan episode 2 (condition B)")
    expect(second).to_be_enabled(timeout=180_000)
    station = launcher.connect("demo", workspace)
    station.inject_fault("swap_cables")  # mid-plan, the cables swapped: B's episode does not pass its gate
    page.reload()
    expect(page.get_by_text("Condition B cannot run now").first).to_be_visible(timeout=120_000)
    expect(second).to_be_disabled()
    station.inject_fault("unswap_cables")
    page.reload()
    expect(second).to_be_enabled(timeout=180_000)
    second.click()
    tag(page, "Failure")

    expect(page.get_by_text("All 2 episodes of the plan have run.")).to_be_visible(timeout=60_000)
    registry = Registry.open()
    (plan,) = registry.plans()
    rows = {row.episode_id: row for row in registry.episode_rows()}
    filled = [rows[slot.episode_id] for slot in registry.plan_slots(plan.id)]
    assert [(row.n_action_steps, row.outcome) for row in filled] == [(15, "success"), (30, "failure")]
    page.get_by_role("button", name="Close the plan").click()
    expect(page.get_by_role("button", name="Start episode")).to_be_visible(timeout=60_000)  # B's run stays open
    assert registry.plans(open_only=True) == []
