"""The Fig. 12 claim of notebook 03d: the explanation graph penalty falls by nearly two orders of magnitude."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from attrprior.papers.nb03d_graph_prior import verdicts as gv


def _table(mlp, prior, column="penalty"):
    rows = [{"model": "MLP", "seed": s, column: v} for s, v in enumerate(mlp)]
    rows += [{"model": "Graph prior (EG)", "seed": s, column: v} for s, v in enumerate(prior)]
    return pd.DataFrame(rows)


def test_evidence_is_the_paired_log_ratio_and_matches_scipy():
    mlp = np.array([2.0, 3.0, 2.5, 4.0, 3.5])
    prior = np.array([0.03, 0.02, 0.05, 0.04, 0.01])
    ev = gv.penalty_evidence(_table(mlp, prior))
    diff = np.log10(mlp) - np.log10(prior)
    assert ev.effect == pytest.approx(diff.mean())
    assert ev.p_value == pytest.approx(stats.ttest_rel(np.log10(mlp), np.log10(prior)).pvalue)
    assert ev.target == gv.PENALTY_ORDERS and ev.n == 5


def test_rule_reads_nearly_two_orders():
    rng = np.random.default_rng(0)
    mlp = 10 ** rng.normal(0, 0.05, 6)
    assert gv.orders_lower(gv.penalty_evidence(_table(mlp, mlp / 80 * 10 ** rng.normal(0, 0.05, 6))))[0] == "reproduced"
    verdict, reason = gv.orders_lower(gv.penalty_evidence(_table(mlp, mlp / 5 * 10 ** rng.normal(0, 0.05, 6))))
    assert verdict == "partly reproduced" and "short of" in reason
    assert gv.orders_lower(gv.penalty_evidence(_table(mlp, mlp * 3 * 10 ** rng.normal(0, 0.05, 6))))[0] == "not reproduced"


def test_a_run_too_small_to_tell_is_inconclusive():
    mlp = np.array([1.0, 1.0])
    prior = np.array([0.5, 2.0])  # two seeds, huge spread: a CI holding both 0 and 2 orders
    assert gv.orders_lower(gv.penalty_evidence(_table(mlp, prior)))[0] == "inconclusive"


def test_undefined_and_bad_tables():
    assert gv.orders_lower(gv.penalty_evidence(_table([1.0], [0.1])))[0] == "inconclusive"  # one seed
    assert gv.penalty_evidence(_table([1.0, 2.0], [0.0, 0.1])) is None  # a penalty of 0 has no log
    assert gv.penalty_evidence(_table([1.0, 2.0], [0.01, 0.02])) is None  # a constant ratio: no t-test
    with pytest.raises(ValueError, match="lacks"):
        gv.penalty_evidence(_table([1.0, 2.0], [0.1, 0.2]), baseline="GCN")
