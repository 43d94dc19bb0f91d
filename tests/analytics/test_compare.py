"""A against B: the comparison's numbers against scipy's own on known counts, and `python -m core compare` on a real
registry with two runs of tagged episodes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from core.analytics.compare import Episode, compare, episodes_needed, probability_b_better
from core.analytics.stats import wilson_interval
from core.errors import PreflightError
from core.registry import Registry
from tests.registry.conftest import write_checkpoint

ROOT = Path(__file__).resolve().parents[2]


def outcomes(successes: int, n: int, scores: list[int] | None = None) -> list[Episode]:
    return [Episode(i < successes, scores[i] if scores else None) for i in range(n)]


@pytest.mark.parametrize(("a", "b"), [((6, 10), (8, 10)), ((45, 50), (30, 50))])
def test_unpaired_numbers_are_scipys(a: tuple[int, int], b: tuple[int, int]) -> None:
    result = compare("A", outcomes(*a), "B", outcomes(*b))
    table = [[a[0], a[1] - a[0]], [b[0], b[1] - b[0]]]
    assert result.test == "fisher" and result.p_value == pytest.approx(stats.fisher_exact(table).pvalue)
    wilson = stats.binomtest(a[0], a[1]).proportion_ci(method="wilson")
    assert (result.a.wilson_low, result.a.wilson_high) == pytest.approx((wilson.low, wilson.high))
    assert wilson_interval(*a) == pytest.approx((wilson.low, wilson.high), abs=1e-4)  # the page's own interval
    samples = np.random.default_rng(1).beta(
        1 + np.array([a[0], b[0]]), 1 + np.array([a[1] - a[0], b[1] - b[0]]), (200_000, 2)
    )
    assert result.p_b_better == pytest.approx(np.mean(samples[:, 1] > samples[:, 0]), abs=0.01)


def test_six_of_ten_against_eight_of_ten_claims_nothing_and_says_what_it_would_take() -> None:
    result = compare("A", outcomes(6, 10), "B", outcomes(8, 10))
    assert result.p_value > 0.5 and result.episodes_needed == 82
    assert result.verdict.startswith("No difference can be claimed yet") and "72 more each" in result.verdict


def test_forty_five_of_fifty_against_thirty_is_a_difference() -> None:
    result = compare("A", outcomes(45, 50), "B", outcomes(30, 50))
    assert result.p_value < 0.001 and result.p_b_better < 0.001 and result.verdict.startswith("A is better")


def test_paired_episodes_use_the_exact_mcnemar_test_on_the_pairs_that_disagree() -> None:
    a = [Episode(s) for s in [1, 1, 1, 0, 0, 1, 0, 1, 0, 0]]
    b = [Episode(s) for s in [1, 1, 1, 1, 1, 1, 1, 1, 0, 1]]
    result = compare("A", a, "B", b, paired=True)
    assert (result.agreement.only_a, result.agreement.only_b) == (0, 4)
    assert result.p_value == pytest.approx(stats.binomtest(4, 4, 0.5).pvalue)
    with pytest.raises(PreflightError, match="twins"):
        compare("A", a, "B", b[:-1], paired=True)


def test_equal_rates_say_no_difference_and_scores_get_a_bootstrap_interval() -> None:
    result = compare("A", outcomes(5, 10, list(range(40, 50))), "B", outcomes(5, 10, list(range(60, 70))))
    assert result.episodes_needed is None and result.verdict.startswith("No difference can be claimed yet")
    low, high = result.score_interval
    assert result.score_difference == 20.0 and low < 20.0 < high and low > 0
    assert episodes_needed(0.5, 0.5) is None and probability_b_better(5, 10, 5, 10) == pytest.approx(0.5, abs=1e-6)


def test_the_compare_command_reads_two_runs_from_the_registry(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    registry = Registry.open(url)
    policy = registry.register_policy(write_checkpoint(tmp_path / "checkpoint"))
    run_ids = []
    for n_action_steps, successes in ((15, 3), (30, 8)):
        run = registry.start_run(
            policy.id,
            station="demo",
            dataset_root=tmp_path / f"rollout_{n_action_steps}",
            task="Grab the brain",
            chunk_size=30,
            n_action_steps=n_action_steps,
            fps=30,
            camera_mapping={"front": "sim:cam0"},
        )
        for index in range(10):
            episode = registry.record_episode(
                run.id, run.dataset_root, index, length_frames=90, started_at=datetime(2026, 1, 1, tzinfo=UTC)
            )
            registry.tag_episode(episode.id, "success" if index < successes else "failure", score=10 * index)
        run_ids.append(run.id)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "core", "compare", "--run", str(run_ids[0]), "--run", str(run_ids[1]), "--db", url]
    text = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert text.returncode == 0, text.stderr
    assert "3/10 = 30%" in text.stdout and "8/10 = 80%" in text.stdout and "Fisher's exact test" in text.stdout
    payload = json.loads(subprocess.run([*command, "--json"], cwd=ROOT, env=env, capture_output=True, text=True).stdout)
    assert payload["test"] == "fisher" and payload["b"]["successes"] == 8
    assert payload["p_value"] == pytest.approx(stats.fisher_exact([[3, 7], [8, 2]]).pvalue)
    wrong = subprocess.run(command[:6], cwd=ROOT, env=env, capture_output=True, text=True)
    assert wrong.returncode == 2 and "exactly two runs" in wrong.stderr
