"""The catch-all (cause: unexplained_drift): the deployment moves differently from training and no rule says why.

Two-sample Kolmogorov-Smirnov tests (scipy.stats.ks_2samp) of four per-episode measures,
training against deployment: mean speed, mean jerk, duration and action range
(core.analytics.metrics.MOTION_COLUMNS). A measure whose p-value is under DRIFT_ALPHA divided
by the number of measures (Bonferroni: four tests, one false alarm in a hundred clean runs at
most) has drifted. Reported, at info severity, only when no named finding explains the run and
both sides have at least DRIFT_MIN_EPISODES episodes. Reasoning: docs/diagnosis.md.
"""

from __future__ import annotations

import pandas as pd
from scipy import stats

from core.rules.finding import CannotJudge, Evidence, Finding

FINDING_ID = "unexplained_drift"
DRIFT_ALPHA = 0.01
DRIFT_MIN_EPISODES = 5
MEASURES = {"speed": "mean speed", "jerk": "mean jerk", "duration_s": "duration", "action_range": "action range"}
FIX = (
    "Compare the drifted episodes with training on the Analytics page (drill-down): a new operator, another "
    "object, a changed scene or a heavier load move differently; record the new conditions into training if "
    "they are wanted."
)


def judge_drift(training: pd.DataFrame, deployment: pd.DataFrame, explained_by: tuple[str, ...]) -> Finding:
    """`training`, `deployment`: per-episode tables (core.analytics.metrics); `explained_by`: problem ids found."""
    if len(deployment) < DRIFT_MIN_EPISODES or len(training) < DRIFT_MIN_EPISODES:
        raise CannotJudge(
            f"the drift tests need at least {DRIFT_MIN_EPISODES} episodes on each side "
            f"(training {len(training)}, deployment {len(deployment)})"
        )
    alpha = DRIFT_ALPHA / len(MEASURES)
    tests = {}
    for column in MEASURES:
        a, b = training[column].dropna(), deployment[column].dropna()
        if len(a) >= DRIFT_MIN_EPISODES and len(b) >= DRIFT_MIN_EPISODES:
            result = stats.ks_2samp(a, b)
            tests[column] = (float(result.statistic), float(result.pvalue), a, b)
    if not tests:
        raise CannotJudge("no per-episode motion measure is available on both sides")
    drifted = {column: test for column, test in tests.items() if test[1] < alpha}
    numbers = {
        "ks": {c: {"statistic": round(t[0], 3), "p_value": float(f"{t[1]:.3g}")} for c, t in tests.items()},
        "alpha_per_test": alpha,
    }
    if not drifted:
        return Finding(FINDING_ID, "ok", "Motion as in training", Evidence("No per-episode measure drifted.", numbers))
    if explained_by:
        return Finding(
            FINDING_ID,
            "ok",
            "Motion drift explained",
            Evidence(f"Drifted measures are explained by {', '.join(explained_by)}.", numbers),
        )
    episodes = sorted(
        {
            int(index)
            for column, (_, _, a, b) in drifted.items()
            for index, value in deployment.loc[b.index, ["episode_index", column]].itertuples(index=False)
            if value < a.quantile(0.05) or value > a.quantile(0.95)
        }
    )
    shown = "; ".join(
        f"{MEASURES[c]} (KS {t[0]:.2f}, p = {t[1]:.2g}; median {t[3].median():.3g} against {t[2].median():.3g})"
        for c, t in drifted.items()
    )
    return Finding(
        FINDING_ID,
        "info",
        "The deployment moves differently from training, and no check says why",
        Evidence(
            f"Drifted: {shown}. Episodes outside training's 5-95% range: {episodes[:20]}.",
            {**numbers, "drifted": sorted(drifted), "episodes": episodes},
        ),
        FIX,
    )
