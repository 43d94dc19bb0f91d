"""A plan's tagged episodes per condition, compared: every condition against A, paired on complete twins.

Only twins whose two episodes are both judged (tagged success or failure) count as pairs; with fewer
than two such pairs the comparison falls back to the unpaired test on every judged episode, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.analytics.compare import Episode, compare, summarize
from core.analytics.compare_view import JUDGED, ComparisonView, ConditionComparison, ConditionResult
from core.evaluation.plan import EvaluationPlan, load_plan
from core.registry import EpisodeRow, Registry

MIN_PAIRS = 2


@dataclass(frozen=True)
class PlanResults:
    plan: EvaluationPlan
    conditions: tuple[ConditionResult, ...]
    comparisons: tuple[ConditionComparison, ...]  # B against A, C against A, ...

    @property
    def view(self) -> ComparisonView:
        """What the Compare tab and the HTML report show of the plan."""
        return ComparisonView(
            f"Evaluation plan {self.plan.record.id}: {self.plan.record.name}", self.conditions, self.comparisons
        )


def plan_results(registry: Registry, plan_id: int) -> PlanResults:
    plan = load_plan(registry, plan_id)
    ids = {slot.episode_id for slot in plan.slots if slot.episode_id is not None}
    rows = {row.episode_id: row for row in registry.episode_rows() if row.episode_id in ids}
    judged: dict[int, dict[int, Episode]] = {index: {} for index in range(len(plan.conditions))}  # condition -> pair
    filled = dict.fromkeys(judged, 0)
    for slot in plan.slots:
        row = rows.get(slot.episode_id) if slot.episode_id is not None else None
        if row is None:
            continue
        filled[slot.condition] += 1
        if row.outcome in JUDGED:
            judged[slot.condition][slot.pair] = _episode(row)
    base = plan.conditions[0].settings
    conditions = tuple(
        ConditionResult(
            condition.label,
            condition.describe(None if index == 0 else base),
            plan.record.episodes_per_condition,
            filled[index],
            len(judged[index]),
            summarize(condition.label, list(judged[index].values())) if judged[index] else None,
        )
        for index, condition in enumerate(plan.conditions)
    )
    comparisons = tuple(
        _against_a(plan.conditions[0].label, judged[0], plan.conditions[index].label, judged[index])
        for index in range(1, len(plan.conditions))
    )
    return PlanResults(plan, conditions, comparisons)


def _against_a(label_a: str, a: dict[int, Episode], label_b: str, b: dict[int, Episode]) -> ConditionComparison:
    if not a or not b:
        return ConditionComparison(label_a, label_b, 0, None, "Tag an episode of each condition to compare them.")
    twins = sorted(set(a) & set(b))
    if len(twins) >= MIN_PAIRS:
        result = compare(label_a, [a[p] for p in twins], label_b, [b[p] for p in twins], paired=True)
        left_out = len(a) + len(b) - 2 * len(twins)
        note = f"Paired on {len(twins)} complete twins (matched starts)" + (
            f"; {left_out} judged episodes without a judged twin are left out." if left_out else "."
        )
        return ConditionComparison(label_a, label_b, len(twins), result, note)
    result = compare(label_a, list(a.values()), label_b, list(b.values()), paired=False)
    return ConditionComparison(
        label_a, label_b, 0, result, f"Unpaired: fewer than {MIN_PAIRS} twins have both episodes judged."
    )


def _episode(row: EpisodeRow) -> Episode:
    return Episode(row.outcome == "success", row.score)
