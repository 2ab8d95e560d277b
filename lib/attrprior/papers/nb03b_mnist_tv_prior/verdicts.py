"""Verdict rules of notebook 03b (Erion et al. §2.3, Supplement E/F), each ``(statistics) -> (verdict, reason)``.

The ``*_evidence`` helpers turn the statistics of :mod:`.robustness` into one
:class:`~attrprior.compendium.verdicts.Evidence` record (effect signed so that the paper's claim reads
``effect > 0``); they return None when the run has too few replicates for a test (one seed). The rules apply
:func:`~attrprior.compendium.verdicts.gate` themselves, so what they return is the verdict the notebook records.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from scipy import stats

from attrprior.compendium.verdicts import ALPHA, Evidence, Verdict, better, gate, null_control

# Supplement Fig. 6 caption (MNIST test accuracy at the 1% λ rule) and Supplement Fig. 4 caption (CIFAR-10).
PAPER_MNIST_ACCURACY = {"baseline": 0.9925, "expected_gradients": 0.9836, "gradients": 0.9888}
PAPER_CIFAR10_ACCURACY = {"baseline": (0.930, 0.002), "expected_gradients": (0.925, 0.002)}
PAPER_MNIST_GAP = PAPER_MNIST_ACCURACY["baseline"] - PAPER_MNIST_ACCURACY["expected_gradients"]  # 0.0089

ONE_SEED = "one seed: no test over seeds is possible, so the run cannot tell an effect from seed-to-seed noise"


def _usable(ev: Evidence) -> Evidence | None:
    """The record, or None when it has neither a CI nor a power (e.g. identical values everywhere)."""
    return ev if ev.ci is not None or ev.power is not None else None


# --------------------------------------------------------------------------- smoother EG maps
def smoother_evidence(base: Mapping[int, np.ndarray], prior: Mapping[int, np.ndarray], smooth: dict) -> Evidence:
    """Per-image relative TV reduction ``1 − TV_prior/TV_base`` over every (seed, image) pair (effect > 0: the
    prior's maps are smoother), with its t CI; the p-value is the one-sided Wilcoxon test of ``smooth``
    (:func:`.robustness.tv_ratio_stats`). The paper gives no number, so there is no target."""
    seeds = smooth["seeds"]
    rel = np.concatenate([1 - np.asarray(prior[s], float) / np.asarray(base[s], float) for s in seeds])
    return Evidence.from_samples(rel, test="one-sided Wilcoxon signed-rank of TV(prior) < TV(baseline), "
                                 "paired by (seed, image)", p_value=smooth["p_value"], statistic=smooth["statistic"],
                                 unit="relative TV reduction per image")


def verdict_smoother(smooth: dict, evidence: Evidence, threshold: float = 0.9, alpha: float = 0.01) -> Verdict:
    """*Reproduced*: the ratio mean TV(prior)/mean TV(baseline) is below ``threshold`` in every seed and the
    Wilcoxon p < ``alpha``; *partly*: mean ratio < 1 with p < 0.05; otherwise *not reproduced* — then the
    inconclusive rule (a CI holding 0 cannot count against the paper)."""
    ratios = np.round(smooth["ratios"], 3).tolist()
    if all(r < threshold for r in smooth["ratios"]) and smooth["p_value"] < alpha:
        return "reproduced", ""
    if smooth["ratio_mean"] < 1 and smooth["p_value"] < ALPHA:
        return "partly reproduced", (f"EG maps are smoother on average (TV ratio {smooth['ratio_mean']:.3f}, "
                                     f"p = {smooth['p_value']:.2g}) but not below {threshold} in every seed "
                                     f"(per seed {ratios}) with p < {alpha}")
    return gate("not reproduced", f"TV ratio prior/baseline {smooth['ratio_mean']:.3f} (per seed {ratios}), "
                f"Wilcoxon p = {smooth['p_value']:.2g}: no clear smoothing", evidence)


# --------------------------------------------------------------------------- accuracy near the baseline
def accuracy_evidence(base_accs: Sequence[float], model_accs: Sequence[float], tolerance: float = 0.01,
                      paper_gap: float = PAPER_MNIST_GAP) -> Evidence | None:
    """The margin left inside the λ rule's band, ``tolerance − (baseline − model)`` per seed (effect > 0: the
    accuracy cost is within the band), with a two-sided paired t-test of margin = 0. The paper's effect is
    ``tolerance − paper_gap`` (0.01 − 0.0089 = 0.0011 at the paper's rule). None with fewer than two seeds."""
    b, m = np.asarray(base_accs, float), np.asarray(model_accs, float)
    if b.shape != m.shape or b.size < 2:
        return None
    margin = m + tolerance - b
    res = stats.ttest_1samp(margin, 0.0) if np.ptp(margin) > 0 else None
    return _usable(Evidence.from_samples(
        m + tolerance, b, paired=True, test=f"two-sided paired t-test over seeds of {tolerance:g} − accuracy gap",
        p_value=None if res is None else res.pvalue, statistic=None if res is None else res.statistic,
        target=tolerance - paper_gap, unit="accuracy margin inside the band"))


def verdict_accuracy(gap_mean: float, evidence: Evidence | None, tolerance: float = 0.01) -> Verdict:
    """*Reproduced*: the accuracy cost is significantly below ``tolerance`` (margin > 0, p < 0.05);
    *partly*: the mean cost is within 2 × ``tolerance``; *not reproduced*: a larger cost — both through
    the inconclusive rule. One seed: *inconclusive*."""
    if evidence is None:
        return "inconclusive", f"Inconclusive: {ONE_SEED} (mean accuracy cost {gap_mean:+.4f})."
    if evidence.significant() and evidence.effect > 0:
        return "reproduced", ""
    cost = f"the prior costs {gap_mean:.4f} test accuracy on average"
    if gap_mean <= 2 * tolerance:
        why = ("within" if gap_mean <= tolerance else "beyond") + f" the {tolerance:g} band"
        why += "" if gap_mean <= tolerance else f" but within {2 * tolerance:g}"
        return gate("partly reproduced", f"{cost}, {why}, not significantly inside it", evidence)
    return gate("not reproduced", f"{cost}, more than {2 * tolerance:g}", evidence)


# --------------------------------------------------------------------------- robustness to noise
def gain_evidence(a: Mapping[int, float], b: Mapping[int, float], what: str = "") -> Evidence | None:
    """Per-seed gain ``a − b`` with a two-sided paired t-test over seeds; None with fewer than two seeds.
    The paper gives its noise curves only as a figure, so there is no target."""
    seeds = sorted(set(a) & set(b))
    if len(seeds) < 2:
        return None
    x, y = np.array([a[s] for s in seeds]), np.array([b[s] for s in seeds])
    res = stats.ttest_rel(x, y) if np.ptp(x - y) > 0 else None
    return _usable(Evidence.from_samples(
        x, y, paired=True, test="two-sided paired t-test over seeds" + (f" ({what})" if what else ""),
        p_value=None if res is None else res.pvalue, statistic=None if res is None else res.statistic,
        unit="mean accuracy over σ > 0"))


def verdict_gain(gains: Sequence[float], evidence: Evidence | None, min_seeds: int = 3,
                 what: str = "the EG prior") -> Verdict:
    """Claim "``what`` is more robust": :func:`~attrprior.compendium.verdicts.better` on the paired test;
    *reproduced* also needs at least ``min_seeds`` seeds (fewer: *partly* at best). One seed: *inconclusive*."""
    g = np.asarray(gains, float)
    if evidence is None:
        return "inconclusive", f"Inconclusive: {ONE_SEED} ({what}: gain {g.mean():+.4f})."
    verdict, reason = better(evidence, partial_if=(f"{what} is ahead in every seed (gains "
                                                   f"{np.round(g, 4).tolist()}) but the paired test is not "
                                                   "significant") if np.all(g > 0) else "")
    if verdict == "reproduced" and len(g) < min_seeds:
        return "partly reproduced", (f"{what} is significantly ahead (p = {evidence.p_value:.2g}) but on only "
                                     f"{len(g)} seeds, fewer than the {min_seeds} the rule asks for")
    return verdict, reason


def verdict_similar(evidence: Evidence | None, method_detected: bool) -> Verdict:
    """Supplement F.1: "on MNIST, penalizing the gradients does similarly to penalizing expected gradients".
    ``evidence.effect`` = gradient prior − EG prior. :func:`~attrprior.compendium.verdicts.null_control`:
    *reproduced* only if no significant difference **and** the same run detected the EG prior's gain over the
    baseline; *partly* if the EG prior is significantly ahead (the Fig. 6 caption's reading, not F.1's);
    *not reproduced* if the gradient prior is significantly ahead."""
    if evidence is None:
        return "inconclusive", f"Inconclusive: {ONE_SEED}."
    verdict, _ = null_control(evidence, method_detected, method="the EG prior's gain over the baseline")
    d = f"{evidence.effect:+.4f}" + (f", p = {evidence.p_value:.2g}" if evidence.p_value is not None else "")
    if verdict == "not reproduced":
        return verdict, f"the gradient prior is significantly more robust than the EG prior (gradient − EG {d})"
    if verdict == "partly reproduced":
        return verdict, (f"the EG prior is significantly more robust than the gradient prior (gradient − EG {d}): "
                         "what the Fig. 6 caption says, not the 'similar' of Supplement F.1")
    if verdict == "inconclusive":
        return verdict, (f"Inconclusive: no significant difference (gradient − EG {d}), but the same run did not "
                         "detect the EG prior's gain over the baseline, so it could not have told 'similar' from "
                         "'both no better than the baseline'.")
    return verdict, ""


# --------------------------------------------------------------------------- λ trade-off (our extension on MNIST)
def verdict_tradeoff(s: dict, elbow_drop: float = 0.05, min_lambdas: int = 3) -> Verdict:
    """On :func:`.robustness.tradeoff_stats`: *reproduced* if TV falls at every λ step and accuracy eventually
    drops by at least ``elbow_drop`` below the baseline (an elbow); *partly* if TV falls with λ (Spearman
    ρ ≤ −0.8) but one of the two fails; otherwise *not reproduced*. Fewer than ``min_lambdas`` λ values make no
    curve: *inconclusive*. One seed, descriptive: no test."""
    if s.get("n_lambdas", min_lambdas) < min_lambdas:
        return "inconclusive", (f"Inconclusive: {s['n_lambdas']} λ value(s) make no curve (the rule needs at "
                                f"least {min_lambdas})")
    elbow = s["max_acc_drop"] >= elbow_drop
    if s["tv_monotone"] and elbow:
        return "reproduced", ""
    if s["rho_tv"] <= -0.8 or s["tv_monotone"]:
        why = [] if s["tv_monotone"] else [f"TV does not fall at every λ step (ρ = {s['rho_tv']:.2f})"]
        if not elbow:
            why.append(f"no elbow inside the λ grid: accuracy never falls by {elbow_drop} or more "
                       f"(largest drop {s['max_acc_drop']:.4f})")
        return "partly reproduced", "; ".join(why)
    return "not reproduced", (f"TV does not fall steadily with λ (Spearman ρ = {s['rho_tv']:.2f} > −0.8; lowest TV "
                              f"{s['tv_drop']:.0%} below the baseline's)")


__all__ = [
    "ONE_SEED", "PAPER_CIFAR10_ACCURACY", "PAPER_MNIST_ACCURACY", "PAPER_MNIST_GAP", "accuracy_evidence",
    "gain_evidence", "smoother_evidence", "verdict_accuracy", "verdict_gain", "verdict_similar",
    "verdict_smoother", "verdict_tradeoff",
]
