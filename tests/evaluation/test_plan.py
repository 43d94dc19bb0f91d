"""Evaluation plans: the balanced order, twins, resuming after a restart, and the statistics of a plan's tags.

The registry-level tests run on both backends: the SQLite file in the test's workspace, and a fresh database on the
session's throwaway PostgreSQL server picked through $PREFLIGHT_DATABASE_URL, as a lab's stations pick it. Episodes
are registry rows (no station needed here: tests/deploy/test_evaluation_plan.py runs a plan on the simulated station).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.analytics.compare import Episode, compare
from core.errors import PreflightError
from core.evaluation.plan import (
    MAX_CONDITIONS,
    balanced_order,
    condition_variant,
    conditions_from,
    create_plan,
    next_step,
    open_plan,
)
from core.evaluation.results import plan_results
from core.registry import DATABASE_URL_ENV, Registry
from core.station.run_settings import RunSettings
from core.station.state import RunStatus
from testkit.postgres import shared_postgres

BASE = RunSettings(policy_dir="/policies/act", task="Grab the brain", n_action_steps=15)


def test_two_conditions_run_abba_and_each_block_is_a_pair_of_twins():
    order = balanced_order(2, 4, base_seed=100)
    assert "".join("AB"[c] for c, _, _ in order) == "ABBAABBA"
    assert [pair for _, pair, _ in order] == [0, 0, 1, 1, 2, 2, 3, 3]
    assert [seed for _, _, seed in order] == [100, 100, 101, 101, 102, 102, 103, 103]


def test_three_conditions_alternate_forward_and_backward():
    order = balanced_order(3, 3, base_seed=0)
    assert "".join("ABC"[c] for c, _, _ in order) == "ABCCBAABC"
    # every condition's mean position is the same up to the last block's: drift weighs alike
    positions = {c: [i for i, (cc, _, _) in enumerate(order) if cc == c] for c in range(3)}
    assert [sum(p[:2]) for p in positions.values()] == [5, 5, 5]


def test_conditions_must_differ_in_what_a_plan_compares():
    a, b = conditions_from(BASE, [{"n_action_steps": 30}])
    assert (a.label, b.label) == ("A", "B") and b.settings.n_action_steps == 30
    assert b.describe(BASE) == "n_action_steps 30"
    with pytest.raises(PreflightError, match="are the same"):
        conditions_from(BASE, [{"n_action_steps": 15}])
    with pytest.raises(PreflightError, match="varies only"):
        conditions_from(BASE, [{"episode_time_s": 5.0}])
    with pytest.raises(PreflightError, match="at least two"):
        balanced_order(1, 3, 0)


def record(registry: Registry, run_id: int, index: int) -> int:
    now = datetime.now(UTC)
    return registry.record_episode(run_id, "/recordings/r", index, length_frames=90, started_at=now).id


@pytest.fixture(params=["sqlite", "postgresql"])
def registry(request: pytest.FixtureRequest, workspace, monkeypatch: pytest.MonkeyPatch) -> Registry:
    if request.param == "postgresql":
        monkeypatch.setenv(DATABASE_URL_ENV, shared_postgres().fresh_database("plans"))
    return Registry.open()


@pytest.fixture
def run_id(registry: Registry, tmp_path: Path) -> int:
    checkpoint = tmp_path / "pretrained_model"
    checkpoint.mkdir()
    (checkpoint / "config.json").write_text('{"type": "act"}')
    (checkpoint / "model.safetensors").write_bytes(b"weights")
    policy = registry.register_policy(checkpoint)
    run = registry.start_run(
        policy.id,
        station="demo",
        dataset_root="/recordings/r",
        task="t",
        chunk_size=30,
        n_action_steps=15,
        fps=30,
        camera_mapping={},
    )
    return run.id


def test_three_conditions_from_the_plan_form_are_kept_and_run_abccba(registry):
    """The Deploy page's plan form with conditions B and C: each one's inputs become its condition's settings."""
    b = condition_variant(BASE, policy_dir=" /policies/act ", n_action_steps=30, inference="sync", task=BASE.task)
    c = condition_variant(BASE, policy_dir="/policies/act", n_action_steps=15, inference="rtc", task="Grasp the brain")
    plan = create_plan(registry, "demo", "", conditions_from(BASE, [b, c]), 2, 0)
    assert plan.order_text == "ABCCBA" and plan.record.name == "A vs B vs C"
    kept = open_plan(Registry.open(), "demo")  # as the registry keeps them
    assert [condition.describe(BASE) for condition in kept.conditions[1:]] == [
        "n_action_steps 30",
        "inference rtc, rtc_execution_horizon 10, task 'Grasp the brain'",
    ]
    assert kept.conditions[1].settings.policy_dir == "/policies/act"  # the folder as typed, without its spaces
    assert not kept.conditions[1].settings.task_override and kept.conditions[2].settings.task_override  # recorded
    with pytest.raises(PreflightError, match="are the same"):  # C left as B
        conditions_from(BASE, [b, b])
    with pytest.raises(PreflightError, match=f"at most {MAX_CONDITIONS}"):
        balanced_order(MAX_CONDITIONS + 1, 1, 0)


def test_a_plan_resumes_at_its_next_slot_after_a_restart(registry, run_id):
    plan = create_plan(registry, "demo", "n15 vs n30", conditions_from(BASE, [{"n_action_steps": 30}]), 3, 7)
    assert plan.order_text == "ABBAAB" and plan.done == 0
    with pytest.raises(PreflightError, match="already has an open plan"):
        create_plan(registry, "demo", "again", plan.conditions, 3)
    for position in range(3):
        registry.fill_plan_slot(plan.record.id, position, record(registry, run_id, position))

    resumed = open_plan(Registry.open(), "demo")  # a new connection: the UI restarted
    assert Registry.open().backend == registry.backend
    assert resumed is not None and resumed.record.id == plan.record.id
    assert resumed.done == 3 and resumed.next_slot.position == 3
    assert resumed.condition_of(resumed.next_slot).label == "A" and resumed.next_slot.seed == 7 + 1
    assert resumed.conditions[1].settings == plan.conditions[1].settings  # the settings come back whole


def test_the_next_step_ends_a_run_of_another_condition_and_starts_the_slot_of_its_own(registry):
    plan = create_plan(registry, "demo", "", conditions_from(BASE, [{"inference": "rtc"}]), 2, 0)
    assert next_step(plan, None).kind == "start_run"
    a_ready = RunStatus("ready", settings=plan.conditions[0].settings)
    assert next_step(plan, a_ready).kind == "start_episode"
    b_ready = RunStatus("ready", settings=plan.conditions[1].settings)
    assert next_step(plan, b_ready).kind == "end_run"
    assert next_step(plan, RunStatus("episode", settings=plan.conditions[1].settings)).kind == "wait"
    assert next_step(plan, RunStatus("loading", settings=plan.conditions[0].settings)).kind == "wait"


def test_a_slot_holds_one_episode_and_an_episode_one_slot(registry, run_id):
    plan = create_plan(registry, "demo", "", conditions_from(BASE, [{"task": "Grasp a brain"}]), 1, 0)
    first = record(registry, run_id, 0)
    registry.fill_plan_slot(plan.record.id, 0, first)
    with pytest.raises(PreflightError, match="already holds"):
        registry.fill_plan_slot(plan.record.id, 0, record(registry, run_id, 1))
    assert registry.fill_plan_slot(plan.record.id, 0, first).episode_id == first  # the same again is no change


def test_an_episode_recorded_for_a_slot_fills_it_unless_discarded_or_the_slot_is_taken(registry, run_id):
    plan = create_plan(registry, "demo", "", conditions_from(BASE, [{"task": "Grasp a brain"}]), 1, 0)
    slot_a, slot_b = (plan.record.id, 0), (plan.record.id, 1)
    now = datetime.now(UTC)
    discarded = registry.record_episode(
        run_id, "/recordings/r", 0, length_frames=9, started_at=now, status="discarded", plan_slot=slot_a
    )
    kept = registry.record_episode(run_id, "/recordings/r", 1, length_frames=90, started_at=now, plan_slot=slot_a)
    late = registry.record_episode(run_id, "/recordings/r", 2, length_frames=90, started_at=now, plan_slot=slot_a)
    assert [slot.episode_id for slot in registry.plan_slots(plan.record.id)] == [kept.id, None]
    assert late.id is not None and late.id not in {s.episode_id for s in registry.plan_slots(plan.record.id)}
    assert discarded.id is not None  # both are kept as episodes: the page offers the slot again
    registry.record_episode(run_id, "/recordings/r", 3, length_frames=90, started_at=now, plan_slot=slot_b)
    assert open_plan(registry, "demo").done == 2


def test_plan_results_pair_the_complete_twins_and_match_scipy(registry, run_id):
    """6/10 against 8/10 over ten twin pairs: the plan's comparison is the exact McNemar test on those pairs."""
    a_wins = [True] * 6 + [False] * 4
    b_wins = [True, True, True, True, True, False, True, True, True, False]
    plan = create_plan(registry, "demo", "", conditions_from(BASE, [{"n_action_steps": 30}]), 10, 0)
    for slot in plan.slots:
        episode = record(registry, run_id, slot.position)
        registry.fill_plan_slot(plan.record.id, slot.position, episode)
        success = (a_wins if slot.condition == 0 else b_wins)[slot.pair]
        registry.tag_episode(episode, "success" if success else "failure", score=70 if success else 20)

    results = plan_results(registry, plan.record.id)
    a, b = results.conditions
    assert (a.summary.successes, b.summary.successes, a.judged, b.judged) == (6, 8, 10, 10)
    (result,) = results.comparisons
    assert result.pairs_used == 10 and result.comparison.test == "mcnemar"
    expected = compare("A", [Episode(w) for w in a_wins], "B", [Episode(w) for w in b_wins], paired=True)
    assert result.comparison.p_value == pytest.approx(expected.p_value)
    assert result.comparison.agreement == expected.agreement
    assert result.comparison.episodes_needed == 82 and "No difference can be claimed yet" in result.comparison.verdict


def test_without_two_complete_twins_the_plan_is_compared_unpaired_and_says_so(registry, run_id):
    plan = create_plan(registry, "demo", "", conditions_from(BASE, [{"n_action_steps": 30}]), 2, 0)
    for slot in plan.slots[:2]:  # A then B of the first pair; the second B is untagged
        episode = record(registry, run_id, slot.position)
        registry.fill_plan_slot(plan.record.id, slot.position, episode)
        registry.tag_episode(episode, "success" if slot.condition == 0 else "failure")
    (result,) = plan_results(registry, plan.record.id).comparisons
    assert result.pairs_used == 0 and result.comparison.test == "fisher" and "Unpaired" in result.note
