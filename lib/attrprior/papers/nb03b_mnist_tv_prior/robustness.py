"""Statistics for the pixel-TV prior claims (Erion et al. §2.3, Supplement F): pure functions of measured
numbers. The verdict rules that read them are in :mod:`.verdicts`.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from scipy import stats


def tv_ratio_stats(base: Mapping[int, np.ndarray], prior: Mapping[int, np.ndarray]) -> dict:
    """Compare per-image TV of the same test images under a baseline and a prior model, paired by seed.

    Returns per-seed ratios mean(TV_prior)/mean(TV_base), their mean and sd, and a one-sided Wilcoxon
    signed-rank test (H1: TV_prior < TV_base) over all (seed, image) pairs.
    """
    seeds = sorted(set(base) & set(prior))
    if not seeds:
        raise ValueError("no seed has both a baseline and a prior model")
    ratios, diffs = [], []
    for s in seeds:
        b, p = np.asarray(base[s], float), np.asarray(prior[s], float)
        if b.shape != p.shape or b.size == 0:
            raise ValueError(f"seed {s}: TV arrays must be non-empty and paired, got {b.shape} vs {p.shape}")
        ratios.append(p.mean() / b.mean())
        diffs.append(p - b)
    d = np.concatenate(diffs)
    if np.all(d == 0):
        stat, pval = 0.0, 1.0
    else:
        res = stats.wilcoxon(d, alternative="less")
        stat, pval = float(res.statistic), float(res.pvalue)
    r = np.array(ratios)
    return {"seeds": seeds, "ratios": r.tolist(), "ratio_mean": float(r.mean()),
            "ratio_sd": float(r.std(ddof=1)) if len(r) > 1 else float("nan"),
            "n_pairs": int(d.size), "statistic": stat, "p_value": pval}


def accuracy_gap(base_accs: Sequence[float], model_accs: Sequence[float]) -> dict:
    """Baseline − model test accuracy, per seed (paired), with mean and sd."""
    b, m = np.asarray(base_accs, float), np.asarray(model_accs, float)
    if b.shape != m.shape or b.size == 0:
        raise ValueError("accuracy_gap needs paired, non-empty accuracy lists")
    g = b - m
    return {"gaps": g.tolist(), "gap_mean": float(g.mean()),
            "gap_sd": float(g.std(ddof=1)) if g.size > 1 else float("nan"),
            "base_mean": float(b.mean()), "model_mean": float(m.mean())}


def noise_auc(table, method: str, lam: float | None = None) -> dict[int, float]:
    """Mean accuracy over the σ > 0 part of the noise grid, per seed, for one method (and λ)."""
    t = table[(table.method == method) & (table.sigma > 0)]
    if lam is not None:
        t = t[np.isclose(t.lam, lam)]
    if len(t) == 0:
        raise ValueError(f"no noisy accuracies for {method!r} (is the σ grid only 0?)")
    return {int(k): float(v) for k, v in t.groupby("seed").acc.mean().items()}


def paired_gain_stats(a: Mapping[int, float], b: Mapping[int, float]) -> dict:
    """Per-seed gains a − b with their mean and sd (the test is in :func:`.verdicts.gain_evidence`)."""
    seeds = sorted(set(a) & set(b))
    if not seeds:
        raise ValueError("no common seeds")
    g = np.array([a[s] - b[s] for s in seeds])
    return {"seeds": seeds, "gains": g.tolist(), "gain_mean": float(g.mean()),
            "gain_sd": float(g.std(ddof=1)) if g.size > 1 else float("nan")}


def tradeoff_stats(lams: Sequence[float], tvs: Sequence[float], accs: Sequence[float],
                   base_tv: float, base_acc: float) -> dict:
    """Shape of the TV–accuracy curve over a λ sweep, with the baseline as λ = 0: Spearman ρ of λ
    with TV and with accuracy, whether TV falls at every step, and the largest accuracy drop."""
    if len(lams) == 0 or not len(lams) == len(tvs) == len(accs):
        raise ValueError("tradeoff_stats needs non-empty, equally long λ, TV and accuracy lists")
    order = np.argsort(lams)
    lam = np.concatenate([[0.0], np.asarray(lams, float)[order]])
    tv = np.concatenate([[base_tv], np.asarray(tvs, float)[order]])
    acc = np.concatenate([[base_acc], np.asarray(accs, float)[order]])
    rho_tv, rho_acc = _rank_corr(lam, tv), _rank_corr(lam, acc)
    return {"n_lambdas": len(lams), "rho_tv": rho_tv, "rho_acc": rho_acc, "tv_monotone": bool(np.all(np.diff(tv) < 0)),
            "tv_drop": float(1 - tv.min() / tv[0]), "max_acc_drop": float(base_acc - acc.min())}


def _rank_corr(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman ρ (two points: the sign of the change; a constant series: 0)."""
    if np.ptp(y) == 0:
        return 0.0
    if len(x) == 2:
        return float(np.sign(y[-1] - y[0]))
    return float(stats.spearmanr(x, y)[0])


__all__ = [
    "accuracy_gap", "noise_auc", "paired_gain_stats", "tradeoff_stats", "tv_ratio_stats",
]
