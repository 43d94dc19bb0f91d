"""`python -m core compare`: is B really better than A? Exact tests on two runs' or an evaluation plan's tagged
episodes; the JSON schemas (version 1) are in docs/evaluations.md."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from core.cli import registry

if TYPE_CHECKING:
    from core.analytics.compare import Comparison, ConditionSummary
    from core.registry import Registry

HELP = (
    "Compare the tagged episodes of two runs or of an evaluation plan: success rates, Fisher or exact McNemar, "
    "P(B better), episodes needed."
)
JSON_VERSION = 1


def configure(parser: argparse.ArgumentParser) -> None:
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--run", dest="runs", type=int, action="append", metavar="ID", help="a registry run id; give it twice: A, B"
    )
    what.add_argument(
        "--plan", type=int, metavar="ID", help="an evaluation plan's id: every condition against A, paired on twins"
    )
    parser.add_argument(
        "--paired", action="store_true", help="the runs' episodes are twins in order (matched starts): exact McNemar"
    )
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON (docs/evaluations.md)")
    parser.add_argument("--database-url", "--db", dest="db", metavar="URL", help=registry.DB_HELP)


def run(args: argparse.Namespace) -> int:
    from core.errors import PreflightError
    from core.registry import Registry

    if args.plan is not None and args.paired:
        raise PreflightError("--paired is for two runs: a plan pairs its complete twins by itself.")
    if args.plan is None and len(args.runs) != 2:
        raise PreflightError(f"Give exactly two runs to compare (--run A --run B), not {len(args.runs)}.")
    registry = Registry.open(args.db)
    if args.plan is not None:
        return _plan(registry, args.plan, args.json)
    return _runs(registry, *args.runs, paired=args.paired, as_json=args.json)


def _runs(registry: Registry, run_a: int, run_b: int, *, paired: bool, as_json: bool) -> int:
    from core import codec
    from core.analytics.compare_view import runs_comparison

    result = runs_comparison(registry, run_a, run_b, paired=paired).comparisons[0].comparison
    if as_json:
        print(json.dumps({"version": JSON_VERSION, **codec.to_json(result)}, indent=1))
        return 0
    for side in (result.a, result.b):
        print(_summary_line(side))
    _print_tests(result)
    return 0


def _plan(registry: Registry, plan_id: int, as_json: bool) -> int:
    from core import codec
    from core.evaluation.results import plan_results

    results = plan_results(registry, plan_id)
    record = results.plan.record
    if as_json:
        payload = {
            "version": JSON_VERSION,
            "plan": {
                "id": record.id,
                "name": record.name,
                "station": record.station,
                "episodes_per_condition": record.episodes_per_condition,
                "order": results.plan.order_text,
                "created_at": record.created_at.isoformat(),
                "ended_at": record.ended_at.isoformat() if record.ended_at else None,
            },
            "conditions": [codec.to_json(condition) for condition in results.conditions],
            "comparisons": [codec.to_json(item) for item in results.comparisons],
        }
        print(json.dumps(payload, indent=1))
        return 0
    state = "open" if record.ended_at is None else "closed"
    print(f"plan {record.id} {record.name!r} on {record.station} ({state}): order {results.plan.order_text}")
    for condition in results.conditions:
        counts = f"planned {condition.planned}, run {condition.run}, judged {condition.judged}"
        line = _summary_line(condition.summary) if condition.summary else f"{condition.label}: nothing judged yet"
        print(f"{line}; {counts} · {condition.description}")
    for item in results.comparisons:
        print(f"\n{item.label_b} against {item.label_a}: {item.note}")
        if item.comparison is not None:
            _print_tests(item.comparison)
    return 0


def _summary_line(side: ConditionSummary) -> str:
    score = f", mean progress {side.mean_score:.0f}" if side.mean_score is not None else ""
    return (
        f"{side.name}: {side.successes}/{side.episodes} = {side.rate:.0%} "
        f"(95% Wilson {side.wilson_low:.0%}-{side.wilson_high:.0%}){score}"
    )


def _print_tests(result: Comparison) -> None:
    test = "exact McNemar on the pairs" if result.paired else "Fisher's exact test"
    print(f"{test}: p = {result.p_value:.3g}; P({result.b.name} better) = {result.p_b_better:.2f}")
    if result.agreement is not None:
        agreement = result.agreement
        print(
            f"pairs: both succeeded {agreement.both}, only {result.a.name} {agreement.only_a}, only {result.b.name} "
            f"{agreement.only_b}, neither {agreement.neither}"
        )
    if result.score_difference is not None and result.score_interval is not None:
        low, high = result.score_interval
        print(
            f"progress score {result.b.name} - {result.a.name}: {result.score_difference:+.1f} "
            f"(95% {low:+.1f} to {high:+.1f})"
        )
    print(result.verdict)
