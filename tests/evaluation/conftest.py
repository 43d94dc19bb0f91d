"""A finished two-condition plan in a real registry, each slot filled by a tagged episode of its condition's run: what
the Compare tab and `python -m core compare --plan` read (no station needed)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from core.evaluation.plan import EvaluationPlan, conditions_from, create_plan
from core.registry import Registry
from core.station.run_settings import RunSettings

# 6/10 against 8/10 over ten twin pairs: both succeed in 5, only A in 1, only B in 3, neither in 1 (McNemar p = 0.625)
A_WINS = (True,) * 6 + (False,) * 4
B_WINS = (True, True, True, True, True, False, True, True, True, False)


def tagged_plan(
    registry: Registry, checkpoint: Path, recordings: Path, *, station: str = "demo", name: str = "n15 vs n30"
) -> EvaluationPlan:
    """Plan n_action_steps 15 (A) against 30 (B), ten episodes each in ABBA order; every episode tagged, progress
    70 on a success and 20 on a failure. Each condition's episodes are one registry run, in pair order."""
    base = RunSettings(policy_dir=str(checkpoint), task="Grab the brain", n_action_steps=15)
    plan = create_plan(registry, station, name, conditions_from(base, [{"n_action_steps": 30}]), len(A_WINS), 0)
    policy = registry.register_policy(checkpoint)
    runs = [
        registry.start_run(
            policy.id,
            station=station,
            dataset_root=recordings / f"plan_n{condition.settings.n_action_steps}",
            task=condition.settings.task,
            chunk_size=30,
            n_action_steps=condition.settings.n_action_steps,
            fps=30,
            camera_mapping={"front": "sim:cam0"},
        )
        for condition in plan.conditions
    ]
    for slot in plan.slots:
        run = runs[slot.condition]
        episode = registry.record_episode(
            run.id, run.dataset_root, slot.pair, length_frames=90, started_at=datetime(2026, 1, 1, tzinfo=UTC)
        )
        registry.fill_plan_slot(plan.record.id, slot.position, episode.id)
        success = (A_WINS if slot.condition == 0 else B_WINS)[slot.pair]
        registry.tag_episode(episode.id, "success" if success else "failure", score=70 if success else 20)
    return plan
