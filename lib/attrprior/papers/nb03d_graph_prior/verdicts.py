"""Verdict rules of notebooks/03d_graph_prior.ipynb (Erion et al. §2.4), each ``(statistics) -> (verdict, reason)``.

The statistics come as one :class:`~attrprior.compendium.verdicts.Evidence` per claim (built here by
:func:`seed_evidence` / :func:`bootstrap_evidence`); the rules use the shared :func:`better` and
:func:`null_control` and pass through the inconclusive rule (:func:`gate`).

Where the paper gives a t statistic over ``n₁`` vs ``n₂`` retrainings (Methods 5.1), its standardised effect is
Cohen's ``d = t·√(1/n₁ + 1/n₂)``; :func:`seed_evidence` turns it into this run's units (``d`` × this run's pooled
SD), so the power recorded is the power of this run's test to see an effect as large, relative to the spread
between retrainings, as the paper's.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from attrprior.compendium.verdicts import Evidence, Verdict, better, detected, null_control
from attrprior.core.metrics import power as P
from attrprior.core.metrics.seed_tests import paired_ttest, ttest

TREND_P = 0.25  # "partly": ahead with p below this (a trend in the paper's direction; the rule fixed before the run)
PAPER_T = {  # Methods 5.1: (t, n₁, n₂); the paper does not give n for the GCN, 10 vs 10 is assumed as elsewhere
    "graph prior vs MLP": (3.59, 10, 10),
    "graph prior vs GCN": (3.30, 10, 10),
}
UNDEFINED = ("inconclusive", "Inconclusive: the test is undefined (fewer than two replicates per arm, or no spread).")


def paper_d(t: float, n1: int, n2: int) -> float:
    """Cohen's d of a two-sample Student t statistic: ``t·√(1/n₁ + 1/n₂)``."""
    if n1 < 1 or n2 < 1:
        raise ValueError(f"sample sizes must be positive, got {n1}, {n2}")
    return float(t * math.sqrt(1.0 / n1 + 1.0 / n2))


def seed_evidence(a: Sequence[float], b: Sequence[float], *, paired: bool, unit: str,
                  paper: str | None = None) -> Evidence | None:
    """Evidence for "A > B" over retrainings: Student t-test (scipy, two-sided, Methods 5.1) or, when ``paired``,
    the paired t-test. ``paper`` names a :data:`PAPER_T` entry whose effect becomes the target. None when the
    test is undefined (fewer than two values per arm, no spread, or a constant paired difference)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if paired:
        t, p = paired_ttest(a, b)
        test = "two-sided paired t-test over retrainings (scipy.stats.ttest_rel)"
    else:
        t, p = ttest(a, b) if len(a) > 1 and len(b) > 1 and (a.std() > 0 or b.std() > 0) else (math.nan, math.nan)
        test = "two-sided Student t-test over retrainings (scipy.stats.ttest_ind), as in Methods 5.1"
    target = None
    if paper is not None and len(a) > 1 and len(b) > 1:
        sd = P.difference_sd(a, b, paired)
        target = paper_d(*PAPER_T[paper]) * sd if np.isfinite(sd) else None
        if target is not None:
            test += f"; target = the paper's d = {paper_d(*PAPER_T[paper]):.2f} ({paper}) × this run's SD"
    if not np.isfinite(p):
        return None
    return Evidence.from_samples(a, b, paired=paired, test=test, p_value=p, statistic=t, target=target, unit=unit)


def bootstrap_evidence(diff: float, p: float, ci: tuple[float, float], n_patients: int, n_boot: int) -> Evidence:
    """Evidence for graph LASSO vs LASSO (deterministic fits): a bootstrap over test patients of the R² difference."""
    return Evidence(test=f"bootstrap over test patients ({n_boot} resamples) of the R² difference; deterministic fits",
                    effect=float(diff), n=int(n_patients), unit="Δ test R²", p_value=p, ci=(float(ci[0]), float(ci[1])),
                    spread=float(ci[1] - ci[0]) / 2, spread_kind="half-width of the 95% bootstrap interval")


def beats(ev: Evidence | None) -> Verdict:
    """Claim "A beats B" (graph prior > MLP or GCN, graph LASSO > LASSO, more enriched pathways, better driver
    AUROC): *reproduced* if A is ahead with p < 0.05; *partly* if ahead with p < :data:`TREND_P` (the direction
    without significance); otherwise *not reproduced*; a non-significant result from a run that could not
    have seen the paper's effect is *inconclusive*."""
    if ev is None:
        return UNDEFINED
    trend = ""
    if ev.effect > 0 and ev.p_value is not None and ev.p_value < TREND_P:
        trend = (f"ahead ({ev.effect:+.3g} {ev.unit}) but not significantly: p = {ev.p_value:.2g} "
                 f"(a trend, p < {TREND_P})")
    return better(ev, partial_if=trend)


def no_better(ev: Evidence | None, method_detected: bool) -> Verdict:
    """Claim "control A is no better than the MLP" (random graph, gradient penalty, fine-tuning alone):
    :func:`null_control` — *reproduced* only if A is not significantly better **and** the same run detected
    the graph prior's own gain over the MLP; *partly* if A is significantly worse; *not reproduced* if better."""
    if ev is None:
        return UNDEFINED
    return null_control(ev, method_detected, method="the graph prior (EG)")


__all__ = ["PAPER_T", "TREND_P", "beats", "bootstrap_evidence", "detected", "no_better", "paper_d", "seed_evidence"]
