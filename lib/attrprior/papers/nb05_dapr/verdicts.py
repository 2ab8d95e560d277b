"""Verdict rules of notebooks/05_dapr.ipynb (Weinberger et al., DAPr), each ``(statistics) -> (verdict, reason)``.

Statistical claims take one :class:`~attrprior.compendium.verdicts.Evidence` (built by :func:`paired_evidence`),
signed so that the claim reads ``effect > 0``, and pass through the shared inconclusive rule (:func:`gate`);
the noise-meta-feature control uses :func:`null_control`. Paper effects come from Table 1 (AML column).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy import stats

from attrprior.compendium.verdicts import Evidence, Verdict, better, detected, gate, null_control

# Table 1, AML drug response (MSE ± SE over five splits)
TABLE1_AML = {"LASSO": 1.031, "MLP": 0.938, "MLP + L1": 0.838, "MLP + L2": 0.871, "MLP + meta inputs": 1.158,
              "DAPr (noise)": 0.915, "MERGE": 0.902, "DAPr (drivers)": 0.786}
UNDEFINED = ("inconclusive", "Inconclusive: the test is undefined (fewer than two pairs, or no spread).")


def _p(ev: Evidence) -> str:
    return "undefined" if ev.p_value is None else f"{ev.p_value:.2g}"


def paper_relative_change(model: str, baseline: str = "MLP") -> float:
    """The paper's MSE change of ``model`` vs ``baseline`` on AML (Table 1), as a fraction (−0.162 = 16.2 % lower)."""
    return TABLE1_AML[model] / TABLE1_AML[baseline] - 1.0


def paired_evidence(a: Sequence[float], b: Sequence[float], *, test: str, unit: str,
                    target: float | None = None) -> Evidence | None:
    """Evidence for ``a > b`` on matched pairs (splits or data sets): paired t-test (scipy.stats.ttest_rel),
    effect ``mean(a − b)``, its CI and the power at ``target``. None when the test is undefined."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = a - b
    if len(d) < 2 or np.allclose(d, d.mean()):
        return None
    res = stats.ttest_rel(a, b)
    ev = Evidence.from_samples(a, b, paired=True, test=test, p_value=float(res.pvalue),
                               statistic=float(res.statistic), target=target, unit=unit)
    return ev if ev.ci is not None or ev.power is not None else None


def moons_robust(drop_mlp: float, drop_dapr: float, gap_max: float, ev: Evidence | None) -> Verdict:
    """Fig. 2: *reproduced* if the MLP loses ≥ 0.05 accuracy from the smallest to the largest p, DAPr loses at most
    half as much, DAPr is ahead at the largest p and DAPr − MLP over (data set, p > p_min) is significant (p < 0.05);
    *partly* if the MLP degrades and DAPr is ahead at the largest p but another condition fails; else *not*."""
    conds = {"MLP degrades by >= 0.05": drop_mlp >= 0.05, "DAPr drops <= half as much": drop_dapr <= drop_mlp / 2,
             "DAPr ahead at largest p": gap_max > 0,
             "paired t-test p < 0.05 with DAPr ahead": ev is not None and ev.significant() and ev.effect > 0}
    if all(conds.values()):
        return "reproduced", ""
    failed = "failed: " + ", ".join(k for k, v in conds.items() if not v)
    partly = conds["MLP degrades by >= 0.05"] and conds["DAPr ahead at largest p"]
    return gate("partly reproduced" if partly else "not reproduced", failed, ev)


def ahead(ev: Evidence | None, what: str) -> Verdict:
    """"A beats B" (moons: DAPr vs the better weight penalty, DAPr vs DAPr (noise); drug: meta-features as inputs
    are worse than the MLP): *reproduced* if ahead with p < 0.05, *partly* if ahead on average only, else *not*."""
    if ev is None:
        return UNDEFINED
    partial = f"{what} on average ({ev.effect:+.3g} {ev.unit}) but p = {_p(ev)} >= 0.05" if ev.effect > 0 else ""
    return better(ev, partial_if=partial)


def best_of_all(ev: Evidence | None, best_model: str, model: str = "DAPr (drivers)") -> Verdict:
    """"``model`` is best of all" (lowest MSE, highest driver AUROC): *reproduced* if it is best on average and beats
    the MLP with p < 0.05 (``ev``: its advantage over the MLP); *partly* if it beats the MLP (significantly or on
    average) but another model is best, or is best but not significantly ahead of the MLP; else *not*."""
    if ev is None:
        return UNDEFINED
    if ev.significant() and ev.effect > 0:
        if best_model == model:
            return "reproduced", ""
        return "partly reproduced", f"beats the MLP significantly, but {best_model} is best"
    where = "and is best of all" if best_model == model else f"but {best_model} is best"
    partial = f"ahead of the MLP on average only (p = {_p(ev)}) {where}" if ev.effect > 0 else ""
    return better(ev, partial_if=partial)


def noise_control(ev: Evidence | None, method_detected: bool) -> Verdict:
    """"DAPr (noise) is no better than the MLP" (``ev.effect`` = MSE(MLP) − MSE(noise), positive = noise better):
    :func:`null_control` — *reproduced* only if not significantly better **and** the same run detected DAPr
    (drivers)' own gain over the MLP; *partly* if significantly worse; *not reproduced* if significantly better."""
    if ev is None:
        return UNDEFINED
    return null_control(ev, method_detected, method="DAPr (drivers)")


ON_PAR_MARGIN = 0.10  # "on par": the mean MSE difference within ±10 % of the MLP's MSE (the paper's AML gap: −3.8 %)


def on_par(a: Sequence[float], b: Sequence[float], margin: float) -> tuple[str, str, Evidence | None]:
    """"A performs on par with B" (§4.3: MERGE vs the MLP on AML), as an equivalence test over matched pairs: two
    one-sided tests at α = 0.05, i.e. the 90 % CI of ``mean(a − b)`` inside ±``margin``. *Reproduced* if inside;
    *not reproduced* if the difference is significant (two-sided p < 0.05) and its mean lies outside the margin;
    otherwise *inconclusive* (the run can tell neither equivalence nor a difference)."""
    from attrprior.core.metrics import power as P

    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape:
        raise ValueError(f"on_par: a and b must be matched pairs of the same length, got {a.shape} and {b.shape}")
    d = a - b
    if len(d) < 2 or np.allclose(d, d.mean()):
        return (*UNDEFINED, None)
    lo, hi = P.difference_ci(a, b, paired=True, level=0.90)
    res = stats.ttest_rel(a, b)
    ev = Evidence.from_samples(a, b, paired=True, test="paired t-test over splits; equivalence: 90 % CI within "
                               f"±{margin:.3g} (two one-sided tests)", p_value=float(res.pvalue),
                               statistic=float(res.statistic), unit="MSE difference")
    facts = f"mean difference {d.mean():+.3g}, 90 % CI [{lo:.3g}, {hi:.3g}], margin ±{margin:.3g}, p = {_p(ev)}"
    if -margin <= lo and hi <= margin:
        return "reproduced", facts, ev
    if ev.significant() and abs(d.mean()) > margin:
        return "not reproduced", f"the two differ: {facts}", ev
    return "inconclusive", f"Inconclusive: neither equivalence nor a difference can be shown ({facts}).", ev


def prior_ranks_informative(fraction: float) -> Verdict:
    """g predicts a higher importance for the two moon coordinates than for the nuisance features in ≥ 80 % of
    the data sets: *reproduced*; in ≥ 50 %: *partly*; else *not*."""
    if not np.isfinite(fraction):
        return "inconclusive", "Inconclusive: no DAPr model to read g from."
    if fraction >= 0.8:
        return "reproduced", ""
    why = f"g ranks the moon coordinates above the nuisance features in {fraction:.0%} of data sets"
    return ("partly reproduced", why) if fraction >= 0.5 else ("not reproduced", why)


def hubness_first(ranking: Sequence[str]) -> Verdict:
    """§5.1: *reproduced* if Expression hub has the largest mean |EG of g| of the meta-features, else *not*."""
    if not ranking:
        return "inconclusive", "Inconclusive: no meta-feature attributions."
    if ranking[0] == "Expression hub":
        return "reproduced", ""
    return "not reproduced", f"the largest mean |EG of g| is on {ranking[0]}"


def enrichment(n_drivers: int, n_noise: int) -> Verdict:
    """§5.3: *reproduced* if the drivers model's top genes hit ≥ 1 pathway and the noise model's none; *partly*
    if the drivers model has more but the noise model some; else *not*."""
    if n_drivers >= 1 and n_noise == 0:
        return "reproduced", ""
    if n_drivers > n_noise:
        return "partly reproduced", f"drivers {n_drivers} > noise {n_noise} pathways, but the noise model has some"
    return "not reproduced", f"drivers {n_drivers} vs noise {n_noise} significant pathways"


PDP_NONLINEAR = 0.05  # share of a PDP's variance a straight line must leave unexplained to count as non-linear
PDP_RISING = 0.5      # Spearman ρ of the PDP with its grid for "increases … strongly associated"


def pdp_shape(grid: Sequence[float], curve: Sequence[float]) -> dict[str, float]:
    """Two numbers for a partial-dependence curve: ``nonlinear_share`` (1 − R² of a straight-line fit; 0 for a
    line) and ``spearman`` (ρ of the curve with the grid; 1 for a rising curve). A flat curve has ρ = 0."""
    x, y = np.asarray(grid, float), np.asarray(curve, float)
    if x.shape != y.shape or len(x) < 3:
        raise ValueError(f"pdp_shape needs grid and curve of the same length ≥ 3, got {x.shape} and {y.shape}")
    if np.ptp(y) <= 1e-12 * max(1.0, np.abs(y).max()):
        return {"nonlinear_share": 0.0, "spearman": 0.0}
    fit = np.polyval(np.polyfit(x, y, 1), x)
    share = float(((y - fit) ** 2).sum() / ((y - y.mean()) ** 2).sum())
    return {"nonlinear_share": share, "spearman": float(stats.spearmanr(x, y).statistic)}


def pdp_nonlinear_rising(shape: dict[str, float]) -> Verdict:
    """§5.2: g "captures a non-linear relationship between hubness and predicted global importance … after an
    initial buildup increases in hubness are strongly associated with a gene's relevance". *Reproduced* if the
    curve rises (ρ ≥ :data:`PDP_RISING`) and is non-linear (non-linear share ≥ :data:`PDP_NONLINEAR`); *partly* if
    it rises but is close to a straight line; *not reproduced* if it does not rise."""
    rho, share = shape["spearman"], shape["nonlinear_share"]
    if rho < PDP_RISING:
        return "not reproduced", f"the curve does not rise with hubness (Spearman ρ = {rho:.2f} < {PDP_RISING})"
    if share < PDP_NONLINEAR:
        return "partly reproduced", (f"rises (ρ = {rho:.2f}) but a straight line leaves only {share:.1%} of its "
                                     f"variance (< {PDP_NONLINEAR:.0%}): close to linear")
    return "reproduced", ""


def enrichment_beats_controls(n_trained: int, controls: dict[str, int]) -> Verdict:
    """Check "the trained prior's top genes are enriched in more pathways than those of every control ranking"
    (raw hubness, an untrained g): *reproduced* if it beats them all, *partly* if it beats some, else *not*."""
    beaten = [k for k, v in controls.items() if n_trained > v]
    if len(beaten) == len(controls):
        return "reproduced", ""
    rest = ", ".join(f"{k} {v}" for k, v in controls.items() if k not in beaten)
    verdict = "partly reproduced" if beaten else "not reproduced"
    return verdict, (f"the trained g has {n_trained} significant pathways; as many or more from {rest}: the "
                     "enrichment does not need a trained prior")


__all__ = ["ON_PAR_MARGIN", "PDP_NONLINEAR", "PDP_RISING", "enrichment_beats_controls", "pdp_nonlinear_rising",
           "pdp_shape", "TABLE1_AML", "ahead", "best_of_all", "detected", "enrichment", "hubness_first",
           "moons_robust", "noise_control", "on_par", "paired_evidence", "paper_relative_change",
           "prior_ranks_informative"]
