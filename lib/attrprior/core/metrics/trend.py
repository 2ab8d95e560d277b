"""Ordered-alternative trend tests across groups (e.g. models trained at increasing λ).

The Jonckheere–Terpstra statistic counts, over every pair of groups i < j (in the order of the dose), the pairs of
observations (x from group i, y from group j) with x < y (ties count one half): it is the sum of the Mann–Whitney U
statistics of the ordered group pairs. Its effect size here is the Kendall-type

    τ = (concordant − discordant) / (cross-group pairs)  ∈ [−1, 1],

the share of cross-group pairs ordered with the dose minus the share ordered against it. The p-value is a
permutation p over group labels; :func:`jt_normal_p` is the large-sample normal
approximation (no tie correction), used where thousands of tests are needed (power by simulation). The permutation
p is checked against scipy's ``permutation_test`` in the tests.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from scipy import stats

ALTERNATIVES = ("increasing", "decreasing")


def _groups(groups: Sequence[Sequence[float]]) -> list[np.ndarray]:
    out = [np.asarray(g, dtype=float).ravel() for g in groups]
    if len(out) < 2:
        raise ValueError(f"a trend test needs at least 2 groups, got {len(out)}")
    if any(len(g) == 0 for g in out):
        raise ValueError("every group needs at least one observation")
    if any(not np.isfinite(g).all() for g in out):
        raise ValueError("groups contain NaN or inf")
    return out


def jt_statistic(groups: Sequence[Sequence[float]]) -> float:
    """Σ_{i<j} #{x ∈ g_i, y ∈ g_j : x < y} + ½ #{x = y}: large when values rise along the group order."""
    gs = _groups(groups)
    return float(_jt_many(np.concatenate(gs)[None, :], [len(g) for g in gs])[0])


def _pairs(groups: Sequence[np.ndarray]) -> float:
    n = np.array([len(g) for g in groups], dtype=float)
    return float((n.sum() ** 2 - (n ** 2).sum()) / 2)


def trend_tau(groups: Sequence[Sequence[float]]) -> float:
    """τ = 2·JT / (cross-group pairs) − 1: +1 when every later group lies above every earlier one."""
    gs = _groups(groups)
    return 2 * jt_statistic(gs) / _pairs(gs) - 1


def jt_normal_p(groups: Sequence[Sequence[float]], alternative: str = "increasing") -> float:
    """One-sided p of the Jonckheere–Terpstra test by the normal approximation (no tie correction)."""
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}")
    gs = _groups(groups)
    sizes = [len(g) for g in gs]
    return float(_normal_p_many(_jt_many(np.concatenate(gs)[None, :], sizes), sizes, alternative)[0])


def jt_test(groups: Sequence[Sequence[float]], alternative: str = "increasing", n_resamples: int = 9999,
            seed: int = 0) -> tuple[float, float]:
    """(JT statistic, one-sided permutation p) for a trend in the direction ``alternative``.

    The group labels are permuted ``n_resamples`` times (seeded); p = (1 + #{JT* at least as extreme}) /
    (1 + n_resamples). Vectorised: JT of a labelling is the sum of the pooled comparison matrix over the pairs
    whose first element sits in an earlier group."""
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}")
    gs = _groups(groups)
    x = np.concatenate(gs)
    labels = np.repeat(np.arange(len(gs)), [len(g) for g in gs])
    diff = x[None, :] - x[:, None]
    comp = (diff > 0) + 0.5 * (diff == 0)  # comp[a, b]: x_a below x_b
    observed = float((comp * (labels[:, None] < labels[None, :])).sum())
    rng = np.random.default_rng(seed)
    count = 0
    for start in range(0, n_resamples, 2000):
        perm = np.argsort(rng.random((min(2000, n_resamples - start), len(x))), axis=1)
        lab = labels[perm]
        stat = ((lab[:, :, None] < lab[:, None, :]) * comp).sum((1, 2))
        count += int((stat >= observed - 1e-9).sum() if alternative == "increasing" else (stat <= observed + 1e-9).sum())
    return observed, (1 + count) / (1 + n_resamples)


def _jt_many(samples: np.ndarray, sizes: Sequence[int]) -> np.ndarray:
    """JT of each row of ``samples`` ``[B, N]`` whose columns are the groups' observations in order (``sizes``)."""
    labels = np.repeat(np.arange(len(sizes)), sizes)
    before = labels[:, None] < labels[None, :]
    diff = samples[:, None, :] - samples[:, :, None]
    return (((diff > 0) + 0.5 * (diff == 0)) * before).sum((1, 2))


def _normal_p_many(jt: np.ndarray, sizes: Sequence[int], alternative: str) -> np.ndarray:
    n = np.asarray(sizes, dtype=float)
    N = n.sum()
    mean = (N ** 2 - (n ** 2).sum()) / 4
    var = (N ** 2 * (2 * N + 3) - (n ** 2 * (2 * n + 3)).sum()) / 72
    z = (jt - mean) / math.sqrt(var)
    return stats.norm.sf(z) if alternative == "increasing" else stats.norm.cdf(z)


def _resample(groups: Sequence[np.ndarray], sizes: Sequence[int], n: int, rng: np.random.Generator) -> np.ndarray:
    """``[n, Σ sizes]``: each block of columns drawn with replacement from its group."""
    return np.concatenate([g[rng.integers(0, len(g), (n, k))] for g, k in zip(groups, sizes)], axis=1)


def tau_ci(groups: Sequence[Sequence[float]], level: float = 0.95, n_boot: int = 2000,
           seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap CI of :func:`trend_tau`, resampling within each group."""
    gs = _groups(groups)
    sizes = [len(g) for g in gs]
    jt = _jt_many(_resample(gs, sizes, n_boot, np.random.default_rng(seed)), sizes)
    taus = 2 * jt / _pairs(gs) - 1
    lo, hi = np.quantile(taus, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def trend_power(reference: Sequence[Sequence[float]], n_per_group: int | Sequence[int],
                alternative: str = "increasing", alpha: float = 0.05, n_sims: int = 2000, seed: int = 0) -> float:
    """Power of the one-sided JT test to see a trend like ``reference``'s: groups of ``n_per_group`` drawn with
    replacement from the reference groups (e.g. the authors' runs at the same λ), the share of draws with
    (normal-approximation) p < ``alpha``."""
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}")
    ref = _groups(reference)
    sizes = [int(n_per_group)] * len(ref) if np.ndim(n_per_group) == 0 else [int(n) for n in n_per_group]
    if len(sizes) != len(ref) or min(sizes) < 1:
        raise ValueError(f"n_per_group must give one size >= 1 per group, got {n_per_group}")
    jt = _jt_many(_resample(ref, sizes, n_sims, np.random.default_rng(seed)), sizes)
    return float((_normal_p_many(jt, sizes, alternative) < alpha).mean())


__all__ = ["ALTERNATIVES", "jt_normal_p", "jt_statistic", "jt_test", "tau_ci", "trend_power", "trend_tau"]
