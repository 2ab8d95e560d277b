"""Notebook 03a's verdict rules: plain numbers and Evidence in, ``(verdict, reason)`` out.

The statistics come from :mod:`.benchstats`; each rule ends with :func:`attrprior.compendium.verdicts.gate`, the
shared inconclusive rule, so a rule's own test shows the verdict the claims file will hold.
"""
from __future__ import annotations

from attrprior.compendium.verdicts import ALPHA, Evidence, Verdict, gate

from .benchstats import BASELINE_RATIO_MAX, IG_GAP_MAX, IG_SECOND_MIN

MAX_BEHIND = 1  # "nearly all metrics": the paper's own Table 1 has IG ahead of EG on one metric (KAI)
BINOMIAL_ALPHA = ALPHA


def eg_first(pooled: Evidence | None, n_ahead: int, n_behind: int, n_metrics: int) -> Verdict:
    """'EG ranks first on (nearly) all metrics', judged against the runner-up of each metric, paired over seeds.

    *Reproduced*: EG's lead averaged over the metrics is significantly > 0 and EG is significantly behind the
    runner-up on at most :data:`MAX_BEHIND` metric. *Partly*: the lead is significant but EG is behind on more
    metrics. *Not reproduced*: EG is behind on more than half the metrics, the lead is significantly < 0, or it
    is not significant although the run had the power to see the paper's lead (else *inconclusive*, by
    :func:`gate`). Fewer than two seeds: *inconclusive* (no test over seeds)."""
    counts = f"EG ahead of the runner-up on {n_ahead}, behind on {n_behind} of {n_metrics} metrics"
    if pooled is None:
        return "inconclusive", "Inconclusive: one seed, so no paired test over seeds is possible."
    if n_behind > n_metrics / 2:
        return "not reproduced", f"{counts} (paired t-tests over seeds)"
    if pooled.significant() and pooled.effect < 0:
        return "not reproduced", (f"EG is significantly behind the runner-up on average (lead {pooled.effect:+.3g} of "
                                  f"a metric's range, p = {pooled.p_value:.2g}); {counts}")
    if pooled.significant():
        if n_behind <= MAX_BEHIND:
            return "reproduced", _size_note(pooled, counts)
        return "partly reproduced", f"EG leads on average, but {counts} (more than {MAX_BEHIND})"
    return gate("not reproduced", f"EG's average lead {pooled.effect:+.3g} of a metric's range is not significant "
                f"(p = {pooled.p_value:.2g}); {counts}", pooled)


def _size_note(e: Evidence, counts: str) -> str:
    """A reproduced ranking whose lead is clearly smaller (or larger) than the paper's: say so."""
    if e.ci is None or e.target is None:
        return counts
    lo, hi = sorted(e.ci)
    if hi < e.target:
        return (f"{counts}; EG's lead ({e.effect:.3g} of a metric's range, CI [{lo:.3g}, {hi:.3g}]) is smaller than "
                f"in the paper's table ({e.target:.3g})")
    if lo > e.target:
        return f"{counts}; EG's lead ({e.effect:.3g}) is larger than in the paper's table ({e.target:.3g})"
    return counts


def eg_beats_ig(evidence: Evidence, wins: int, n: int, alpha: float = BINOMIAL_ALPHA) -> Verdict:
    """The paper's binomial test (§2.2): *reproduced* if EG wins significantly more than half the metrics
    (p < ``alpha``), *partly* if it still wins at least half, *not reproduced* otherwise; then :func:`gate`."""
    if evidence.p_value is not None and evidence.p_value < alpha:
        return "reproduced", ""
    reason = f"EG beats IG on {wins}/{n} metrics, one-tailed binomial p = {evidence.p_value:.2g}"
    return gate("partly reproduced" if wins >= n / 2 else "not reproduced", reason, evidence, alpha)


def ig_close_behind(median_gap: float, second_share: float, evidence: Evidence | None) -> Verdict:
    """'IG close behind EG': *reproduced* if the median relative gap (EG − IG)/(EG − best baseline) is at most
    :data:`IG_GAP_MAX` **and** IG ranks second or better on at least :data:`IG_SECOND_MIN` of the metrics,
    *partly* if one of the two holds, *not reproduced* if neither; *inconclusive* with one seed or when the
    per-seed margin to the gap threshold cannot be told from zero (:func:`gate`)."""
    ok_gap, ok_second = median_gap <= IG_GAP_MAX, second_share >= IG_SECOND_MIN
    if ok_gap and ok_second:
        return "reproduced", ""
    verdict = "partly reproduced" if ok_gap or ok_second else "not reproduced"
    reason = f"median relative gap {median_gap:.3f} (limit {IG_GAP_MAX}), IG second or better on {second_share:.0%}"
    if evidence is None:
        return "inconclusive", f"Inconclusive: one seed, no spread to judge by; the rule alone says '{verdict}' ({reason})."
    return gate(verdict, reason, evidence)


def baselines_far_behind(worst: float, share_ok: float, evidence: Evidence | None) -> Verdict:
    """'Gradients and random far behind' on the signed metrics: *reproduced* if the best baseline reaches at
    most :data:`BASELINE_RATIO_MAX` of EG's score on every signed metric, *partly* if on at least half of them,
    *not reproduced* otherwise; *inconclusive* with one seed or when the per-seed margin to the threshold
    cannot be told from zero (:func:`gate`)."""
    if worst <= BASELINE_RATIO_MAX:
        return "reproduced", ""
    verdict = "partly reproduced" if share_ok >= 0.5 else "not reproduced"
    reason = (f"baselines reach {worst:.2f} of EG's area on some metric ({share_ok:.0%} of signed metrics within "
              f"{BASELINE_RATIO_MAX})")
    if evidence is None:
        return "inconclusive", f"Inconclusive: one seed, no spread to judge by; the rule alone says '{verdict}' ({reason})."
    return gate(verdict, reason, evidence)


__all__ = ["MAX_BEHIND", "baselines_far_behind", "eg_beats_ig", "eg_first", "ig_close_behind"]
