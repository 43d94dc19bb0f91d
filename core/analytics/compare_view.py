"""What the Compare tab and the HTML report show of a comparison: the conditions side by side, each condition's tests
against A, the pairs' agreement, and the rates figure; from two registry runs here, from a plan in
core.evaluation.results (the same dataclasses). What each number means: docs/evaluations.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from core.analytics.compare import ALPHA, Comparison, ConditionSummary, Episode, compare, episodes_more, summarize
from core.analytics.figures import condition_rates_figure
from core.errors import PreflightError
from core.registry import EpisodeRow, Registry
from core.registry.records import policy_name

JUDGED = ("success", "failure")


@dataclass(frozen=True)
class ConditionResult:
    label: str
    description: str  # what makes it this condition ("n_action_steps 30"); B, C, ... name only what differs from A
    planned: int | None  # episodes planned; None for a run
    run: int  # episodes kept (a plan's filled slots)
    judged: int
    summary: ConditionSummary | None  # None until an episode of it is judged


@dataclass(frozen=True)
class ConditionComparison:
    label_a: str
    label_b: str
    pairs_used: int  # twins the paired test counted; 0: unpaired
    comparison: Comparison | None  # None until both conditions have a judged episode
    note: str  # why it is paired or not, in one sentence


@dataclass(frozen=True)
class ComparisonView:
    title: str
    conditions: tuple[ConditionResult, ...]
    comparisons: tuple[ConditionComparison, ...]  # B against A, C against A, ...


def run_choices(rows: Sequence[EpisodeRow]) -> dict[int, str]:
    """Every registry run with episodes, oldest first: its id -> "run 3: act_brain@005000, n_action_steps 15, ..."."""
    first: dict[int, EpisodeRow] = {}
    counts: dict[int, int] = {}
    for row in rows:
        first.setdefault(row.run_id, row)
        counts[row.run_id] = counts.get(row.run_id, 0) + 1
    return {
        run_id: f"run {run_id}: {_settings_text(first[run_id])} · {first[run_id].station} · {counts[run_id]} episodes"
        for run_id in sorted(first)
    }


def runs_comparison(registry: Registry, run_a: int, run_b: int, *, paired: bool = False) -> ComparisonView:
    """Run B against run A; `paired`: their judged episodes, in episode order, are twins (matched starts)."""
    if run_a == run_b:
        raise PreflightError(f"Run {run_a} against itself says nothing: pick two different runs.")
    rows_a, rows_b = _run_rows(registry, run_a), _run_rows(registry, run_b)
    a, b = _judged(rows_a), _judged(rows_b)
    name_a, name_b = f"run {run_a}", f"run {run_b}"
    result = compare(name_a, a, name_b, b, paired=paired)
    conditions = (
        ConditionResult(name_a, _settings_text(rows_a[0]), None, len(rows_a), len(a), summarize(name_a, a)),
        ConditionResult(name_b, _settings_text(rows_b[0], rows_a[0]), None, len(rows_b), len(b), summarize(name_b, b)),
    )
    note = (
        f"Paired in episode order: the {len(a)} judged episodes of each run are twins (matched starts)."
        if paired
        else "Unpaired: every judged episode of each run counts."
    )
    comparison = ConditionComparison(name_a, name_b, len(a) if paired else 0, result, note)
    return ComparisonView(f"Runs {run_a} and {run_b}", conditions, (comparison,))


def conditions_table(view: ComparisonView) -> pd.DataFrame:
    """One row per condition: what it is, its episodes and its success rate with the Wilson interval."""
    return pd.DataFrame(
        [
            {
                "condition": c.label,
                "what differs": c.description,
                "planned": "" if c.planned is None else str(c.planned),
                "run": str(c.run),
                "judged": str(c.judged),
                "success rate": _rate(c.summary),
                "95 % Wilson interval": (
                    f"{c.summary.wilson_low:.0%} – {c.summary.wilson_high:.0%}" if c.summary is not None else ""
                ),
                "mean progress": (
                    f"{c.summary.mean_score:.0f}" if c.summary is not None and c.summary.mean_score is not None else ""
                ),
            }
            for c in view.conditions
        ]
    )


def statistics_table(item: ConditionComparison) -> pd.DataFrame:
    """The statistics of one condition against A, one number a row (`item.comparison` must be set)."""
    result = item.comparison
    if result is None:
        raise ValueError("statistics_table needs a comparison; show item.note instead")
    test = f"exact McNemar on {item.pairs_used} pairs" if result.paired else "Fisher's exact test"
    if result.score_difference is not None and result.score_interval is not None:
        low, high = result.score_interval
        progress = f"{result.score_difference:+.1f} (95 % bootstrap {low:+.1f} to {high:+.1f})"
    else:
        progress = "not enough progress scores"
    more = episodes_more(result.episodes_needed, result.a, result.b)
    needed = (
        "no difference can be claimed yet"
        if result.episodes_needed is None
        else f"{result.episodes_needed} per condition ({more} more each)"
    )
    rows = [
        ("test", test),
        ("p-value", f"{result.p_value:.3g}"),
        (f"P({item.label_b} better)", f"{result.p_b_better:.2f}"),
        (f"progress difference {item.label_b} − {item.label_a}", progress),
        ("episodes still needed (80 % power, alpha 0.05)", needed),
    ]
    return pd.DataFrame(rows, columns=["number", "value"])


def agreement_table(item: ConditionComparison) -> pd.DataFrame | None:
    """The pairs' table (both, only A, only B, neither succeeded); None when the comparison is unpaired."""
    result = item.comparison
    if result is None or result.agreement is None:
        return None
    counts = result.agreement
    return pd.DataFrame(
        [
            ("both succeeded", counts.both),
            (f"only {item.label_a} succeeded", counts.only_a),
            (f"only {item.label_b} succeeded", counts.only_b),
            ("neither succeeded", counts.neither),
        ],
        columns=["pairs", "count"],
    )


def significant(item: ConditionComparison) -> bool:
    return item.comparison is not None and item.comparison.p_value < ALPHA


def rates_figure(view: ComparisonView) -> go.Figure:
    judged = [c for c in view.conditions if c.summary is not None]
    return condition_rates_figure([c.summary for c in judged], [c.description for c in judged])


def _run_rows(registry: Registry, run_id: int) -> list[EpisodeRow]:
    rows = sorted(registry.episode_rows(run_id=run_id), key=lambda row: row.episode_index)
    if not rows:
        raise PreflightError(f"Run {run_id} has no episode in the registry ({registry.url}).")
    return rows


def _judged(rows: Sequence[EpisodeRow]) -> list[Episode]:
    return [Episode(row.outcome == "success", row.score) for row in rows if row.outcome in JUDGED]


def _settings_text(row: EpisodeRow, base: EpisodeRow | None = None) -> str:
    """A run's policy and settings; against `base`, only what differs (or "as A" when nothing does)."""
    settings = _settings(row)
    if base is None:
        return ", ".join(text for text, _ in settings.values())
    before = _settings(base)
    return ", ".join(text for name, (text, key) in settings.items() if key != before[name][1]) or "as A"


def _settings(row: EpisodeRow) -> dict[str, tuple[str, object]]:
    """What a run compares, each as (its text, what makes two runs differ in it)."""
    horizon = f" (horizon {row.rtc_execution_horizon})" if row.rtc_execution_horizon is not None else ""
    return {
        "policy": (f"policy {policy_name(row.policy_path)}", row.weights_sha256),
        "chunk": (f"chunk {row.chunk_size}, n_action_steps {row.n_action_steps}", (row.chunk_size, row.n_action_steps)),
        "inference": (f"inference {row.inference}{horizon}", (row.inference, row.rtc_execution_horizon)),
        "task": (f"task {row.task!r}", row.task),
    }


def _rate(summary: ConditionSummary | None) -> str:
    return "nothing judged yet" if summary is None else f"{summary.rate:.0%} ({summary.successes}/{summary.episodes})"
