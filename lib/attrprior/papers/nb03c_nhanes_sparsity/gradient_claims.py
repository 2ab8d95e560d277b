"""The two §2.5 sentences about penalties on plain gradients (notebook 03c), as rules and claims.

§2.5: "we observe that L1 penalizing the model's gradients as in [32] rather than its expected gradients
attributions performs poorly in terms of both sparsity and performance. A Gini penalty on gradients improves
sparsity but does not outperform other baselines like SGL and L1 in ROC-AUC."

Both are judged on the selected models (one per model and replicate) with paired evidence from
:func:`.verdicts.comparisons` / :func:`.verdicts.paired_evidence`; each rule returns the verdict, its reason and the
one :class:`Evidence` the verdict rests on (the claims recorder applies the inconclusive rule to it).
"""
from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from attrprior.compendium.claims import paper_text
from attrprior.compendium.verdicts import ALPHA, Evidence, better, detected

from .verdicts import paired_evidence

SENTENCE_L1 = ("'L1 penalizing the model's gradients ... rather than its expected gradients attributions performs "
               "poorly in terms of both sparsity and performance' (§2.5)")
SENTENCE_GINI = "'A Gini penalty on gradients improves sparsity but does not outperform other baselines like SGL and L1 in ROC-AUC' (§2.5)"
WEIGHT_BASELINES = ("sgl", "l1_all", "l1_first")  # "other baselines like SGL and L1"


def _d(ev: Evidence) -> str:
    return f"Δ = {ev.effect:+.4f}" + (f", p = {ev.p_value:.2g}" if ev.p_value is not None else "")


def l1_gradients_poor(auc: Evidence | None, gini: Evidence | None, alpha: float = ALPHA
                      ) -> tuple[str, str, Evidence | None]:
    """Gini EG − L1-on-gradients on test ROC-AUC (``auc``) and on sparsity (``gini``), each paired by replicate.
    *Reproduced*: both significantly positive (L1 on gradients worse on both, as the paper's T = 18.3 and 40.0);
    *partly*: one of the two; otherwise *not reproduced*, through the inconclusive rule on the weaker of the two."""
    if auc is None or gini is None:
        return "inconclusive", "Inconclusive: fewer than two replicates, no paired test is possible.", None
    verdicts = {name: better(ev, alpha) for name, ev in (("ROC-AUC", auc), ("sparsity", gini))}
    held = [n for n, (v, _) in verdicts.items() if v == "reproduced"]
    weaker = max((auc, gini), key=lambda ev: 1.0 if ev.p_value is None else ev.p_value)  # p = 0.0 is not "none"
    facts = f"Gini EG − L1 gradients: ROC-AUC {_d(auc)}; Gini {_d(gini)}"
    if len(held) == 2:
        return "reproduced", facts, weaker
    if len(held) == 1:
        missing = next(n for n in verdicts if n not in held)
        strong = gini if held == ["sparsity"] else auc
        return "partly reproduced", f"worse on {held[0]} only ({missing}: {verdicts[missing][1]}); {facts}", strong
    contra = [ev for ev in (auc, gini) if ev.significant(alpha) and ev.effect < 0]  # L1 gradients significantly better
    return "not reproduced", f"worse on neither; {facts}", contra[0] if contra else weaker


def gini_gradients_sparser_not_better(sparser: Evidence | None, vs_baselines: Mapping[str, Evidence | None],
                                      method_detected: bool, labels: Mapping[str, str] | None = None,
                                      alpha: float = ALPHA) -> tuple[str, str, Evidence | None]:
    """Two halves. *Sparser*: Gini-on-gradients − unregularised on the Gini coefficient (:func:`better`).
    *Not better in ROC-AUC*: Gini-on-gradients − each weight-penalty baseline; a half that holds when no baseline is
    significantly beaten — which counts only if the same run detected the Gini EG prior's own ROC-AUC gain over
    these baselines (otherwise the run could not have seen a difference, and that half cannot be told).
    *Reproduced*: both halves hold; *not reproduced*: either fails; *partly*: sparser, the ROC-AUC half untold;
    *inconclusive*: the sparsity half cannot be told."""
    labels = labels or {}
    if sparser is None:
        return "inconclusive", "Inconclusive: fewer than two replicates, no paired test is possible.", None
    sparse_v, sparse_r = better(sparser, alpha)
    beaten = {m: ev for m, ev in vs_baselines.items() if ev is not None and ev.significant(alpha) and ev.effect > 0}
    if beaten:
        m, ev = next(iter(beaten.items()))
        return "not reproduced", f"Gini gradients significantly beats {labels.get(m, m)} in ROC-AUC ({_d(ev)})", ev
    if sparse_v != "reproduced":
        if sparse_v == "inconclusive":
            return sparse_v, f"{sparse_r} (the sparsity half: Gini gradients − unregularised)", sparser
        return sparse_v, f"not significantly sparser than the unregularised model ({sparse_r or _d(sparser)})", sparser
    shown = "; ".join(f"vs {labels.get(m, m)}: {_d(ev)}" for m, ev in vs_baselines.items() if ev is not None)
    if method_detected or all(ev is not None and ev.significant(alpha) for ev in vs_baselines.values()):
        return "reproduced", f"sparser ({_d(sparser)}); beats no weight-penalty baseline in ROC-AUC ({shown})", sparser
    return "partly reproduced", (f"sparser ({_d(sparser)}), but the ROC-AUC half cannot be told: this run did not "
                                 f"detect the Gini EG prior's own ROC-AUC gain over these baselines, so 'no better' "
                                 f"says nothing ({shown})"), sparser


def gradient_comparisons(best: pd.DataFrame) -> tuple[Evidence | None, dict[str, Evidence | None]]:
    """The paired evidence of the Gini-on-gradients claim: sparser than the unregularised model (Gini), and
    against each weight-penalty baseline (test ROC-AUC), from the selected models ``best``."""
    wide_auc = best.pivot(index="replicate", columns="model", values="test_auc")
    wide_gini = best.pivot(index="replicate", columns="model", values="gini")
    sparser = paired_evidence(wide_gini["gini_grad"], wide_gini["unregularized"], unit="Gini difference",
                              test="two-sided paired t-test by replicate, gini_grad − unregularized")
    vs = {m: paired_evidence(wide_auc["gini_grad"], wide_auc[m], unit="test ROC-AUC difference",
                             test=f"two-sided paired t-test by replicate, gini_grad − {m}")
          for m in WEIGHT_BASELINES if m in wide_auc}
    return sparser, vs


def gradient_claims(best: pd.DataFrame, auc_ev: Mapping[str, Evidence], gini_ev: Mapping[str, Evidence],
                    labels: Mapping[str, str] | None = None,
                    comparisons: tuple[Evidence | None, dict[str, Evidence | None]] | None = None,
                    alpha: float = ALPHA) -> list[dict[str, Any]]:
    """The two claims' recorder arguments (the notebook adds ``seeds``), from the selected models ``best``, the
    Gini EG comparisons already made for the ROC-AUC and sparsity claims (``auc_ev``, ``gini_ev``) and
    :func:`gradient_comparisons` (computed here when not given); tests are significant below ``alpha``."""
    v1, r1, e1 = l1_gradients_poor(auc_ev.get("l1_grad"), gini_ev.get("l1_grad"), alpha)
    sparser, vs = comparisons if comparisons is not None else gradient_comparisons(best)
    seen = any(detected(auc_ev.get(m), alpha) for m in WEIGHT_BASELINES)
    v2, r2, e2 = gini_gradients_sparser_not_better(sparser, vs, seen, labels, alpha)
    source = paper_text("§2.5")
    return [
        dict(id="l1-gradients-poor", statement="An L1 penalty on plain gradients is worse than the Gini EG prior in "
             "both test ROC-AUC and sparsity (paired t-tests across replicates)", paper_value=SENTENCE_L1 +
             "; Supplement I.3: T = 18.3 (ROC-AUC), 40.0 (Gini) over 200 replicates", verdict=v1, reason=r1,
             evidence=e1, measured=e1.effect if e1 else "undefined", kind="paper", source=source,
             section="nb03c-gradients", unit="Gini EG − L1 gradients"),
        dict(id="gini-gradients-sparser-not-better", statement="A Gini penalty on plain gradients makes models "
             "sparser than no penalty, but no better in test ROC-AUC than SGL or L1 weight penalties",
             paper_value=SENTENCE_GINI + " (no statistic given for either half)", verdict=v2, reason=r2,
             evidence=e2, measured=e2.effect if e2 else "undefined", kind="paper", source=source,
             section="nb03c-gradients", unit="see the reason"),
    ]


__all__ = ["WEIGHT_BASELINES", "gini_gradients_sparser_not_better", "gradient_claims", "gradient_comparisons",
           "l1_gradients_poor"]
