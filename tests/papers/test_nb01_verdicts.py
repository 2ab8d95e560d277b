"""Notebook 01's verdict rules (TV, entropy, Pearson, β, modes) on synthetic numbers, and the committed claims
re-derived from the committed run's tables."""
from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from attrprior.compendium.committed import committed_dir
from attrprior.compendium.verdicts import Evidence
from attrprior.core.data.shipped import data_dir
from attrprior.papers.nb01_unsupervised_priors import judgements as J, reference as R, verdicts as V
from attrprior.papers.nb01_unsupervised_priors.rejudge import rejudge_committed

SIG, WEAK = dict(p_value=0.001, ci=(0.2, 0.6), power=0.99), dict(p_value=0.4, ci=(-0.3, 0.5), power=0.2)
NULL = dict(p_value=0.5, ci=(-0.05, 0.05), power=0.99)  # had the power, saw nothing


def ev(effect=0.4, target=0.4, **kw):
    return Evidence("one-sided Welch", effect=effect, n=(5, 5), target=target, **kw)


def test_parts_and_resolution():
    assert V.status(ev(**SIG)) is True and V.status(ev(**SIG), size_ok=False) is False
    assert V.status(ev(0.0, **NULL)) is False and V.status(ev(0.1, **WEAK)) is None
    rule = lambda p: "reproduced" if all(p.values()) else "partly reproduced" if p["a"] else "not reproduced"  # noqa
    assert V.resolve(rule, {"a": True, "b": False}) == "partly reproduced"
    assert V.resolve(rule, {"a": True, "b": None}) == "partly reproduced"  # what is certain
    assert V.resolve(rule, {"a": None, "b": True}) == "inconclusive"
    assert V.resolve(rule, {"a": False, "b": None}) == "not reproduced"


def test_tv_rule_judges_smoothness_not_scale():
    smooth, raw = ev(0.3, None, **SIG), ev(0.95, 0.98, **SIG)
    assert V.tv_rule(smooth, raw, 20.0, 0.005, 0.0)[0] == "reproduced"
    assert V.tv_rule(smooth, raw, 5.0, 0.005, 0.0)[0] == "partly reproduced"
    assert V.tv_rule(smooth, raw, 20.0, 0.07, 0.0)[0] == "partly reproduced"
    rougher = ev(-0.2, None, p_value=0.99, ci=(-0.3, -0.1))  # significantly less smooth
    assert V.tv_rule(rougher, raw, 20.0, 0.005, -0.75)[0] == "not reproduced"
    v, why = V.tv_rule(ev(-0.01, None, p_value=0.6, ci=(-0.1, 0.08)), raw, 16.0, 0.07, -0.73)
    assert v == "inconclusive" and "quadratic" in why and "13.7x" in why  # RMS(μ) −73 % alone: 1 / 0.27²


def test_entropy_rule_outcomes():
    ok, collapse = ev(**SIG), {1.0: (3, 5), 5.0: (5, 5), 0.5: (0, 5)}
    assert V.entropy_rule(ok, ok, ok, collapse)[0] == "reproduced"
    assert V.entropy_rule(ok, ok, ev(0.0, **NULL), {5.0: (0, 5)})[0] == "partly reproduced"
    assert V.entropy_rule(ok, ok, ok, {1.0: (0, 5), 5.0: (5, 5)})[0] == "partly reproduced"  # (d) fails at λ = 1
    assert V.entropy_rule(ev(0.0, **NULL), ok, ok, collapse)[0] == "not reproduced"
    v, why = V.entropy_rule(ev(0.1, **WEAK), ok, ok, collapse)
    assert v == "inconclusive" and "entropy lower" in why


def test_pearson_rule_outcomes():
    ok = ev(**SIG)
    assert V.pearson_rule(ok, 3.0, ok, ok)[0] == "reproduced"
    v, why = V.pearson_rule(ok, 3.0, ev(0.02, **WEAK), ok)
    assert v == "partly reproduced" and "cannot tell" in why
    assert V.pearson_rule(ok, 1.5, ok, ok)[0] == "not reproduced"  # significant but not halved
    assert V.pearson_rule(ev(0.1, **WEAK), 1.2, ok, ok)[0] == "inconclusive"


def test_beta_and_modes_rules():
    assert V.beta_rule(ev(0.2, None, **SIG), "beta_tcvae β=5") == ("reproduced", "")
    assert V.beta_rule(ev(-0.2, None, p_value=0.99, ci=(-0.3, -0.1)), "b")[0] == "not reproduced"
    v, why = V.beta_rule(ev(0.1, None, p_value=0.08, ci=(-0.05, 0.3)), "beta_tcvae β=4")
    assert v == "inconclusive" and "beta_tcvae β=4" in why  # was 'partly' before inconclusive existed
    n, p, i = "not reproduced", "partly reproduced", "inconclusive"
    assert V.modes_rule({"1": (n, n), "2": (p, p), "3": (n, n)})[0] == "reproduced"
    assert V.modes_rule({"1": (n, p), "2": (p, p), "3": (i, n)})[0] == p
    assert V.modes_rule({"1": (n, p), "2": (p, n), "3": (n, p)})[0] == n
    assert V.modes_rule({"1": (n, p), "2": (i, n), "3": (n, p)})[0] == i


def test_modes_claim_with_one_claim_in_both_modes_is_partly_at_most():
    modes_claim = J.modes_claim
    r, n = "reproduced", "not reproduced"
    full = modes_claim({"claim 1": (r, r), "claim 2": (n, n), "claim 3": (r, r)}, ("mu_only", "full"), [0, 1])
    assert full["verdict"] == r and full["measured"] == 3
    tv_only = modes_claim({"claim 1": (r, r)}, ("mu_only", "full"), [0, 1])
    assert tv_only["verdict"] == "partly reproduced" and "claim 2, claim 3 not run in both modes" in tv_only["reason"]
    assert tv_only["unit"].startswith("of 1 claim run")
    assert modes_claim({"claim 1": (r, n)}, ("mu_only", "full"), [0])["verdict"] == n  # the one compared differs


def _frame(tv_rel_factor: float) -> pd.DataFrame:
    rows = []
    for s in range(4):
        j = 0.01 * s
        base = dict(status="ok", seed=s, beta=1.0, prior="", lam=0.0, mode="", recon=180 + 3 * s, tv=20 + s, mu_rms=1.0,
                    tv_rel=1.7 + j, entropy=0.70 + j, pearson=0.40 + j)
        rows += [{**base, "kind": "vae"},
                 {**base, "kind": "prior", "prior": "total_variation", "lam": 0.01, "mode": "mu_only",
                  "tv": (20 + s) / 16, "mu_rms": 0.25, "tv_rel": (1.7 + j) * tv_rel_factor, "recon": 180.5 + 3 * s},
                 {**base, "kind": "prior", "prior": "entropy", "lam": 5.0, "mode": "mu_only", "entropy": 0.02 + j,
                  "pearson": 0.65 + j, "recon": 250 + 3 * s},
                 {**base, "kind": "prior", "prior": "pearson", "lam": 10.0, "mode": "mu_only", "pearson": 0.1 + j,
                  "entropy": 0.6 + j, "recon": 170 + 3 * s},
                 {**base, "kind": "beta_tcvae", "beta": 5.0, "pearson": 0.38 + j}]
    return pd.DataFrame(rows)


def test_claims_from_runs_need_smoother_maps_not_smaller_mu():
    lams = {"total_variation": [0.01], "entropy": [5.0], "pearson": [10.0]}
    claims = J.judge_all(_frame(1.0), lams, ["mu_only"], 0.01)  # raw TV 16x lower by shrinking μ only
    assert [c["id"] for c in claims] == ["1-tv-prior", "2-entropy-prior", "3-pearson-prior", "4-beta-vae-tcvae",
                                         "5-full-vs-mu-only"]
    assert [c["kind"] for c in claims] == ["paper"] * 4 + ["extension"]
    assert claims[0]["verdict"] != "reproduced" and claims[0]["raw_tv_factor"] == pytest.approx(16)
    assert [c["verdict"] for c in claims[1:4]] == ["reproduced"] * 3
    assert claims[1]["evidence"].target == pytest.approx(R.REF_ENTROPY[("vae", 0.0)] - R.REF_ENTROPY[("entropy", 5.0)])
    assert J.judge_all(_frame(0.8), lams, ["mu_only"], 0.01)[0]["verdict"] == "reproduced"


def test_reference_values_are_the_authors_metrics():
    folder = data_dir() / "amad_reference"  # honours ATTRPRIOR_DATA_DIR, as the loaders do
    if not folder.is_dir():
        pytest.skip("the authors' metrics are not available here")
    for name, prior in (("entropy_vae", "entropy"), ("pearson_vae", "pearson")):
        means = pd.read_csv(folder / name / "metrics.csv").groupby("Lambda").mean(numeric_only=True)
        for lam, row in means.iterrows():
            key = ("vae", 0.0) if lam == 0 else (prior, float(lam))
            assert row["Entropy"] == pytest.approx(R.REF_ENTROPY[key], abs=1e-4)
            assert row["Pearson Correlation"] == pytest.approx(R.REF_PEARSON[key], abs=1e-4)


def test_committed_claims_are_those_the_rules_give_from_its_runs(tmp_path):
    src, dst = committed_dir("01_unsupervised_priors"), committed_dir("01_unsupervised_priors", tmp_path)
    shutil.copytree(src, dst)  # runs.csv, the grid blocks and the authors' models' metrics
    committed = json.loads((src / "claims.json").read_text())
    fresh = json.loads(rejudge_committed(tmp_path).read_text())
    assert fresh["provenance"]["git_commit"] == committed["provenance"]["git_commit"]
    assert fresh["provenance"]["rejudged"]["verdicts_before"] == committed["provenance"]["rejudged"]["verdicts_before"]
    key = lambda c: (c["id"], c["kind"], c["source"], c["verdict"], str(c["measured"])[:10])  # noqa: E731
    assert [key(c) for c in fresh["claims"]] == [key(c) for c in committed["claims"]]
