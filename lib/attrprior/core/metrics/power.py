"""Effect sizes, confidence intervals and power of the t-tests the notebooks use (statsmodels underneath).

A verdict needs to know whether the run *could* have seen the paper's effect: the confidence interval of the
measured effect, and the power of the same test at the paper's effect size, answer that. Effects here are mean
differences ``mean(a) - mean(b)`` (two samples), ``mean(a - b)`` (paired) or ``mean(a)`` (one sample), in the
units of ``a``; the paper's effect ``target`` is given in the same units and standardised by the run's own spread.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy import stats
from statsmodels.stats.power import TTestIndPower, TTestPower

ALTERNATIVES = ("two-sided", "larger", "smaller")


def _arrays(a: Sequence[float], b: Sequence[float] | None, paired: bool) -> tuple[np.ndarray, np.ndarray | None]:
    a = np.asarray(a, dtype=float)
    b = None if b is None else np.asarray(b, dtype=float)
    if paired:
        if b is None or a.shape != b.shape:
            raise ValueError("a paired comparison needs two samples of the same length")
        return a - b, None
    return a, b


def _check_alternative(alternative: str) -> None:
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}")


def mean_difference(a: Sequence[float], b: Sequence[float] | None = None, paired: bool = False) -> float:
    """The effect: ``mean(a) - mean(b)``, ``mean(a - b)`` when paired, ``mean(a)`` without ``b``."""
    x, y = _arrays(a, b, paired)
    return float(x.mean() - (0.0 if y is None else y.mean()))


def difference_sd(a: Sequence[float], b: Sequence[float] | None = None, paired: bool = False) -> float:
    """The spread that standardises the effect: SD of ``a`` (or of ``a - b``), or the pooled SD of two samples."""
    x, y = _arrays(a, b, paired)
    if y is None:
        return float(x.std(ddof=1)) if len(x) > 1 else float("nan")
    if len(x) + len(y) < 3:
        return float("nan")
    pooled = ((len(x) - 1) * x.var(ddof=1 if len(x) > 1 else 0) + (len(y) - 1) * y.var(ddof=1 if len(y) > 1 else 0))
    return float(np.sqrt(pooled / (len(x) + len(y) - 2)))


def difference_ci(a: Sequence[float], b: Sequence[float] | None = None, paired: bool = False,
                  level: float = 0.95) -> tuple[float, float]:
    """Two-sided t confidence interval of :func:`mean_difference` (Welch's for two independent samples).
    ``(nan, nan)`` when a sample has fewer than two values."""
    x, y = _arrays(a, b, paired)
    if y is None:
        if len(x) < 2:
            return float("nan"), float("nan")
        res = stats.ttest_1samp(x, 0.0)
    else:
        if len(x) < 2 or len(y) < 2:
            return float("nan"), float("nan")
        res = stats.ttest_ind(x, y, equal_var=False)
    lo, hi = res.confidence_interval(confidence_level=level)
    return float(lo), float(hi)


def power_at(target: float, a: Sequence[float], b: Sequence[float] | None = None, paired: bool = False,
             alpha: float = 0.05, alternative: str = "two-sided") -> float:
    """Power of this run's t-test to detect an effect of size ``target`` (units of ``a``), given the run's spread
    (:func:`difference_sd`) and sample sizes. ``alternative`` is "larger" when the claim is ``effect > 0``.

    A spread of zero with at least two values per sample makes any non-zero effect certain to be seen (power 1);
    too few values to estimate a spread give NaN (the caller treats that as "cannot tell")."""
    _check_alternative(alternative)
    x, y = _arrays(a, b, paired)
    sd = difference_sd(a, b, paired)
    if not np.isfinite(sd) or not np.isfinite(target):
        return float("nan")
    if target == 0:
        return float(alpha)
    if sd == 0:
        return 1.0
    d = target / sd
    alt = {"two-sided": "two-sided", "larger": "larger", "smaller": "smaller"}[alternative]
    if y is None:
        return float(TTestPower().power(effect_size=d, nobs=len(x), alpha=alpha, alternative=alt))
    return float(TTestIndPower().power(effect_size=d, nobs1=len(x), ratio=len(y) / len(x), alpha=alpha,
                                       alternative=alt))


__all__ = ["ALTERNATIVES", "difference_ci", "difference_sd", "mean_difference", "power_at"]
