"""The Compare tab's numbers outside the browser: the rates figure's error bars are the Wilson intervals, two runs are
compared paired or not, and the HTML report carries the comparison (tables and figure) only when one is shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from scipy import stats

from core.analytics.compare_view import agreement_table, conditions_table, rates_figure, run_choices, runs_comparison
from core.analytics.export import report_html
from core.analytics.view import figures, load_analytics
from core.errors import PreflightError
from core.evaluation.results import plan_results
from core.registry import Registry
from core.training.profile import TrainingProfile
from tests.analytics.conftest import prepare_workspace
from tests.evaluation.conftest import tagged_plan
from tests.registry.conftest import write_checkpoint


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    return Registry.open(f"sqlite:///{tmp_path / 'registry.sqlite'}")


@pytest.fixture
def plan_id(registry: Registry, tmp_path: Path) -> int:
    return tagged_plan(registry, write_checkpoint(tmp_path / "checkpoint"), tmp_path / "recordings").record.id


def test_the_rates_figure_draws_each_condition_with_its_wilson_interval(registry, plan_id):
    view = plan_results(registry, plan_id).view
    (bars,) = rates_figure(view).data
    assert list(bars.y) == [0.6, 0.8]
    for index, successes in enumerate((6, 8)):
        wilson = stats.binomtest(successes, 10).proportion_ci(method="wilson")
        assert bars.y[index] + bars.error_y.array[index] == pytest.approx(wilson.high)
        assert bars.y[index] - bars.error_y.arrayminus[index] == pytest.approx(wilson.low)
    assert bars.x[1].startswith("B<br>n_action_steps 30") and bars.error_y.symmetric is False


def test_two_runs_compared_unpaired_and_paired(registry, plan_id):
    runs = run_choices(registry.episode_rows())
    assert list(runs) == [1, 2] and runs[2].startswith("run 2: policy checkpoint, chunk 30, n_action_steps 30")
    unpaired = runs_comparison(registry, 1, 2)
    (item,) = unpaired.comparisons
    assert item.comparison.test == "fisher" and agreement_table(item) is None
    assert item.comparison.p_value == pytest.approx(stats.fisher_exact([[6, 4], [8, 2]]).pvalue)
    table = conditions_table(unpaired).set_index("condition")
    assert table.loc["run 2", "what differs"] == "chunk 30, n_action_steps 30" and table.loc["run 2", "planned"] == ""
    paired = runs_comparison(registry, 1, 2, paired=True).comparisons[0]
    assert paired.comparison.test == "mcnemar" and paired.pairs_used == 10
    assert agreement_table(paired)["count"].tolist() == [5, 1, 3, 1]
    with pytest.raises(PreflightError, match="two different runs"):
        runs_comparison(registry, 1, 1)


def test_the_report_carries_the_comparison_only_when_one_is_shown(
    tmp_path: Path, training_dir: Path, clean_dir: Path, sane_checkpoint: Path
):
    root = prepare_workspace(tmp_path / "workspace", training_dir, {"rollout_clean": clean_dir}, sane_checkpoint)
    registry = Registry.open(f"sqlite:///{root / 'registry.sqlite'}")
    plan = tagged_plan(registry, sane_checkpoint, root / "recordings")
    profile = TrainingProfile.load(next((root / "profiles").glob("*/profile.json")))
    data = load_analytics(profile, [root / "recordings" / "rollout_clean"], registry.episode_rows())

    report = report_html(data, figures(data), comparison=plan_results(registry, plan.record.id).view)
    section = report[report.index("<section id='comparison'>") : report.index("</section>", report.index("comparison"))]
    assert f"Comparison: Evaluation plan {plan.record.id}: n15 vs n30" in section
    assert "60% (6/10)" in section and "80% (8/10)" in section and "exact McNemar on 10 pairs" in section
    assert "only B succeeded" in section and "82 per condition (72 more each)" in section
    assert "No difference can be claimed yet (p = 0.625)" in section
    assert 'id="plot-comparison"' in section and not re.search(r"<script[^>]+src=", report)
    assert "id='comparison'" not in report_html(data, figures(data))
