"""Verdict rules of notebook 03c (Erion et al. §2.5, Fig. 4, Supplement I.3): ``(statistics) -> (verdict, reason)``.

A paired comparison is one :class:`~attrprior.compendium.verdicts.Evidence` record (effect = the Gini EG model
minus the other, paired by replicate). Its *target* is the paper's effect in this run's units: the paper reports
a paired t statistic T over 200 replicates, i.e. a standardised effect d = T / √200, which is ``d × SD`` of this
run's paired differences — so the power is that of this run's test at the paper's standardised effect.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from attrprior.compendium.verdicts import ALPHA, Evidence, Verdict, better, gate
from attrprior.core.metrics import power as P

PAPER_REPLICATES = 200  # §2.5, Methods 6.1
MIN_VAL_AUC = 0.6  # ours, not the paper's: a (model, λ) below it is an uninformative network


def paired_evidence(a: Sequence[float], b: Sequence[float], *, test: str = "two-sided paired t-test by replicate",
                    paper_t: float | None = None, n_paper: int = PAPER_REPLICATES, alpha: float = ALPHA,
                    unit: str = "") -> Evidence | None:
    """Mean of ``a − b`` paired by replicate, with a two-sided paired t-test, its CI and, given the paper's
    ``paper_t`` over ``n_paper`` replicates, the target ``paper_t / √n_paper × SD(a − b)`` and the power there.
    None with fewer than two replicates."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or a.size < 2:
        return None
    sd = P.difference_sd(a, b, paired=True)
    res = stats.ttest_rel(a, b) if np.ptp(a - b) > 0 else None
    target = paper_t / math.sqrt(n_paper) * sd if paper_t is not None and np.isfinite(sd) and sd > 0 else None
    ev = Evidence.from_samples(a, b, paired=True, test=test, p_value=None if res is None else res.pvalue,
                               statistic=None if res is None else res.statistic, target=target,
                               alternative="two-sided", alpha=alpha, unit=unit)
    return ev if ev.ci is not None or ev.power is not None else None


def comparisons(best: pd.DataFrame, metric: str, paper_t: Mapping[str, float], reference: str = "gini_eg",
                alpha: float = ALPHA, unit: str = "") -> dict[str, Evidence]:
    """One :func:`paired_evidence` per other model on ``metric`` of the selected models (``best``: one row per
    model and replicate), targets from ``paper_t`` (the paper's T per model, Supplement I.3)."""
    wide = best.pivot(index="replicate", columns="model", values=metric)
    out = {}
    for other in [m for m in wide.columns if m != reference]:
        ev = paired_evidence(wide[reference], wide[other], paper_t=paper_t.get(other), alpha=alpha, unit=unit,
                             test=f"two-sided paired t-test by replicate, {reference} − {other}")
        if ev is not None:
            out[other] = ev
    return out


def _classify(ev: Evidence, alpha: float) -> str:
    """'win' (significantly ahead), 'loss' (significantly behind), 'null' (not significant, the run had the
    power to see the paper's effect) or 'weak' (not significant, it had not)."""
    if ev.significant(alpha):
        return "win" if ev.effect > 0 else "loss"
    return "null" if ev.lacks_power() is None else "weak"


def decisive(evidence: Mapping[str, Evidence], alpha: float = ALPHA) -> str:
    """The comparison :func:`verdict_all_better` rests on: the strongest loss, else the least significant
    powered null, else the least significant of the rest (the weakest link of "better than every model")."""
    if not evidence:
        raise ValueError("no comparison to judge")
    kinds = {m: _classify(ev, alpha) for m, ev in evidence.items()}
    pval = {m: ev.p_value if ev.p_value is not None else 1.0 for m, ev in evidence.items()}
    for kind, pick in (("loss", min), ("null", max)):
        hit = [m for m, k in kinds.items() if k == kind]
        if hit:
            return pick(hit, key=lambda m: pval[m])
    return max(evidence, key=lambda m: pval[m])


def verdict_all_better(evidence: Mapping[str, Evidence], alpha: float = ALPHA,
                       labels: Mapping[str, str] | None = None, what: str = "") -> Verdict:
    """"Gini EG beats every other model": *reproduced* if every comparison is significantly positive;
    *not reproduced* if another model is significantly better; if some comparison is not significant although
    the run had the power for the paper's effect, *partly* when every mean difference is positive or at least
    half are significantly positive, else *not reproduced*; if every comparison short of significance lacked
    that power, *inconclusive*. No comparison at all (fewer than two replicates): *inconclusive*."""
    if not evidence:
        return "inconclusive", "Inconclusive: fewer than two replicates, no paired test is possible."
    labels = labels or {}
    kinds = {m: _classify(ev, alpha) for m, ev in evidence.items()}

    def show(ms) -> str:
        return "; ".join(f"{labels.get(m, m)}: Δ = {evidence[m].effect:+.4f}, p = "
                         + (f"{evidence[m].p_value:.2g}" if evidence[m].p_value is not None else "n/a")
                         for m in ms)

    wins = [m for m, k in kinds.items() if k == "win"]
    if len(wins) == len(kinds):
        return "reproduced", ""
    head = f"{what}: " if what else ""
    losses = [m for m, k in kinds.items() if k == "loss"]
    if losses:
        return "not reproduced", f"{head}another model is significantly better ({show(losses)})"
    nulls = [m for m, k in kinds.items() if k == "null"]
    rest = [m for m in kinds if m not in wins]
    if nulls:
        partly = all(ev.effect > 0 for ev in evidence.values()) or len(wins) >= len(kinds) / 2
        return ("partly reproduced" if partly else "not reproduced",
                f"{head}not significant at α = {alpha:g} although the run had the power for the paper's effect: "
                f"{show(nulls)}" + (f"; also not significant: {show([m for m in rest if m not in nulls])}"
                                    if len(rest) > len(nulls) else ""))
    held = f"significantly better than {len(wins)} of {len(kinds)} models; " if wins else ""
    return "inconclusive", (f"Inconclusive: {head}{held}the run lacked the power to see the paper's effect for "
                            f"{show(rest)} (decisive: {evidence[decisive(evidence, alpha)].lacks_power()}).")


def evidence_frame(evidence: Mapping[str, Evidence], alpha: float = ALPHA) -> pd.DataFrame:
    """One row per comparison: effect, CI, T, p, the paper's effect in this run's units, power there, and how
    :func:`verdict_all_better` classes it."""
    rows = {m: {"mean_diff": ev.effect, "ci_low": ev.ci[0] if ev.ci else np.nan,
                "ci_high": ev.ci[1] if ev.ci else np.nan, "T": ev.statistic, "p": ev.p_value,
                "sd_diff": ev.spread, "paper_effect": ev.target,
                "power": ev.power, "class": _classify(ev, alpha)} for m, ev in evidence.items()}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")


def lorenz_area(importances: np.ndarray) -> np.ndarray:
    """Area under each row's Lorenz curve (trapezoid over q/p), equal to ``(1 − Gini) / 2``: smaller = sparser."""
    imp = np.sort(np.atleast_2d(np.asarray(importances, float)), axis=1)
    total = imp.sum(1, keepdims=True)
    curves = np.concatenate([np.zeros((len(imp), 1)), np.cumsum(imp, 1) / np.where(total > 0, total, 1)], 1)
    return (curves[:, 1:] + curves[:, :-1]).sum(1) / (2 * imp.shape[1])


def lorenz_evidence(importances: Mapping[str, np.ndarray], reference: str = "gini_eg", alpha: float = ALPHA
                    ) -> tuple[pd.Series, str, str, Evidence | None]:
    """Areas under the *mean* Lorenz curve per model (Methods 6.4: sorted importances averaged over replicates),
    the model with the smallest (the leader), its closest rival, and the paired test over replicates of the
    per-replicate areas, rival − ``reference`` (> 0: ``reference`` sparser). ``importances[m]``: [replicates, p]
    in replicate order."""
    mean_area = pd.Series({m: float(lorenz_area(np.sort(np.asarray(v), axis=1).mean(0))[0])
                           for m, v in importances.items()})
    leader = str(mean_area.idxmin())
    rival = str(mean_area.drop(reference).idxmin()) if leader == reference else leader
    ev = paired_evidence(lorenz_area(importances[rival]), lorenz_area(importances[reference]), alpha=alpha,
                         unit="Lorenz area (rival − Gini EG)",
                         test=f"two-sided paired t-test by replicate of Lorenz areas, {rival} − {reference}")
    return mean_area, leader, rival, ev


def tradeoff_evidence(slots: pd.DataFrame, reference: str = "gini_eg", min_val_auc: float = MIN_VAL_AUC,
                      alpha: float = ALPHA) -> tuple[pd.DataFrame, str | None, str | None, Evidence | None]:
    """Per model, the λ of highest mean Gini among the (model, λ) whose mean validation ROC-AUC over replicates
    exceeds ``min_val_auc``; the model that peaks highest (the leader) and its closest rival; and the paired test
    over replicates of the Gini at those λ, ``reference`` − rival. Leader None: no setting is that informative."""
    trade = slots.groupby(["model", "lam"], dropna=False)[["val_auc", "gini"]].mean().reset_index()
    useful = trade[trade["val_auc"] > min_val_auc]
    if useful.empty:
        return useful.set_index("model"), None, None, None
    peaks = useful.loc[useful.groupby("model")["gini"].idxmax()].set_index("model")
    leader = str(peaks["gini"].idxmax())
    if reference not in peaks.index:
        return peaks, leader, None, None
    rival = str(peaks["gini"].drop(reference).idxmax()) if leader == reference and len(peaks) > 1 else leader
    if rival == reference:
        return peaks, leader, None, None

    def at_peak(m: str) -> pd.Series:
        lam = peaks.loc[m, "lam"]
        same = np.isnan(slots["lam"]) if np.isnan(lam) else np.isclose(slots["lam"], lam)
        rows = slots[(slots["model"] == m) & same]
        return rows.set_index("replicate")["gini"]

    a, b = at_peak(reference).align(at_peak(rival), join="inner")
    ev = paired_evidence(a, b, alpha=alpha, unit="Gini at each model's peak λ (Gini EG − rival)",
                         test=f"two-sided paired t-test by replicate of the Gini at the peak λ, "
                              f"{reference} − {rival}")
    return peaks, leader, rival, ev


def verdict_first(leader: str | None, evidence: Evidence | None, claim: str = "the Gini EG model",
                  labels: Mapping[str, str] | None = None, reference: str = "gini_eg",
                  alpha: float = ALPHA) -> Verdict:
    """"``reference`` comes first" (lowest mean Lorenz curve; highest sparsity over λ), tested against its closest
    rival (``evidence.effect`` > 0 favours ``reference``): *reproduced* if it comes first and the paired test
    agrees significantly at ``alpha``; *partly* if it comes first without a significant lead; *not reproduced* if
    another model comes first — both through the inconclusive rule. No informative setting or fewer than two
    replicates: *inconclusive*."""
    labels = labels or {}
    if leader is None:
        return "inconclusive", (f"Inconclusive: no (model, λ) reaches a mean validation ROC-AUC above "
                                f"{MIN_VAL_AUC} (e.g. too few epochs), so no model's sparsity counts.")
    if leader != reference and evidence is None:
        return "not reproduced", f"{labels.get(leader, leader)} comes first; {claim} has no informative setting"
    if evidence is None:
        return "inconclusive", "Inconclusive: fewer than two replicates, no paired test is possible."
    d = f"Δ = {evidence.effect:+.4f}" + (f", p = {evidence.p_value:.2g}" if evidence.p_value is not None else "")
    if leader == reference:
        return better(evidence, alpha,
                      partial_if=f"{claim} comes first, but not significantly ahead of its rival ({d})")
    if evidence.significant(alpha) and evidence.effect > 0:  # the per-replicate test disagrees with the means
        return "partly reproduced", (f"{labels.get(leader, leader)} comes first on the means, but {claim} is "
                                     f"significantly ahead replicate by replicate ({d})")
    return gate("not reproduced", f"{labels.get(leader, leader)} comes first, not {claim} ({d})", evidence, alpha)


__all__ = ["MIN_VAL_AUC", "PAPER_REPLICATES", "comparisons", "decisive", "evidence_frame", "lorenz_area",
           "lorenz_evidence",
           "paired_evidence", "tradeoff_evidence", "verdict_all_better", "verdict_first"]
