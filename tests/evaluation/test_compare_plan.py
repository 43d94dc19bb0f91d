"""A plan's comparison as the Compare tab shows it (tables) and as `python -m core compare --plan ID` prints it: the
command in a subprocess, its exit status, text and JSON (docs/evaluations.md's plan schema)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scipy import stats

from core.analytics.compare_view import agreement_table, conditions_table, statistics_table
from core.evaluation.results import plan_results
from core.registry import Registry
from core.workspace import REPO_ROOT
from tests.evaluation.conftest import tagged_plan
from tests.registry.conftest import write_checkpoint

MCNEMAR_P = stats.binomtest(3, 4, 0.5).pvalue  # only B 3, only A 1


@pytest.fixture
def plan_db(tmp_path: Path) -> tuple[str, int]:
    url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    plan = tagged_plan(Registry.open(url), write_checkpoint(tmp_path / "checkpoint"), tmp_path / "recordings")
    return url, plan.record.id


def compare(*arguments: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "core", "compare", *arguments], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_the_compare_tabs_tables_of_a_plan(plan_db):
    url, plan_id = plan_db
    view = plan_results(Registry.open(url), plan_id).view
    assert view.title == f"Evaluation plan {plan_id}: n15 vs n30"
    table = conditions_table(view).set_index("condition")
    assert table.loc["A", "success rate"] == "60% (6/10)" and table.loc["B", "success rate"] == "80% (8/10)"
    assert table.loc["B", "what differs"] == "n_action_steps 30"
    assert table.loc["A", ["planned", "run", "judged"]].tolist() == ["10", "10", "10"]
    assert table.loc["B", "mean progress"] == "60"  # 8 x 70 + 2 x 20, over 10
    (item,) = view.comparisons
    tests = dict(statistics_table(item).itertuples(index=False))
    assert tests["test"] == "exact McNemar on 10 pairs" and tests["p-value"] == f"{MCNEMAR_P:.3g}"
    assert tests["episodes still needed (80 % power, alpha 0.05)"] == "82 per condition (72 more each)"
    assert dict(agreement_table(item).itertuples(index=False)) == {
        "both succeeded": 5,
        "only A succeeded": 1,
        "only B succeeded": 3,
        "neither succeeded": 1,
    }


def test_compare_plan_prints_every_condition_and_each_against_a(plan_db, tmp_path):
    url, plan_id = plan_db
    text = compare("--plan", str(plan_id), "--db", url, cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].startswith(f"plan {plan_id} 'n15 vs n30' on demo (open): order ABBAABBA")
    assert lines[1].startswith("A: 6/10 = 60% (95% Wilson 31%-83%), mean progress 50; planned 10, run 10, judged 10")
    assert lines[2].startswith("B: 8/10 = 80%") and lines[2].endswith("· n_action_steps 30")
    assert "B against A: Paired on 10 complete twins (matched starts)." in text.stdout
    assert f"exact McNemar on the pairs: p = {MCNEMAR_P:.3g}" in text.stdout
    assert "pairs: both succeeded 5, only A 1, only B 3, neither 1" in text.stdout
    assert "No difference can be claimed yet" in text.stdout and "(72 more each)" in text.stdout


def test_compare_plan_json_schema(plan_db, tmp_path):
    url, plan_id = plan_db
    result = compare("--plan", str(plan_id), "--db", url, "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) == {"version", "plan", "conditions", "comparisons"} and payload["version"] == 1
    assert payload["plan"]["id"] == plan_id and payload["plan"]["order"].startswith("ABBA")
    assert payload["plan"]["ended_at"] is None and payload["plan"]["episodes_per_condition"] == 10
    a, b = payload["conditions"]
    assert set(a) == {"label", "description", "planned", "run", "judged", "summary"}
    assert (a["summary"]["successes"], b["summary"]["successes"], b["description"]) == (6, 8, "n_action_steps 30")
    (item,) = payload["comparisons"]
    assert (item["label_a"], item["label_b"], item["pairs_used"]) == ("A", "B", 10)
    comparison = item["comparison"]
    assert comparison["test"] == "mcnemar" and comparison["p_value"] == pytest.approx(MCNEMAR_P)
    assert comparison["agreement"] == {"both": 5, "only_a": 1, "only_b": 3, "neither": 1}
    assert comparison["episodes_needed"] == 82 and comparison["a"]["name"] == "A"


def test_compare_refuses_a_plan_with_runs_with_paired_and_an_unknown_plan(plan_db, tmp_path):
    url, plan_id = plan_db
    both = compare("--plan", str(plan_id), "--run", "1", "--db", url, cwd=tmp_path)
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
    paired = compare("--plan", str(plan_id), "--paired", "--db", url, cwd=tmp_path)
    assert paired.returncode == 2 and "a plan pairs its complete twins" in paired.stderr
    unknown = compare("--plan", "99", "--db", url, cwd=tmp_path)
    assert unknown.returncode == 2 and "99" in unknown.stderr and "Traceback" not in unknown.stderr
