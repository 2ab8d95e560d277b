"""DAPr (attrprior.papers.nb05_dapr.dapr, runs), the two-moons simulator, the enrichment helper and the verdict rules."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import hypergeom
from torch import nn

from attrprior.compendium.verdicts import Evidence
from attrprior.core import attributions as A
from attrprior.papers.nb05_dapr import verdicts as dv
from attrprior.papers.nb05_dapr.dapr import (TrainConfig, _Frozen, check_meta_features, moons_hidden, partial_dependence,
                            prior_attributions, train_dapr, train_merge, train_plain, weight_penalty)
from attrprior.papers.nb05_dapr.runs import meta_as_inputs, prepare_meta, run_drug_response, summarise
from attrprior.papers.nb05_dapr.enrichment import enrich, enrich_top_genes, significant, top_genes
from attrprior.core.models.mlp import mlp
from attrprior.core.priors import MetaFeaturePrior
from attrprior.papers.nb05_dapr.moons import make_moons_nuisance, meta_features

torch.set_num_threads(1)


# --------------------------------------------------------------------------- moons simulator
def test_moons_shapes_split_and_meta_features():
    d = make_moons_nuisance(30, seed=1)
    assert d.X_train.shape == (200, 32) and d.X_val.shape == (400, 32) and d.X_test.shape == (400, 32)
    assert d.y_train.dtype == np.int64 and set(np.unique(d.y_test)) == {0, 1}
    assert d.meta.shape == (32, 2) and d.informative.tolist() == [True, True] + [False] * 30
    np.testing.assert_allclose(d.meta[:, 0], d.X_train.mean(0), atol=1e-5)
    np.testing.assert_allclose(d.meta[:, 1], d.X_train.std(0, ddof=1), atol=1e-5)
    # nuisance features are N(0, 1): sd near 1; moon coordinates have a smaller sd along x2
    assert abs(np.median(d.meta[2:, 1]) - 1) < 0.1 and d.meta[1, 1] < 0.7


def test_moons_seeded():
    a, b, c = make_moons_nuisance(10, seed=3), make_moons_nuisance(10, seed=3), make_moons_nuisance(10, seed=4)
    assert np.array_equal(a.X_train, b.X_train) and np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.X_train, c.X_train)


@pytest.mark.parametrize("kw", [{"n_nuisance": -1}, {"n_nuisance": 5, "split": (0.5, 0.5, 0.5)},
                                {"n_nuisance": 5, "noise": -0.1}])
def test_moons_bad_input(kw):
    with pytest.raises(ValueError):
        make_moons_nuisance(**kw)
    with pytest.raises(ValueError):
        meta_features(np.zeros(3))


def test_hidden_rules():
    assert moons_hidden(1002, "paper") == (501, 250)
    assert moons_hidden(1002, "code") == (250, 125)
    with pytest.raises(ValueError):
        moons_hidden(10, "other")


# --------------------------------------------------------------------------- bad meta-features
def _toy(seed=0, n=96, p=8):
    """Regression where features 0-2 matter; meta-feature 0 flags them, meta-feature 1 is noise."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] - X[:, 2] + 0.1 * rng.standard_normal(n)).astype(np.float32)
    meta = np.stack([np.r_[np.ones(3), np.zeros(p - 3)], rng.standard_normal(p)], 1).astype(np.float32)
    return X, y, meta


def test_meta_features_with_nan_or_wrong_rows_raise():
    X, y, meta = _toy()
    bad = meta.copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        check_meta_features(bad, X.shape[1])
    with pytest.raises(ValueError, match="rows"):
        check_meta_features(meta[:-1], X.shape[1])
    with pytest.raises(ValueError, match=r"\[p, k\]"):
        check_meta_features(meta[:, 0], X.shape[1])
    f, g = mlp(8, (8,), 1), nn.Linear(2, 1)
    for m in (bad, meta[:-1]):
        with pytest.raises(ValueError):
            train_dapr(f, g, m, X[:64], y[:64], X[64:], y[64:], task="regression", lam=1.0)
    with pytest.raises(ValueError):
        train_merge(bad, X[:64], y[:64], X[64:], y[64:], lam=1.0)
    with pytest.raises(ValueError):
        prepare_meta(bad)


# --------------------------------------------------------------------------- the method
def _fit_dapr(lam, seed=0, epochs=40):
    X, y, meta = _toy()
    torch.manual_seed(seed)
    f, g = mlp(8, (16,), 1), nn.Linear(2, 1)
    cfg = TrainConfig(lr=5e-3, prior_lr=2e-2, max_epochs=epochs, patience=epochs, batch_size=32, seed=seed)
    t = train_dapr(f, g, meta, X[:64], y[:64], X[64:], y[64:], task="regression", lam=lam, cfg=cfg)
    return t, X, meta


def _penalty(t, X, meta):
    """The DAPr penalty of the trained pair on the training data, with fixed EG draws."""
    gen = torch.Generator().manual_seed(0)
    x = torch.as_tensor(X[:64])
    phi = A.expected_gradients(t.model, x, x, n_samples=16, generator=gen).detach()
    return MetaFeaturePrior(t.prior, torch.as_tensor(meta), absolute=True)(phi).item()


def test_alternating_training_lowers_prior_penalty_and_learns_meta_relation():
    with_prior, X, meta = _fit_dapr(lam=5.0)
    without, _, _ = _fit_dapr(lam=0.0)
    assert _penalty(with_prior, X, meta) < _penalty(without, X, meta)
    assert {"g_loss", "f_loss", "task", "prior"} <= set(with_prior.history.last())
    imp = with_prior.predicted_importance()
    assert imp[:3].mean() > imp[3:].mean()  # g learned: flagged features are predicted more important


def test_dapr_deterministic_under_seed():
    a, _, _ = _fit_dapr(lam=1.0, seed=5, epochs=5)
    b, _, _ = _fit_dapr(lam=1.0, seed=5, epochs=5)
    for x, y in zip(a.model.state_dict().values(), b.model.state_dict().values()):
        assert torch.equal(x, y)
    assert np.array_equal(a.predicted_importance(), b.predicted_importance())


def test_f_step_does_not_touch_g():
    g = nn.Linear(2, 1)
    meta = torch.randn(5, 2)
    phi = torch.randn(4, 5, requires_grad=True)
    MetaFeaturePrior(_Frozen(g), meta)(phi).backward()
    assert g.weight.grad is None and phi.grad is not None


def test_classification_early_stopping_and_plain_baselines():
    d = make_moons_nuisance(4, n_samples=300, seed=0)
    cfg = TrainConfig(lr=1e-2, max_epochs=30, patience=3, seed=0)
    torch.manual_seed(0)
    t = train_plain(mlp(6, (16, 8), 2), d.X_train, d.y_train, d.X_val, d.y_val, task="classification", cfg=cfg,
                    l1=1e-4)
    assert len(t.history.epochs) <= 30 and 0.0 <= t.score(d.X_test, d.y_test) <= 1.0
    net = mlp(3, (4,), 1)
    manual = sum(p.abs().sum() for n, p in net.named_parameters() if n.endswith("weight"))
    assert torch.isclose(weight_penalty(net, "l1"), manual)
    with pytest.raises(ValueError):
        weight_penalty(net, "l3")


def test_merge_baseline_pulls_weights_towards_meta_function():
    X, y, meta = _toy()
    cfg = TrainConfig(lr=2e-2, prior_lr=2e-2, max_epochs=40, patience=40, seed=0)
    t = train_merge(meta, X[:64], y[:64], X[64:], y[64:], lam=1.0, cfg=cfg)
    assert t.model.weight.shape == (1, 8) and t.predicted_importance().shape == (8,)
    assert t.score(X[64:], y[64:]) < np.var(y[64:])


# --------------------------------------------------------------------------- second-order explanations
def test_partial_dependence_and_eg_of_a_linear_prior():
    g = nn.Linear(3, 1)
    with torch.no_grad():
        g.weight.copy_(torch.tensor([[2.0, -1.0, 0.0]]))
        g.bias.fill_(0.5)
    meta = np.random.default_rng(0).standard_normal((50, 3)).astype(np.float32)
    grid = np.linspace(-1, 1, 5)
    pdp = partial_dependence(g, meta, 0, grid)
    expected = 2 * grid - meta[:, 1].mean() + 0.5
    np.testing.assert_allclose(pdp, expected, atol=1e-5)
    eg = prior_attributions(g, meta, n_samples=400)
    # linear g: EG_ij = w_j (m_ij − E[ref_j]); the zero-weight meta-feature gets nothing
    np.testing.assert_allclose(eg[:, 2], 0.0, atol=1e-6)
    np.testing.assert_allclose(eg[:, 0], 2 * (meta[:, 0] - meta[:, 0].mean()), atol=0.35)
    with pytest.raises(ValueError):
        partial_dependence(g, meta, 3, grid)


def test_prepare_meta_and_meta_inputs():
    raw = np.array([[0, 10, 1, 0, 0.2], [2, 0, 0, 1, 0.5], [1, 3, 1, 1, 0.1]], dtype=np.float32)
    m = prepare_meta(raw)
    np.testing.assert_allclose(m.mean(0), 0, atol=1e-6)
    np.testing.assert_allclose(m.std(0), 1, atol=1e-5)
    assert np.argmax(m[:, 1]) == 0  # log1p keeps the order of counts
    X = np.arange(6, dtype=np.float32).reshape(2, 3)
    Xa = meta_as_inputs(X, m)
    assert Xa.shape == (2, 3 * 6)
    np.testing.assert_allclose(Xa[:, 3:6], X * m[:, 0])


def test_drug_response_loop_on_a_tiny_problem():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 12)).astype(np.float32)
    drivers = np.zeros(12, bool)
    drivers[:3] = True
    y = X[:, :3].sum(1) + 0.1 * rng.standard_normal(60)
    meta = np.abs(rng.standard_normal((12, 5))).astype(np.float32)
    cfg = TrainConfig(lr=1e-2, prior_lr=1e-2, max_epochs=4, patience=2)
    res = run_drug_response(X, y, meta, drivers, 2, cfg=cfg, hidden=(8,), prior_hidden=(3,), attr_samples=2,
                            models=("LASSO", "MLP", "DAPr (drivers)", "MERGE"), progress=False)
    assert len(res.table) == 8 and set(res.table["model"]) == {"LASSO", "MLP", "DAPr (drivers)", "MERGE"}
    assert res.table["auroc"].between(0, 1).all()
    assert res.table.loc[res.table["model"] == "LASSO", "auroc"].mean() > 0.9  # a linear truth: LASSO finds it
    assert set(summarise(res.table, ["model"], "test_mse").columns) == {"model", "mean", "n", "se"}
    with pytest.raises(ValueError):
        run_drug_response(X, y, meta, drivers, 1, cfg=cfg, models=("nope",))


# --------------------------------------------------------------------------- enrichment
def _gmt(path, sets, extra_line=None):
    with open(path, "w") as fh:
        for k, v in sets.items():
            fh.write(k + "\tdescription\t" + "\t".join(v) + "\n")
        if extra_line:
            fh.write(extra_line)
    return path


def test_enrichment_finds_a_planted_set_with_the_hypergeometric_p(tmp_path):
    rng = np.random.default_rng(0)
    genes = [f"GENE{i}" for i in range(300)]
    sets = {f"RANDOM{j}": list(rng.choice(genes, 15, replace=False)) for j in range(25)}
    sets["PLANTED"] = genes[:20]
    scores = rng.random(300)
    scores[:20] += 1.0
    table = enrich_top_genes(genes, scores, 30, _gmt(tmp_path / "sets.gmt", sets))
    hits = significant(table, 0.05)
    assert hits["Term"].tolist()[0] == "PLANTED"
    row = table.set_index("Term").loc["PLANTED"]
    assert row["P-value"] == pytest.approx(hypergeom.sf(20 - 1, 300, 20, 30), rel=1e-6)
    assert top_genes(genes, scores, 3) == [genes[i] for i in np.argsort(-scores)[:3]]


def test_enrichment_bad_input(tmp_path):
    genes = [f"G{i}" for i in range(10)]
    good = _gmt(tmp_path / "good.gmt", {"A": genes[:4]})
    with pytest.raises(ValueError, match="empty"):
        enrich([], good, genes)
    bad = _gmt(tmp_path / "bad.gmt", {"A": genes[:4]}, extra_line="BROKEN_SET_WITHOUT_GENES\n")
    with pytest.raises(ValueError, match="malformed"):
        enrich(genes[:3], bad, genes)
    with pytest.raises(ValueError, match="background"):
        enrich(["NOT_A_GENE"], good, genes)
    with pytest.raises(ValueError):
        top_genes(genes, np.ones(9), 3)


# --------------------------------------------------------------------------- verdict rules (synthetic numbers)
def _ev(effect, p, ci, target=None, power=None):
    return Evidence("paired t-test", effect=effect, n=5, unit="acc", p_value=p, ci=ci, target=target, power=power)


SIG_UP, SIG_DOWN = _ev(0.1, 0.001, (0.05, 0.15)), _ev(-0.1, 0.001, (-0.15, -0.05))
WEAK = _ev(0.02, 0.4, (-0.05, 0.09))  # no effect size in the paper and a CI that holds 0: cannot tell
POWERED_TREND = _ev(0.01, 0.2, (-0.01, 0.03), target=0.2, power=0.95)  # could have seen the paper's effect


def test_table1_numbers_and_paired_evidence():
    assert dv.paper_relative_change("DAPr (drivers)") == pytest.approx(0.786 / 0.938 - 1) == pytest.approx(-0.162, abs=1e-3)
    assert dv.paper_relative_change("MLP + meta inputs") == pytest.approx(0.2345, abs=1e-3)
    a, b = np.array([0.9, 0.8, 0.85, 0.95]), np.array([0.7, 0.72, 0.69, 0.8])
    e = dv.paired_evidence(a, b, test="paired t-test", unit="acc", target=0.1)
    assert e.effect == pytest.approx(np.mean(a - b)) and e.n == 4 and e.ci[0] < e.effect < e.ci[1]
    assert 0 < e.power <= 1 and e.p_value < 0.05
    assert dv.paired_evidence([1.0], [0.0], test="t", unit="") is None
    assert dv.paired_evidence([1.0, 2.0], [0.5, 1.5], test="t", unit="") is None  # constant difference


def test_moons_robust_each_outcome():
    assert dv.moons_robust(0.2, 0.02, 0.15, SIG_UP) == ("reproduced", "")
    v, why = dv.moons_robust(0.2, 0.15, 0.05, SIG_UP)  # DAPr degrades too
    assert v == "partly reproduced" and "half as much" in why
    v, why = dv.moons_robust(0.01, 0.0, 0.01, SIG_UP)  # the MLP does not degrade
    assert v == "not reproduced" and "MLP degrades" in why
    assert dv.moons_robust(0.2, 0.02, -0.05, SIG_DOWN)[0] == "not reproduced"
    assert dv.moons_robust(0.2, 0.02, 0.15, WEAK)[0] == "inconclusive"
    assert dv.moons_robust(0.2, 0.02, 0.15, None)[0] == "partly reproduced"  # no test: the rest of the rule holds


def test_ahead_each_outcome():
    assert dv.ahead(SIG_UP, "ahead") == ("reproduced", "")
    v, why = dv.ahead(POWERED_TREND, "DAPr ahead")
    assert v == "partly reproduced" and "DAPr ahead on average" in why
    assert dv.ahead(SIG_DOWN, "ahead")[0] == "not reproduced"
    assert dv.ahead(_ev(-0.001, 0.9, (-0.02, 0.018), target=0.2, power=0.95), "ahead")[0] == "not reproduced"
    assert dv.ahead(WEAK, "ahead")[0] == "inconclusive" and dv.ahead(None, "ahead")[0] == "inconclusive"


def test_best_of_all_each_outcome():
    assert dv.best_of_all(SIG_UP, "DAPr (drivers)") == ("reproduced", "")
    v, why = dv.best_of_all(SIG_UP, "LASSO")
    assert v == "partly reproduced" and "LASSO" in why
    assert dv.best_of_all(POWERED_TREND, "DAPr (drivers)")[0] == "partly reproduced"
    assert dv.best_of_all(SIG_DOWN, "MLP")[0] == "not reproduced"
    assert dv.best_of_all(WEAK, "DAPr (drivers)")[0] == "inconclusive"


def test_noise_control_counts_only_when_dapr_was_detected():
    null = _ev(0.005, 0.7, (-0.02, 0.03), target=0.15, power=0.9)
    assert dv.noise_control(null, method_detected=True) == ("reproduced", "")
    v, why = dv.noise_control(null, method_detected=False)
    assert v == "inconclusive" and "DAPr (drivers)" in why
    assert dv.noise_control(SIG_DOWN, method_detected=True)[0] == "partly reproduced"  # significantly worse
    assert dv.noise_control(SIG_UP, method_detected=True)[0] == "not reproduced"  # noise significantly better
    assert dv.detected(SIG_UP) and not dv.detected(SIG_DOWN) and not dv.detected(WEAK) and not dv.detected(None)


def test_count_rules_each_outcome():
    assert dv.prior_ranks_informative(0.9) == ("reproduced", "")
    assert dv.prior_ranks_informative(0.6)[0] == "partly reproduced"
    assert dv.prior_ranks_informative(0.2)[0] == "not reproduced"
    assert dv.prior_ranks_informative(float("nan"))[0] == "inconclusive"
    assert dv.hubness_first(["Expression hub", "Mutation"]) == ("reproduced", "")
    v, why = dv.hubness_first(["Mutation", "Expression hub"])
    assert v == "not reproduced" and "Mutation" in why
    assert dv.hubness_first([])[0] == "inconclusive"
    assert dv.enrichment(5, 0) == ("reproduced", "")
    assert dv.enrichment(5, 2)[0] == "partly reproduced"
    assert dv.enrichment(0, 0)[0] == "not reproduced" and dv.enrichment(1, 3)[0] == "not reproduced"


def test_moons_and_drug_response_on_two_workers_match_the_serial_run():
    """Two-moons data sets and drug-response splits are self-seeding jobs on the sweep executor: where they ran
    changes no number (the wall-clock column aside)."""
    from dataclasses import replace

    import pandas as pd

    from attrprior.papers.nb05_dapr.runs import DRUG_MODELS, run_moons

    cfg = TrainConfig(lr=1e-2, prior_lr=1e-2, max_epochs=2, patience=1)
    moons = [run_moons([4, 8], 1, cfg=replace(cfg, max_epochs=1), hidden_rule="code", seed=3, progress=False,
                       workers=w) for w in (1, 2)]
    assert list(moons[0]["p"]) == [4] * 5 + [8] * 5
    pd.testing.assert_frame_equal(*moons, check_exact=True)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 10)).astype(np.float32)
    y = X[:, :3].sum(1) + 0.1 * rng.standard_normal(50)
    meta, drivers = np.abs(rng.standard_normal((10, 5))).astype(np.float32), np.arange(10) < 3
    kw = dict(cfg=cfg, hidden=(8,), prior_hidden=(3,), attr_samples=2, lasso_alphas=(0.01, 0.1), progress=False)
    serial, parallel = (run_drug_response(X, y, meta, drivers, 2, workers=w, **kw) for w in (1, 2))
    assert list(serial.table["model"]) == list(DRUG_MODELS) * 2
    pd.testing.assert_frame_equal(serial.table.drop(columns="seconds"), parallel.table.drop(columns="seconds"),
                                  check_exact=True)
    assert serial.importance.keys() == parallel.importance.keys() == set(DRUG_MODELS)
    assert all(np.array_equal(serial.importance[m], parallel.importance[m]) for m in DRUG_MODELS)
    for name, t in serial.priors.items():
        a, b = t.prior.state_dict(), parallel.priors[name].prior.state_dict()
        assert all(torch.equal(a[k], b[k]) for k in a)


def test_enrichment_control_rankings():
    from attrprior.papers.nb05_dapr.enrichment import control_rankings

    raw = np.random.default_rng(0).random((30, 5))
    prepared = prepare_meta(raw)
    out = control_rankings(raw, prepared, (5, 3), seed=4)
    np.testing.assert_array_equal(out["raw expression hubness"], raw[:, 1])
    assert out["g untrained"].shape == (30,) and np.isfinite(out["g untrained"]).all()
    np.testing.assert_array_equal(out["g untrained"], control_rankings(raw, prepared, (5, 3), seed=4)["g untrained"])
    with pytest.raises(ValueError, match="one row per gene"):
        control_rankings(raw[:10], prepared, (5, 3))


def test_enrichment_beats_controls_outcomes():
    assert dv.enrichment_beats_controls(5, {"hub": 2, "untrained": 0})[0] == "reproduced"
    verdict, reason = dv.enrichment_beats_controls(5, {"hub": 6, "untrained": 0})
    assert verdict == "partly reproduced" and "hub 6" in reason
    assert dv.enrichment_beats_controls(0, {"hub": 0, "untrained": 0})[0] == "not reproduced"


def test_pdp_shape_and_rule():
    x = np.linspace(-2, 2, 25)
    line, kink, flat = dv.pdp_shape(x, 0.3 * x), dv.pdp_shape(x, np.maximum(x, 0.5)), dv.pdp_shape(x, 0 * x + 1)
    assert line["nonlinear_share"] == pytest.approx(0.0, abs=1e-12) and line["spearman"] == pytest.approx(1.0)
    assert kink["nonlinear_share"] > 0.05 and kink["spearman"] > 0.5
    assert flat == {"nonlinear_share": 0.0, "spearman": 0.0}
    assert dv.pdp_nonlinear_rising(kink)[0] == "reproduced"
    assert dv.pdp_nonlinear_rising(line)[0] == "partly reproduced"
    assert dv.pdp_nonlinear_rising(dv.pdp_shape(x, -x ** 3))[0] == "not reproduced"
    assert dv.pdp_nonlinear_rising(flat)[0] == "not reproduced"
    with pytest.raises(ValueError, match="same length"):
        dv.pdp_shape(x, x[:-1])
