"""Verdict rules of notebook 04 (supervised VAE), each ``(statistics) -> (verdict, reason)``.

A claim about a model family is tested over **training seeds**, the paper's unit (Table 1 averages 5 runs): a
per-image test only says that two trained networks differ, not that the method does. With one seed there is no
run-to-run spread, so such a claim is *inconclusive* (the evidence builders return None). Where the paper gives
its effect in our units (accuracy points) the evidence carries it as ``target``; R is not comparable in size
(our likelihood differs), so reconstruction claims have none.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from scipy import stats

from attrprior.compendium.verdicts import ALPHA, Evidence, Verdict, better, gate

MIN_ACCURACY = 50.0      # below this a classifier is not working: invariance and "accuracy barely moves" are trivial
ACC_TOLERANCE = 2.0      # "β does not seem to influence the classification accuracy": |Δacc| ≤ 2 points (ours)
CF_FULL, CF_PART = 0.9, 0.5  # counterfactual success rates for reproduced / partly
ONE_SEED = "one training seed per model: the run-to-run spread is unknown, so the comparison cannot be tested"


def seed_evidence(a: Sequence[float], b: Sequence[float] | None = None, *, test: str, target: float | None = None,
                  unit: str = "") -> Evidence | None:
    """Two-sided t-test over seeds of mean(a − b) (paired by seed) or mean(a) against 0, with its CI and, given
    the paper's effect ``target`` in the same units, the power to see it. Two-sided, so that a significant effect
    against the paper reads as such (:func:`attrprior.compendium.verdicts.better`). None with fewer than 2 seeds."""
    a = np.asarray(a, dtype=float)
    diff = a - np.asarray(b, dtype=float) if b is not None else a
    if len(diff) < 2:
        return None
    if np.allclose(diff, diff[0]):
        t, p = float("nan"), 0.0 if diff[0] != 0 else 1.0
    else:
        res = stats.ttest_1samp(diff, 0.0)
        t, p = float(res.statistic), float(res.pvalue)
    return Evidence.from_samples(a, b, paired=b is not None, test=test, p_value=p, statistic=t, target=target,
                                 alternative="two-sided", unit=unit)


def _not_working(accuracies: Mapping[str, float]) -> str:
    worst = min(accuracies, key=accuracies.get)
    return (f"{worst} is at {accuracies[worst]:.1f} % accuracy (< {MIN_ACCURACY:g} %): not a working classifier, so "
            "the comparison says nothing")


def _with_summary(result: Verdict, summary: str, partial: str) -> Verdict:
    """Append the per-α summary to a reason that does not already hold it."""
    verdict, why = result
    if verdict == "reproduced" or partial:
        return verdict, "" if verdict == "reproduced" else why
    return verdict, f"{why[:-1]}; {summary}." if why.endswith(".") else f"{why}; {summary}"


def _per_alpha(deltas: Mapping[float, float], unit: str) -> str:
    return ", ".join(f"α={a:g}: {d:+.3g} {unit}" for a, d in deltas.items())


def accuracy_rule(evidence: Evidence | None, deltas: Mapping[float, float], accuracies: Mapping[str, float]) -> Verdict:
    """Table 1: "SVAE classifies better than the SemiVAE" at each α. ``deltas``: per α, best-β SVAE minus SemiVAE
    accuracy (seed means); ``evidence``: the test over seeds at the α with the smallest Δ. *Reproduced* if
    significant there (hence at every α); *partly* if Δ ≥ 0 at some α only; *not* if significantly worse."""
    if min(accuracies.values()) < MIN_ACCURACY:
        return "not tested", _not_working(accuracies)
    n_ok = sum(d >= 0 for d in deltas.values())
    summary = f"Δ accuracy {_per_alpha(deltas, 'pts')}"
    if evidence is None:
        return "inconclusive", f"Inconclusive: {ONE_SEED} ({summary})."
    partial = f"SVAE ≥ SemiVAE at {n_ok} of {len(deltas)} α ({summary})" if 0 < n_ok < len(deltas) else ""
    return _with_summary(better(evidence, partial_if=partial), summary, partial)


def beta_tradeoff_rule(evidence: Evidence | None, delta_r: Mapping[float, float], delta_acc: Mapping[float, float],
                       svae_accuracies: Mapping[str, float], n_betas: int) -> Verdict:
    """Table 1: raising β raises R at each α "with reduced impacts on the classification accuracy". ``delta_r`` /
    ``delta_acc``: per α, β_max minus β_min (seed means); ``evidence``: ΔR over seeds at the α with the smallest
    ΔR. *Reproduced* if ΔR is significantly > 0 there and |Δacc| ≤ 2 points at every α; *partly* if R rises but
    accuracy moves more, or R rises at some α only; *not* if R falls significantly."""
    if n_betas < 2:
        return "not tested", "the β grid has a single value"
    if min(svae_accuracies.values()) < MIN_ACCURACY:
        return "not tested", _not_working(svae_accuracies) + " ('accuracy barely changes' would hold trivially)"
    summary = f"ΔR {_per_alpha(delta_r, 'nats')}; Δacc {_per_alpha(delta_acc, 'pts')}"
    if evidence is None:
        return "inconclusive", f"Inconclusive: {ONE_SEED} ({summary})."
    acc_small = all(abs(v) <= ACC_TOLERANCE for v in delta_acc.values())
    if evidence.significant(ALPHA) and evidence.effect > 0:
        if acc_small:
            return "reproduced", ""
        return "partly reproduced", f"R rises with β at every α but accuracy moves by more than {ACC_TOLERANCE:g} points ({summary})"
    n_up = sum(v > 0 for v in delta_r.values())
    partial = f"R rises at {n_up} of {len(delta_r)} α ({summary})" if 0 < n_up < len(delta_r) else ""
    return _with_summary(better(evidence, partial_if=partial), summary, partial)


def reconstruction_rule(evidence: Evidence | None, deltas: Mapping[float, float]) -> Verdict:
    """Table 1: the SVAE with β = 0.9 has a better reconstruction term R than the SemiVAE at each α. ``deltas``: per
    α, R(SVAE β_max) − R(SemiVAE) (seed means); ``evidence``: over seeds at the α with the smallest Δ."""
    summary = f"ΔR {_per_alpha(deltas, 'nats')}"
    if evidence is None:
        return "inconclusive", f"Inconclusive: {ONE_SEED} ({summary})."
    n_ok = sum(d > 0 for d in deltas.values())
    partial = f"SVAE R higher at {n_ok} of {len(deltas)} α ({summary})" if 0 < n_ok < len(deltas) else ""
    return _with_summary(better(evidence, partial_if=partial), summary, partial)


def invariance_area(sigmas: Sequence[float], gap: Sequence[float]) -> float:
    """Mean gap between two invariance curves over the σ range: the trapezoid area divided by the range."""
    s, g = np.asarray(sigmas, dtype=float), np.asarray(gap, dtype=float)
    if len(s) < 2:
        return float(g.mean())
    return float(np.trapezoid(g, s) / (s.max() - s.min()))


def invariance_rule(evidence: Evidence | None, gap_by_sigma: Mapping[float, float], accuracies: Mapping[str, float],
                    sigma_from: float = 0.5, sigma_to: float = 2.0) -> Verdict:
    """Fig. 2: "the SVAE is more robust to changes in the invariant dimensions". ``evidence``: over seeds, the area
    between the SVAE and SemiVAE family-mean curves over the σ grid; ``gap_by_sigma``: the seed-mean gap per σ.
    *Reproduced* if the area is significantly > 0 and the gap is ≥ 0 at every σ in [σ_from, σ_to] (the range the
    paper interprets); *partly* if the area is significant but the curves cross there; *not* if SemiVAE wins."""
    if min(accuracies.values()) < MIN_ACCURACY:
        return "not tested", _not_working(accuracies) + " (a classifier that is not working is trivially invariant)"
    below = [s for s, g in gap_by_sigma.items() if sigma_from <= s <= sigma_to and g < 0]
    if evidence is None:
        area = invariance_area(list(gap_by_sigma), list(gap_by_sigma.values()))
        return "inconclusive", f"Inconclusive: {ONE_SEED} (area between the curves {area:+.3f})."
    if evidence.significant(ALPHA) and evidence.effect > 0:
        if not below:
            return "reproduced", ""
        return "partly reproduced", ("the area between the curves is positive, but the SemiVAE is above at σ = "
                                     + ", ".join(f"{s:g}" for s in below))
    return better(evidence)


def diversity_rule(evidence: Evidence | None, mean_l2: Mapping[str, float], chosen: str) -> Verdict:
    """Sec. 3.0.1: the (α=6000, β=0.9) SVAE "produces more diverse images" than the other SVAE settings.
    ``mean_l2``: seed-mean ‖x̃ − x‖₂ per SVAE setting; ``evidence``: over seeds, the chosen setting's margin over the
    next SVAE. *Reproduced* if significant; *partly* if it beats some but not all other settings; *not* if beaten."""
    others = {m: v for m, v in mean_l2.items() if m != chosen}
    if not others:
        return "not tested", "only one SVAE setting was trained: nothing to compare with"
    if evidence is None:
        return "inconclusive", (f"Inconclusive: {ONE_SEED} ({chosen} {mean_l2[chosen]:.3g} vs the next SVAE setting "
                                f"{max(others.values()):.3g}).")
    beaten = sum(mean_l2[chosen] > v for v in others.values())
    partial = (f"{chosen} is more diverse than {beaten} of {len(others)} other SVAE settings"
               if 0 < beaten < len(others) else "")
    return better(evidence, partial_if=partial)


def kl_check_evidence(d1: np.ndarray, d2: np.ndarray) -> Evidence | None:
    """Per kept invariant sample, log(d2 / d1): CI over samples, p of the one-sided Wilcoxon test d1 < d2."""
    d1, d2 = np.asarray(d1, dtype=float), np.asarray(d2, dtype=float)
    if len(d1) < 2 or np.all(d1 == d2):
        return None
    w = stats.wilcoxon(d1, d2, alternative="less")
    logs = np.log(d2 + 1e-12) - np.log(d1 + 1e-12)
    return Evidence.from_samples(logs, test=f"one-sided paired Wilcoxon over {len(d1)} samples (d1 < d2); CI of the "
                                 "mean log(d2/d1)", p_value=float(w.pvalue), statistic=float(w.statistic),
                                 unit="log(d2/d1)")


def kl_check_rule(evidence: Evidence | None, median_d1: float, median_d2: float) -> Verdict:
    """Check: invariant samples move the class units less than the nuisance units (d1 < d2 of Eq. 9). *Reproduced*
    if the medians are so ordered and Wilcoxon p < α; *partly* if ordered only; *not* otherwise."""
    if evidence is None:
        return "not tested", "no kept invariant samples to compare"
    ordered = median_d1 < median_d2
    if ordered and evidence.significant(ALPHA):
        return "reproduced", ""
    summary = f"median d1 = {median_d1:.3g} vs d2 = {median_d2:.3g}"
    return gate("partly reproduced" if ordered else "not reproduced", summary, evidence)


def counterfactual_rule(rate: float, n_pairs: int) -> Verdict:
    """Fig. 7: the fraction of (digit, other class) pairs whose counterfactual is classified as the target:
    *reproduced* ≥ 0.9, *partly* ≥ 0.5, *not* below."""
    if n_pairs == 0:
        return "not tested", "no (digit, target) pairs"
    if rate >= CF_FULL:
        return "reproduced", ""
    return ("partly reproduced" if rate >= CF_PART else "not reproduced"), \
        f"{rate:.0%} of {n_pairs} counterfactuals reach the target class"


__all__ = ["ACC_TOLERANCE", "MIN_ACCURACY", "accuracy_rule", "beta_tradeoff_rule", "counterfactual_rule",
           "diversity_rule", "invariance_area", "invariance_rule", "kl_check_evidence", "kl_check_rule",
           "reconstruction_rule", "seed_evidence"]
