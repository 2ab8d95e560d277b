"""Effect sizes, CIs and power: checked against textbook values and against simulation."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from attrprior.core.metrics import power as P


def test_power_matches_cohens_tables():
    rng = np.random.default_rng(0)
    # two samples of 64 with SD 1: power 0.80 to see d = 0.5 (Cohen 1988, Table 2.3.1)
    a, b = rng.standard_normal(64), rng.standard_normal(64)
    a, b = (a - a.mean()) / a.std(ddof=1), (b - b.mean()) / b.std(ddof=1)
    assert P.power_at(0.5, a, b) == pytest.approx(0.80, abs=0.01)
    # one-sided doubles the chance for the same design at a smaller n
    assert P.power_at(0.5, a[:20], b[:20], alternative="larger") > P.power_at(0.5, a[:20], b[:20])


def test_power_agrees_with_simulation():
    """The fraction of simulated two-sample Welch tests that reject at the target effect."""
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 6), rng.normal(0, 1, 6)
    sd = P.difference_sd(a, b)
    target = 1.5 * sd
    hits = [stats.ttest_ind(rng.normal(target, sd, 6), rng.normal(0, sd, 6)).pvalue < 0.05 for _ in range(4000)]
    assert P.power_at(target, a, b) == pytest.approx(np.mean(hits), abs=0.04)


def test_paired_and_one_sample_effects_and_ci():
    a = np.array([1.0, 2.0, 3.0, 4.0])
    b = np.array([0.5, 1.5, 2.0, 3.0])
    assert P.mean_difference(a, b, paired=True) == pytest.approx(0.75)
    lo, hi = P.difference_ci(a, b, paired=True)
    ref = stats.ttest_rel(a, b).confidence_interval()
    assert (lo, hi) == pytest.approx((ref.low, ref.high))
    assert P.mean_difference(a) == pytest.approx(2.5)
    assert lo < 0.75 < hi


def test_degenerate_inputs():
    assert np.isnan(P.difference_ci([1.0])[0])
    assert np.isnan(P.power_at(1.0, [1.0], [2.0]))  # no spread to size the run by
    assert P.power_at(1.0, [1.0, 1.0], [2.0, 2.0]) == 1.0  # no noise: any effect is seen
    with pytest.raises(ValueError, match="same length"):
        P.mean_difference([1, 2], [1], paired=True)
    with pytest.raises(ValueError, match="alternative"):
        P.power_at(1.0, [1, 2], alternative="bigger")
