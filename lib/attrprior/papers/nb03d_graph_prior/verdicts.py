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


PENALTY_ORDERS = 2.0  # Supplement H (Fig. 12): the penalty is "on average nearly two orders of magnitude lower"
NEARLY_ORDERS = 1.5  # "nearly two orders": at least 10^1.5 ≈ 32× lower (nearer 100× than 10× on a log scale)


def penalty_evidence(penalty, column: str = "penalty", model: str = "Graph prior (EG)",
                     baseline: str = "MLP") -> Evidence | None:
    """Evidence for "``model``'s explanation graph penalty is lower than ``baseline``'s": per retraining,
    log10(baseline's penalty) − log10(model's), paired by seed (the prior fine-tunes that seed's MLP); two-sided
    paired t-test; the target is the paper's two orders of magnitude. ``penalty`` has columns model, seed and
    ``column``. None when fewer than two seeds are paired, a penalty is not positive or the ratio is constant."""
    wide = penalty.pivot_table(index="seed", columns="model", values=column)
    if model not in wide or baseline not in wide:
        raise ValueError(f"penalty_evidence: the table lacks {model!r} or {baseline!r} (has {list(wide.columns)})")
    pair = wide[[baseline, model]].dropna()
    if len(pair) < 2 or (pair.to_numpy() <= 0).any():
        return None
    a, b = np.log10(pair[baseline].to_numpy()), np.log10(pair[model].to_numpy())
    if np.allclose(a - b, (a - b)[0], rtol=0.0, atol=1e-12):  # a constant ratio: the t-test is undefined
        return None
    t, p = paired_ttest(a, b)
    return Evidence.from_samples(a, b, paired=True, p_value=p, statistic=t, target=PENALTY_ORDERS,
                                 unit="orders of magnitude (log10 ratio)",
                                 test=f"two-sided paired t-test over retrainings of log10({baseline}) − log10({model})")


def orders_lower(ev: Evidence | None) -> Verdict:
    """Claim "the graph penalty is nearly two orders of magnitude lower after fine-tuning with the prior"
    (Supplement H, Fig. 12): *reproduced* if significantly lower by ≥ :data:`NEARLY_ORDERS` orders on average;
    *partly* if significantly lower by less; *not reproduced* otherwise (or if significantly higher), through the
    inconclusive rule."""
    if ev is None:
        return UNDEFINED
    if ev.significant() and ev.effect > 0:
        if ev.effect >= NEARLY_ORDERS:
            return "reproduced", ""
        return "partly reproduced", (f"lower by {ev.effect:.2f} orders (×{10 ** ev.effect:.3g}), p = {ev.p_value:.2g}: "
                                     f"significant, but short of 'nearly two' (≥ {NEARLY_ORDERS})")
    return better(ev)


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


__all__ = ["NEARLY_ORDERS", "PAPER_T", "PENALTY_ORDERS", "TREND_P", "beats", "bootstrap_evidence", "detected", "no_better",
           "orders_lower", "paper_d", "penalty_evidence", "seed_evidence"]
