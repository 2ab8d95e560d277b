"""§2.5's sentences on penalties of plain gradients (notebook 03c): rules and the claims built from a run's table."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attrprior.papers.nb03c_nhanes_sparsity import gradient_claims as G
from attrprior.papers.nb03c_nhanes_sparsity import verdicts as V

RNG = np.random.default_rng(0)


def ev(shift: float, n: int = 30, sd: float = 0.01):
    a = RNG.normal(0.8, 0.05, n)
    return V.paired_evidence(a + shift + RNG.normal(0, sd, n), a, unit="Δ")


def test_l1_gradients_poor():
    assert G.l1_gradients_poor(ev(0.05), ev(0.2))[0] == "reproduced"
    verdict, reason, e = G.l1_gradients_poor(ev(0.0), ev(0.2))
    assert verdict == "partly reproduced" and "sparsity only" in reason and e.significant()
    verdict, _, e = G.l1_gradients_poor(ev(-0.05), ev(0.0))
    assert verdict == "not reproduced" and e.effect < 0 and e.significant()  # rests on the contradiction
    assert G.l1_gradients_poor(None, ev(0.2))[0] == "inconclusive"


def test_gini_gradients_sparser_not_better():
    rule = G.gini_gradients_sparser_not_better
    same = {"sgl": ev(0.0), "l1_all": ev(0.0)}
    assert rule(ev(0.1), same, method_detected=True)[0] == "reproduced"
    verdict, reason, _ = rule(ev(0.1), same, method_detected=False)
    assert verdict == "partly reproduced" and "cannot be told" in reason
    worse = {"sgl": ev(-0.05), "l1_all": ev(-0.05)}  # significantly worse than both: 'does not outperform' holds
    assert rule(ev(0.1), worse, method_detected=False)[0] == "reproduced"
    verdict, reason, e = rule(ev(0.1), {"sgl": ev(0.05)}, method_detected=True, labels={"sgl": "SGL"})
    assert verdict == "not reproduced" and "beats SGL" in reason and e.effect > 0
    verdict, _, _ = rule(ev(-0.1), same, method_detected=True)  # significantly less sparse
    assert verdict == "not reproduced"
    assert rule(None, same, True)[0] == "inconclusive"


def _best(n=8, l1_grad_auc=-0.05, gini_grad_sparsity=0.1):
    rows = []
    for r in range(n):
        base_auc, base_gini = RNG.normal(0.8, 0.02), RNG.normal(0.3, 0.02)
        for m in ("unregularized", "l1_first", "l1_all", "sgl", "gini_eg", "gini_grad", "l1_grad"):
            auc = base_auc + (0.05 if m == "gini_eg" else l1_grad_auc if m == "l1_grad" else 0) + RNG.normal(0, .005)
            gini = base_gini + (0.3 if m == "gini_eg" else gini_grad_sparsity if m == "gini_grad" else 0) \
                + RNG.normal(0, .005)
            rows.append({"replicate": r, "model": m, "test_auc": auc, "gini": gini})
    return pd.DataFrame(rows)


def test_gradient_claims_from_a_table():
    best = _best()
    auc_ev = V.comparisons(best, "test_auc", {})
    gini_ev = V.comparisons(best, "gini", {})
    c1, c2 = G.gradient_claims(best, auc_ev, gini_ev)
    assert c1["id"] == "l1-gradients-poor" and c1["verdict"] == "reproduced"
    assert c2["id"] == "gini-gradients-sparser-not-better" and c2["verdict"] == "reproduced"
    assert c1["kind"] == c2["kind"] == "paper" and c1["section"] == "nb03c-gradients"
    c1, c2 = G.gradient_claims(_best(gini_grad_sparsity=0.0), auc_ev, gini_ev)
    assert c2["verdict"] != "reproduced"


def test_rules_judge_at_the_runs_alpha():
    """A lead at p ≈ 0.01 counts at α = 0.05 but not at the paper's α = 1e-4 (the paper profile's)."""
    a = np.linspace(0.0, 1.0, 30)
    noise = np.tile([0.01, -0.01], 15)
    weak = V.paired_evidence(a + 0.005 + noise, a, unit="Δ")  # effect 0.005, p ≈ 0.01
    assert 1e-4 < weak.p_value < 0.05
    assert G.l1_gradients_poor(weak, weak)[0] == "reproduced"
    assert G.l1_gradients_poor(weak, weak, alpha=1e-4)[0] != "reproduced"
    assert V.verdict_first("gini_eg", weak)[0] == "reproduced"
    assert V.verdict_first("gini_eg", weak, alpha=1e-4)[0] != "reproduced"
    assert V.verdict_first("sgl", weak)[0] == "partly reproduced"
    assert V.verdict_first("sgl", weak, alpha=1e-4)[0] == "inconclusive"
