"""The success-rate interval Analytics shows next to a handful of episodes."""

import pytest

from core.analytics.stats import wilson_interval


@pytest.mark.parametrize(
    ("successes", "n", "expected"),
    [  # Newcombe (1998), Statistics in Medicine 17:857, Table I, method 3 (Wilson score, no continuity correction)
        (81, 263, (0.2553, 0.3662)),
        (15, 148, (0.0624, 0.1605)),
        (0, 20, (0.0, 0.1611)),
        (1, 29, (0.0061, 0.1718)),
    ],
)
def test_matches_published_values(successes, n, expected):
    assert wilson_interval(successes, n) == pytest.approx(expected, abs=5e-5)


def test_all_successes_reach_one_and_no_trials_know_nothing():
    low, high = wilson_interval(10, 10)
    assert high == 1.0 and low == pytest.approx(0.7225, abs=5e-5)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_impossible_counts_are_refused():
    with pytest.raises(ValueError):
        wilson_interval(5, 3)
