"""A two-condition evaluation plan (n_action_steps 15 against 30) run end to end on the simulated station.

The plan's next step drives the station as the Deploy page does: open each condition's run, start each
slot's episode with its twins' seed, tag it; the registry keeps the order and the pairing, and the
simulated lab places the brain of both twins at the same spot and starts both from the same pose (within the
GO tolerances of the training start pose).
"""

from __future__ import annotations

import pytest

from core.evaluation.plan import conditions_from, create_plan, next_step, open_plan
from core.evaluation.results import plan_results
from core.evaluation.twins import twin_start
from core.registry import Registry
from core.start_pose.pose import station_targets
from core.training.profile import build_profile
from core.workspace import Workspace
from testkit.waiting import wait_for
from tests.deploy.conftest import run_phase, settings_for

pytestmark = pytest.mark.slow


def placement_note(station) -> str:
    return next(event.message for event in reversed(station.state().events) if event.kind == "scene")


def test_a_two_condition_plan_runs_abba_with_twins_and_gives_its_comparison(station, demo_assets):
    registry = Registry.open()
    base = settings_for(demo_assets.checkpoint_dir, episode_time_s=2.0, n_action_steps=15)
    conditions = conditions_from(base, [{"n_action_steps": 30}])
    plan = create_plan(registry, station.name, "n15 vs n30", conditions, 2, base_seed=11)
    outcomes = iter(["success", "failure", "success", "success"])
    kinds, placements, twin_poses = [], [], {}
    while (step := next_step(open_plan(registry, station.name), station.run_status())).kind != "finished":
        kinds.append(step.kind)
        if step.kind == "end_run":
            station.end_run()
            run_phase(station, "ended", "failed")
        elif step.kind == "start_run":
            station.start_run(step.condition.settings)
            assert run_phase(station, "ready", "failed").phase == "ready"
        elif step.kind == "start_episode":
            twin = twin_start(registry, open_plan(registry, station.name), Workspace.default())
            if step.slot.position in (1, 3):  # the second of a pair: its twin's start is the target
                expected = ("A", 0) if step.slot.position == 1 else ("B", 2)
                assert twin is not None and (twin.label, twin.position) == expected
                assert twin.frame is not None and twin.frame.read_bytes()[:2] == b"\xff\xd8"  # the twin's JPEG
                assert set(twin.start_pose) == set(base.start_pose)
                twin_poses[step.slot.position] = twin.start_pose
            else:
                assert twin is None  # the first of a pair has no twin yet
            wait_for(lambda: station.state().mode == "idle", 60, "the arm at rest after its move home")
            before = len(station.run_status().episodes)
            station.start_episode(scene_seed=step.slot.seed, plan_slot=(plan.record.id, step.slot.position))
            placements.append(placement_note(station))
            ended = wait_for(
                lambda before=before: (
                    (s := station.run_status()).phase == "ready" and len(s.episodes) > before and s.episodes[-1]
                ),
                120,
                "the plan's episode saved",
            )
            registry.tag_episode(ended.registry_id, next(outcomes), score=50)
        else:
            wait_for(lambda: next_step(open_plan(registry, station.name), station.run_status()).kind != "wait", 120)

    assert kinds.count("start_run") == 3 and kinds.count("start_episode") == 4  # A | B B | A: three runs
    finished = open_plan(registry, station.name)
    rows = {row.episode_id: row for row in registry.episode_rows()}
    twins = [rows[slot.episode_id] for slot in finished.slots]
    assert [row.n_action_steps for row in twins] == [15, 30, 30, 15]  # ABBA, as the registry keeps it
    assert [slot.pair for slot in finished.slots] == [0, 0, 1, 1]

    assert placements[0] == placements[1] != placements[2] == placements[3]  # twins: one brain placement
    tolerances = {t.motor: t.tolerance for t in station_targets(build_profile(demo_assets.dataset_root, hygiene=False))}
    for position, twin_pose in twin_poses.items():  # the second of each pair started where its twin did
        started = {m: base.start_pose[m] + d for m, d in twins[position].start_pose_deltas_deg.items()}
        gaps = {m: abs(started[m] - twin_pose[m]) for m in twin_pose}
        print(f"slot {position}: start against its twin's, largest gap {max(gaps.values()):.2f} ({gaps})")
        assert all(gaps[m] <= tolerances[m] for m in gaps), (gaps, tolerances)
    assert "seed 11:" in placements[0] and "seed 12:" in placements[2]

    results = plan_results(registry, plan.record.id)
    (comparison,) = results.comparisons
    assert comparison.pairs_used == 2 and comparison.comparison.test == "mcnemar"
    assert [c.summary.successes for c in results.conditions] == [2, 1]
    assert comparison.comparison.episodes_needed is not None
    registry.end_plan(plan.record.id)
