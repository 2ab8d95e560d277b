"""Statistical tests over seeds (or paired images); verdict rules live in compendium.verdicts and the papers.

Thin wrappers around scipy that return plain floats and NaN (instead of warnings or errors) when a
test is undefined — fewer than two runs, zero variance — so a notebook can state "test undefined".
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy import stats
from sklearn.metrics import r2_score


def welch(a: Sequence[float], b: Sequence[float], alternative: str = "two-sided") -> tuple[float, float]:
    """Welch's t-test of mean(a) vs mean(b): ``(t, p)``; NaN when a group has < 2 runs or both have zero variance."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 2 or len(b) < 2 or (np.var(a) == 0 and np.var(b) == 0):
        return float("nan"), float("nan")
    res = stats.ttest_ind(a, b, equal_var=False, alternative=alternative)
    return float(res.statistic), float(res.pvalue)


def ttest(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """Two-sided Student t-test for two independent samples (scipy; as in Methods 5.1)."""
    r = stats.ttest_ind(np.asarray(a, float), np.asarray(b, float))
    return float(r.statistic), float(r.pvalue)


def paired_ttest(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """Two-sided paired t-test (scipy.stats.ttest_rel) of a − b over matched seeds; NaN if undefined."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 2 or np.allclose(a - b, (a - b).mean()):
        return float("nan"), float("nan")
    r = stats.ttest_rel(a, b)
    return float(r.statistic), float(r.pvalue)


def bootstrap_r2_diff(pred_a: np.ndarray, pred_b: np.ndarray, y: np.ndarray, groups: np.ndarray,
                      n_boot: int = 2000, seed: int = 0) -> tuple[float, float, tuple[float, float]]:
    """R²(a) − R²(b) on the same test set, with a bootstrap over test *patients* (``groups``):
    returns (difference, two-sided bootstrap p-value, 95 % percentile interval)."""
    y, pred_a, pred_b = (np.asarray(v, float) for v in (y, pred_a, pred_b))
    uniq = np.unique(groups)
    rows = [np.flatnonzero(groups == g) for g in uniq]
    rng = np.random.default_rng(seed)
    diffs = np.empty(n_boot)
    for b in range(n_boot):
        idx = np.concatenate([rows[i] for i in rng.integers(len(uniq), size=len(uniq))])
        diffs[b] = r2_score(y[idx], pred_a[idx]) - r2_score(y[idx], pred_b[idx])
    diff = float(r2_score(y, pred_a) - r2_score(y, pred_b))
    p = float(min(1.0, 2 * min((diffs <= 0).mean(), (diffs >= 0).mean())))
    return diff, p, (float(np.quantile(diffs, 0.025)), float(np.quantile(diffs, 0.975)))


TREND_P = 0.25


def mcnemar_one_sided(a_correct: np.ndarray, b_correct: np.ndarray) -> tuple[float, int, int]:
    """Exact one-sided McNemar test of "classifier a is more accurate than b" on the same images:
    returns (p, n_a_only, n_b_only), p = P(Binomial(n_a_only + n_b_only, ½) ≥ n_a_only)."""
    a, b = np.asarray(a_correct, bool), np.asarray(b_correct, bool)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"need two boolean vectors of equal length, got {a.shape} and {b.shape}")
    n_a, n_b = int((a & ~b).sum()), int((~a & b).sum())
    if n_a + n_b == 0:
        return 1.0, 0, 0
    return float(stats.binomtest(n_a, n_a + n_b, 0.5, alternative="greater").pvalue), n_a, n_b


__all__ = ["TREND_P", "bootstrap_r2_diff", "mcnemar_one_sided", "paired_ttest", "ttest", "welch"]
