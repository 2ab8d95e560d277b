"""The 'on par' rule of notebook 05 (MERGE vs the MLP, §4.3): an equivalence test with a fixed margin."""
from __future__ import annotations

import numpy as np
import pytest

from attrprior.papers.nb05_dapr import verdicts as dv

RNG = np.random.default_rng(1)


def _pairs(shift: float, n: int = 12, sd: float = 0.01):
    b = RNG.normal(0.9, 0.1, n)
    return b + shift + RNG.normal(0, sd, n), b


def test_equivalent_within_the_margin():
    verdict, reason, ev = dv.on_par(*_pairs(0.01), margin=0.09)
    assert verdict == "reproduced" and ev is not None and "90 % CI" in reason


def test_a_clear_difference_beyond_the_margin():
    verdict, reason, ev = dv.on_par(*_pairs(0.3), margin=0.09)
    assert verdict == "not reproduced" and ev.significant() and "differ" in reason


def test_too_noisy_to_tell_is_inconclusive():
    verdict, reason, _ = dv.on_par(*_pairs(0.0, n=3, sd=0.3), margin=0.09)
    assert verdict == "inconclusive" and reason.startswith("Inconclusive")


def test_the_ci_matches_scipy():
    from scipy import stats

    a, b = _pairs(0.02)
    _, reason, _ = dv.on_par(a, b, margin=0.09)
    ci = stats.ttest_rel(a, b).confidence_interval(0.90)
    assert f"[{ci.low:.3g}, {ci.high:.3g}]" in reason


def test_undefined_with_one_pair():
    assert dv.on_par([1.0], [0.9], margin=0.1)[0] == "inconclusive"
    with pytest.raises(ValueError, match="matched pairs"):
        dv.on_par([1.0, 2.0], [1.0], margin=0.1)
