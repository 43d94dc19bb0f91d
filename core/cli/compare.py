"""`python -m core compare`: is run B really better than run A? Exact tests on their tagged episodes."""

from __future__ import annotations

import argparse
import json

HELP = "Compare the tagged episodes of two runs: success rates, Fisher or exact McNemar, P(B better), episodes needed."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--run",
        dest="runs",
        required=True,
        type=int,
        action="append",
        metavar="ID",
        help="a registry run id; give it twice: A, B",
    )
    parser.add_argument(
        "--paired", action="store_true", help="the runs' episodes are twins in order (matched starts): exact McNemar"
    )
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON (docs/evaluations.md)")
    parser.add_argument("--db", help="registry database URL (default: the workspace registry)")


def run(args: argparse.Namespace) -> int:
    from core import codec
    from core.analytics.compare import Episode, compare
    from core.errors import PreflightError
    from core.registry import Registry

    if len(args.runs) != 2:
        raise PreflightError(f"Give exactly two runs to compare (--run A --run B), not {len(args.runs)}.")
    registry = Registry.open(args.db)

    def judged(run_id: int) -> list[Episode]:
        rows = sorted(registry.episode_rows(run_id=run_id), key=lambda row: row.episode_index)
        if not rows:
            raise PreflightError(f"Run {run_id} has no episode in the registry ({registry.url}).")
        return [Episode(row.outcome == "success", row.score) for row in rows if row.outcome in ("success", "failure")]

    (a, b) = args.runs
    result = compare(f"run {a}", judged(a), f"run {b}", judged(b), paired=args.paired)
    if args.json:
        print(json.dumps({"version": 1, **codec.to_json(result)}, indent=1))
        return 0
    for side in (result.a, result.b):
        score = f", mean progress {side.mean_score:.0f}" if side.mean_score is not None else ""
        print(
            f"{side.name}: {side.successes}/{side.episodes} = {side.rate:.0%} "
            f"(95% Wilson {side.wilson_low:.0%}-{side.wilson_high:.0%}){score}"
        )
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
    return 0
