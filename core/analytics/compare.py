"""Is B really better than A? Two conditions' tagged episodes compared with exact statistics (scipy.stats).

Per condition: the success rate with its Wilson interval. A against B: Fisher's exact test on the
2x2 table when the episodes are unpaired; the exact McNemar test (a binomial test on the pairs
that disagree) when they are paired, which only counts the pairs; the posterior probability that
B's rate is higher, from Beta(1, 1) priors; the difference in mean progress score (0..100) with a
bootstrap interval; and the episodes per condition still needed to detect the observed
difference at 80 % power and alpha 0.05 (two-sided), or the plain statement that no difference
can be claimed yet. Reasoning and sources: docs/evaluations.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import integrate, stats

from core.errors import PreflightError

ALPHA = 0.05
POWER = 0.8
BOOTSTRAP_RESAMPLES = 9999
BOOTSTRAP_SEED = 0  # the interval of the same data is the same in every report


@dataclass(frozen=True)
class Episode:
    """One judged episode of a condition: its outcome and optional 0..100 progress score."""

    success: bool
    score: int | None = None


@dataclass(frozen=True)
class ConditionSummary:
    name: str
    episodes: int
    successes: int
    rate: float
    wilson_low: float
    wilson_high: float
    mean_score: float | None


@dataclass(frozen=True)
class Agreement:
    """The pairs' table: both succeeded, only A, only B, both failed."""

    both: int
    only_a: int
    only_b: int
    neither: int


@dataclass(frozen=True)
class Comparison:
    a: ConditionSummary
    b: ConditionSummary
    paired: bool
    test: str  # "fisher" or "mcnemar"
    p_value: float
    agreement: Agreement | None  # paired only
    p_b_better: float  # posterior P(rate_B > rate_A), Beta(1, 1) priors
    score_difference: float | None  # mean score B - A
    score_interval: tuple[float, float] | None  # 95 % bootstrap interval of that difference
    episodes_needed: int | None  # per condition, for 80 % power at alpha 0.05; None: no difference observed
    verdict: str


def summarize(name: str, episodes: Sequence[Episode]) -> ConditionSummary:
    n, k = len(episodes), sum(e.success for e in episodes)
    if n == 0:
        raise PreflightError(f"Condition {name!r} has no judged episode: tag its episodes success or failure first.")
    interval = stats.binomtest(k, n).proportion_ci(confidence_level=1 - ALPHA, method="wilson")
    scores = [e.score for e in episodes if e.score is not None]
    return ConditionSummary(
        name, n, k, k / n, float(interval.low), float(interval.high), float(np.mean(scores)) if scores else None
    )


def compare(
    a_name: str, a: Sequence[Episode], b_name: str, b: Sequence[Episode], *, paired: bool = False
) -> Comparison:
    """A against B; `paired`: the i-th episodes of A and B share their start (both lists must be as long)."""
    if paired and len(a) != len(b):
        raise PreflightError(
            f"Paired episodes come in twins: {a_name} has {len(a)}, {b_name} has {len(b)}. Compare them unpaired "
            "(without --paired), or tag the missing twins."
        )
    sa, sb = summarize(a_name, a), summarize(b_name, b)
    agreement = None
    if paired:
        agreement = Agreement(
            both=sum(x.success and y.success for x, y in zip(a, b)),
            only_a=sum(x.success and not y.success for x, y in zip(a, b)),
            only_b=sum(y.success and not x.success for x, y in zip(a, b)),
            neither=sum(not x.success and not y.success for x, y in zip(a, b)),
        )
        discordant = agreement.only_a + agreement.only_b
        p_value = 1.0 if discordant == 0 else float(stats.binomtest(agreement.only_b, discordant, 0.5).pvalue)
    else:
        table = [[sa.successes, sa.episodes - sa.successes], [sb.successes, sb.episodes - sb.successes]]
        p_value = float(stats.fisher_exact(table).pvalue)
    difference, interval = _score_difference(a, b, paired)
    needed = episodes_needed(sa.rate, sb.rate)
    return Comparison(
        sa,
        sb,
        paired,
        "mcnemar" if paired else "fisher",
        p_value,
        agreement,
        probability_b_better(sa.successes, sa.episodes, sb.successes, sb.episodes),
        difference,
        interval,
        needed,
        _verdict(sa, sb, p_value, needed),
    )


def probability_b_better(a_successes: int, a_n: int, b_successes: int, b_n: int) -> float:
    """P(rate_B > rate_A) with independent Beta(1 + successes, 1 + failures) posteriors: the integral of B's density
    times A's distribution function."""
    prior_a = stats.beta(1 + a_successes, 1 + a_n - a_successes)
    prior_b = stats.beta(1 + b_successes, 1 + b_n - b_successes)
    value, _ = integrate.quad(lambda x: prior_b.pdf(x) * prior_a.cdf(x), 0.0, 1.0, limit=200)
    return float(min(1.0, max(0.0, value)))


def episodes_needed(rate_a: float, rate_b: float) -> int | None:
    """Episodes per condition to detect rate_a against rate_b at POWER and two-sided ALPHA (the normal approximation
    for two proportions, Fleiss et al.); None when the rates are equal. Hand-written: no kept library does power
    analysis (statsmodels is not a dependency), and the formula is four lines."""
    if math.isclose(rate_a, rate_b):
        return None
    z_alpha, z_beta = stats.norm.ppf(1 - ALPHA / 2), stats.norm.ppf(POWER)
    mean = (rate_a + rate_b) / 2
    spread = z_alpha * math.sqrt(2 * mean * (1 - mean)) + z_beta * math.sqrt(
        rate_a * (1 - rate_a) + rate_b * (1 - rate_b)
    )
    return math.ceil((spread / (rate_a - rate_b)) ** 2)


def episodes_more(needed: int | None, a: ConditionSummary, b: ConditionSummary) -> int | None:
    """Episodes each condition still needs beyond the fewer either has judged; None when no difference is observed."""
    return None if needed is None else max(0, needed - min(a.episodes, b.episodes))


def _score_difference(
    a: Sequence[Episode], b: Sequence[Episode], paired: bool
) -> tuple[float | None, tuple[float, float] | None]:
    if paired:
        pairs = [(x.score, y.score) for x, y in zip(a, b) if x.score is not None and y.score is not None]
        if len(pairs) < 2:
            return None, None
        differences = np.array([y - x for x, y in pairs], dtype=np.float64)
        result = stats.bootstrap(
            (differences,), np.mean, n_resamples=BOOTSTRAP_RESAMPLES, random_state=BOOTSTRAP_SEED, method="percentile"
        )
        return float(differences.mean()), (
            float(result.confidence_interval.low),
            float(result.confidence_interval.high),
        )
    scores_a = np.array([e.score for e in a if e.score is not None], dtype=np.float64)
    scores_b = np.array([e.score for e in b if e.score is not None], dtype=np.float64)
    if len(scores_a) < 2 or len(scores_b) < 2:
        return None, None
    result = stats.bootstrap(
        (scores_a, scores_b),
        lambda x, y, axis=-1: np.mean(y, axis=axis) - np.mean(x, axis=axis),
        n_resamples=BOOTSTRAP_RESAMPLES,
        random_state=BOOTSTRAP_SEED,
        method="percentile",
    )
    interval = (float(result.confidence_interval.low), float(result.confidence_interval.high))
    return float(scores_b.mean() - scores_a.mean()), interval


def _verdict(a: ConditionSummary, b: ConditionSummary, p_value: float, needed: int | None) -> str:
    if needed is None:
        return "No difference can be claimed yet: both conditions have the same success rate."
    better, worse = (b, a) if b.rate > a.rate else (a, b)
    if p_value < ALPHA:
        return f"{better.name} is better than {worse.name} (p = {p_value:.3g} < {ALPHA})."
    more = episodes_more(needed, a, b)
    return (
        f"No difference can be claimed yet (p = {p_value:.3g}): {better.name} {better.rate:.0%} against "
        f"{worse.name} {worse.rate:.0%}. About {needed} episodes per condition would detect a difference this "
        f"large ({more} more each)."
    )
