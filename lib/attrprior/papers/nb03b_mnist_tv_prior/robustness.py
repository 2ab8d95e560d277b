"""Statistics and verdict rules for the pixel-TV prior claims (Erion et al. §2.3, Supplement F).

Pure functions of measured numbers: each ``*_stats`` summarises, each ``verdict_*`` applies the rule
that the notebook states before showing the result and returns ``(verdict, reason)``.
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


def verdict_smoother(s: dict, threshold: float = 0.9, alpha: float = 0.01) -> tuple[str, str]:
    """reproduced: every seed's TV ratio < ``threshold`` and Wilcoxon p < ``alpha``;
    partly: mean ratio < 1 and p < 0.05; otherwise not reproduced."""
    ok_seeds = all(r < threshold for r in s["ratios"])
    if ok_seeds and s["p_value"] < alpha:
        return "reproduced", ""
    if s["ratio_mean"] < 1 and s["p_value"] < 0.05:
        return "partly reproduced", (f"EG maps are smoother on average (TV ratio {s['ratio_mean']:.3f}, "
                                     f"p = {s['p_value']:.2g}) but not below {threshold} in every seed "
                                     f"with p < {alpha}")
    return "not reproduced", (f"TV ratio prior/baseline {s['ratio_mean']:.3f} (per seed "
                              f"{np.round(s['ratios'], 3).tolist()}), Wilcoxon p = {s['p_value']:.2g}: "
                              "no clear smoothing")


def accuracy_gap(base_accs: Sequence[float], model_accs: Sequence[float]) -> dict:
    """Baseline − model test accuracy, per seed (paired), with mean and sd."""
    b, m = np.asarray(base_accs, float), np.asarray(model_accs, float)
    if b.shape != m.shape or b.size == 0:
        raise ValueError("accuracy_gap needs paired, non-empty accuracy lists")
    g = b - m
    return {"gaps": g.tolist(), "gap_mean": float(g.mean()),
            "gap_sd": float(g.std(ddof=1)) if g.size > 1 else float("nan"),
            "base_mean": float(b.mean()), "model_mean": float(m.mean())}


def verdict_accuracy_gap(gap: dict, tolerance: float = 0.01) -> tuple[str, str]:
    """reproduced: mean gap ≤ ``tolerance`` (the paper's 1% selection band); partly: ≤ 2×; else not."""
    g, sd = gap["gap_mean"], gap["gap_sd"]
    spread = f" (sd over seeds {sd:.4f}; per seed {np.round(gap['gaps'], 4).tolist()})" if np.isfinite(sd) else ""
    if g <= tolerance:
        return "reproduced", ""
    if g <= 2 * tolerance:
        return "partly reproduced", (f"the prior costs {g:.4f} test accuracy on average{spread}, more than "
                                     f"{tolerance} but within {2 * tolerance}")
    return "not reproduced", f"the prior costs {g:.4f} test accuracy on average{spread}, more than {2 * tolerance}"


def noise_auc(table, method: str, lam: float | None = None) -> dict[int, float]:
    """Mean accuracy over the σ > 0 part of the noise grid, per seed, for one method (and λ)."""
    t = table[(table.method == method) & (table.sigma > 0)]
    if lam is not None:
        t = t[np.isclose(t.lam, lam)]
    if len(t) == 0:
        raise ValueError(f"no noisy accuracies for {method!r} (is the σ grid only 0?)")
    return {int(k): float(v) for k, v in t.groupby("seed").acc.mean().items()}


def paired_gain_stats(a: Mapping[int, float], b: Mapping[int, float]) -> dict:
    """Per-seed gains a − b, mean and sd, and a one-sided paired t-test (H1: a > b) when ≥ 2 seeds."""
    seeds = sorted(set(a) & set(b))
    if not seeds:
        raise ValueError("no common seeds")
    g = np.array([a[s] - b[s] for s in seeds])
    out = {"seeds": seeds, "gains": g.tolist(), "gain_mean": float(g.mean()),
           "gain_sd": float(g.std(ddof=1)) if g.size > 1 else float("nan"),
           "statistic": float("nan"), "p_value": float("nan")}
    if g.size >= 2 and np.ptp(g) > 0:
        res = stats.ttest_1samp(g, 0.0, alternative="greater")
        out["statistic"], out["p_value"] = float(res.statistic), float(res.pvalue)
    return out


def verdict_gain(s: dict, alpha: float = 0.05, min_seeds: int = 3, what: str = "the prior model") -> tuple[str, str]:
    """reproduced: gain > 0 in every seed, ≥ ``min_seeds`` seeds and one-sided p < ``alpha``;
    partly: mean gain > 0 and positive in every seed (too few seeds or not significant); else not."""
    n, all_pos = len(s["gains"]), all(g > 0 for g in s["gains"])
    if all_pos and n >= min_seeds and s["p_value"] < alpha:
        return "reproduced", ""
    if all_pos:
        why = (f"only {n} seed(s), fewer than the {min_seeds} needed for the test" if n < min_seeds
               else f"paired t-test p = {s['p_value']:.2g} ≥ {alpha}")
        return "partly reproduced", f"{what} is ahead in every seed (mean gain {s['gain_mean']:+.4f}) but {why}"
    return "not reproduced", (f"{what} is not ahead in every seed: gains {np.round(s['gains'], 4).tolist()} "
                              f"(mean {s['gain_mean']:+.4f})")


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
    return {"rho_tv": rho_tv, "rho_acc": rho_acc, "tv_monotone": bool(np.all(np.diff(tv) < 0)),
            "tv_drop": float(1 - tv.min() / tv[0]), "max_acc_drop": float(base_acc - acc.min())}


def _rank_corr(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman ρ (two points: the sign of the change; a constant series: 0)."""
    if np.ptp(y) == 0:
        return 0.0
    if len(x) == 2:
        return float(np.sign(y[-1] - y[0]))
    return float(stats.spearmanr(x, y)[0])


def verdict_tradeoff(s: dict, elbow_drop: float = 0.05) -> tuple[str, str]:
    """reproduced: TV falls at every λ step and accuracy eventually drops by at least ``elbow_drop``
    below the baseline (a clear breakdown: the paper's elbow, after which accuracy degrades towards
    chance); partly: TV falls with λ (ρ ≤ −0.8) but one of the two fails; else not reproduced."""
    elbow = s["max_acc_drop"] >= elbow_drop
    if s["tv_monotone"] and elbow:
        return "reproduced", ""
    if s["rho_tv"] <= -0.8 or s["tv_monotone"]:
        why = [] if s["tv_monotone"] else [f"TV does not fall at every λ step (ρ = {s['rho_tv']:.2f})"]
        if not elbow:
            why.append(f"no elbow inside the λ grid: accuracy never falls by {elbow_drop} or more "
                       f"(largest drop {s['max_acc_drop']:.4f})")
        return "partly reproduced", "; ".join(why)
    return "not reproduced", f"TV does not fall with λ (Spearman ρ = {s['rho_tv']:.2f})"


__all__ = [
    "accuracy_gap", "noise_auc", "paired_gain_stats", "tradeoff_stats", "tv_ratio_stats",
    "verdict_accuracy_gap", "verdict_gain", "verdict_smoother", "verdict_tradeoff",
]
