"""Verdict rules of notebook 02 (SHAP of VAE latents vs sparse loadings), each ``(statistics) -> (verdict, reason)``.

The replicate is the seed: each seed simulates fresh data and trains fresh models, so tests run over seeds.
The poster gives no effect size, so no evidence here carries a ``target``; a non-significant test whose CI holds
0 is then *inconclusive* (:func:`attrprior.compendium.verdicts.gate`). Thresholds (AUROC 0.9, margin 0.02,
Spearman 0.9) are ours, not the poster's.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from scipy import stats

from attrprior.compendium.verdicts import ALPHA, Evidence, Verdict, gate

AUROC_MIN = 0.9
MARGIN = 0.02
RHO_MIN = 0.9
CHANCE = 0.5


def _one_sided_t(diff: np.ndarray) -> tuple[float, float]:
    """One-sided one-sample t-test of ``mean(diff) > 0``: ``(t, p)``; a zero spread gives p 0 or 1."""
    if np.allclose(diff, diff[0]):
        return float("nan"), 0.0 if diff[0] > 0 else 1.0
    res = stats.ttest_1samp(diff, 0.0, alternative="greater")
    return float(res.statistic), float(res.pvalue)


def histogram_evidence(sd_ratios: Sequence[float], p_values: Sequence[float]) -> Evidence | None:
    """Per seed, ``sd(feature 150) / sd(feature 600)`` and its Brown–Forsythe p-value. Effect: the mean log sd
    ratio over seeds (CI over seeds); p: the largest per-seed p (the claim must hold in every seed).
    None with fewer than two seeds."""
    logs = np.log(np.asarray(sd_ratios, dtype=float))
    if len(logs) < 2:
        return None
    return Evidence.from_samples(logs, test="Brown–Forsythe per seed (p = largest over seeds); CI of the mean "
                                 "log sd ratio over seeds", p_value=float(np.max(p_values)), unit="log sd ratio")


def histogram_rule(evidence: Evidence | None, wider_significant: Sequence[bool]) -> Verdict:
    """*Reproduced* if feature 150's SHAP values are significantly more spread (Brown–Forsythe p < α, larger sd)
    in every seed; *partly* in some seeds; *not reproduced* in none; one seed is *inconclusive*."""
    n_ok, n = int(np.sum(wider_significant)), len(wider_significant)
    if evidence is None:
        return "inconclusive", f"one seed only (significantly wider: {n_ok} of {n}); no spread over seeds to judge by"
    if n_ok == n:
        return "reproduced", ""
    verdict = "partly reproduced" if n_ok else "not reproduced"
    return gate(verdict, f"feature 150 significantly wider in {n_ok} of {n} seeds", evidence)


def agreement_rule(rho: np.ndarray, threshold: float = RHO_MIN) -> Verdict:
    """Check: shap's GradientExplainer and our EG rank features alike. *Reproduced* if the minimum Spearman ρ over
    latents and seeds is ≥ ``threshold``; *partly* if the median is; *not reproduced* otherwise."""
    rho = np.asarray(rho, dtype=float)
    if rho.min() >= threshold:
        return "reproduced", ""
    why = f"minimum Spearman {rho.min():.3f} < {threshold} (median {np.median(rho):.3f})"
    return ("partly reproduced" if np.median(rho) >= threshold else "not reproduced"), why


def recovery_evidence(seed_mean_auroc: Sequence[float]) -> Evidence | None:
    """One-sided t-test over seeds that the factor-mean AUROC exceeds chance (0.5); None with fewer than 2 seeds."""
    diff = np.asarray(seed_mean_auroc, dtype=float) - CHANCE
    if len(diff) < 2:
        return None
    t, p = _one_sided_t(diff)
    return Evidence.from_samples(diff, test="one-sided t over seeds: factor-mean AUROC > 0.5", p_value=p,
                                 statistic=t, unit="AUROC − 0.5")


def recovery_rule(evidence: Evidence | None, factor_auroc: Sequence[float], threshold: float = AUROC_MIN) -> Verdict:
    """Claim "mean |SHAP| recovers L's non-zero pattern": ``factor_auroc`` is each factor's seed-mean AUROC.
    *Reproduced* if the AUROC is significantly above chance over seeds and every factor reaches ``threshold``;
    *partly* if some factor does; *not reproduced* if none does or the test finds nothing; then the gate."""
    auc = np.asarray(factor_auroc, dtype=float)
    n_pass = int((auc >= threshold).sum())
    summary = f"{n_pass} of {len(auc)} factors reach AUROC ≥ {threshold} (lowest {auc.min():.3f})"
    if evidence is None:
        return "inconclusive", f"one seed only ({summary}); no spread over seeds to test by"
    if not (evidence.significant() and evidence.effect > 0):
        why = f"AUROC not significantly above chance over seeds (p = {evidence.p_value:.2g}); {summary}"
        return gate("not reproduced", why, evidence)
    if n_pass == len(auc):
        return "reproduced", ""
    return ("partly reproduced" if n_pass else "not reproduced"), summary


def noninferiority_evidence(method: Sequence[float], baseline: Sequence[float], margin: float = MARGIN,
                            name: str = "baseline") -> Evidence | None:
    """Paired over seeds, on the factor-mean AUROC: effect = mean(method − baseline) + ``margin``, so the claim
    "no worse than the baseline by more than the margin" reads effect > 0; p of the one-sided t-test of H0
    "effect ≤ 0". None with fewer than 2 seeds."""
    a, b = np.asarray(method, dtype=float) + margin, np.asarray(baseline, dtype=float)
    if len(a) < 2:
        return None
    t, p = _one_sided_t(a - b)
    return Evidence.from_samples(a, b, paired=True, p_value=p, statistic=t, unit=f"AUROC difference + {margin:g}",
                                 test=f"one-sided paired t over seeds vs {name}: Δ + {margin:g} > 0")


def noninferiority_rule(evidence: Mapping[str, Evidence | None], margin: float = MARGIN) -> Verdict:
    """Claim "VAE + SHAP is no worse than the linear baselines by more than ``margin``", one evidence per baseline
    (:func:`noninferiority_evidence`, best baseline first). Per baseline: *non-inferior* if the test is
    significant, *inferior* if the whole CI lies below 0 (Δ below −margin). *Reproduced* if non-inferior to
    all; *partly* if to some and inferior to the rest; *not reproduced* if inferior to all; else *inconclusive*."""
    if any(e is None for e in evidence.values()):
        return "inconclusive", "one seed only: no spread over seeds to test by"
    ok = [n for n, e in evidence.items() if e.significant(ALPHA) and e.effect > 0]
    worse = [n for n, e in evidence.items() if e.ci is not None and max(e.ci) < 0]
    desc = "; ".join(f"vs {n}: Δ {e.effect - margin:+.3f}" + (f", CI [{e.ci[0] - margin:+.3f}, {e.ci[1] - margin:+.3f}]"
                                                              if e.ci else "") for n, e in evidence.items())
    if len(ok) == len(evidence):
        return "reproduced", ""
    if ok and len(ok) + len(worse) == len(evidence):
        return "partly reproduced", f"non-inferior to {', '.join(ok)} only ({desc})"
    if len(worse) == len(evidence):
        return "not reproduced", f"worse than every baseline by more than the margin {margin:g} ({desc})"
    return "inconclusive", (f"Inconclusive: the CIs over seeds cannot tell a difference within the margin {margin:g} "
                            f"from a larger one ({desc}).")


__all__ = ["AUROC_MIN", "MARGIN", "RHO_MIN", "agreement_rule", "histogram_evidence", "histogram_rule",
           "noninferiority_evidence", "noninferiority_rule", "recovery_evidence", "recovery_rule"]
