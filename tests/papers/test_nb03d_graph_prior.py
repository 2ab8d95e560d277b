"""Gene-level stand-in (attrprior.core.simulate.genes), GCN, graph LASSO and the graph-prior experiment."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from scipy import stats
from sklearn.linear_model import Lasso

from attrprior.compendium.verdicts import Evidence
from attrprior.papers.nb03d_graph_prior import experiment as gp
from attrprior.papers.nb03d_graph_prior import verdicts as gv
from attrprior.papers.nb03d_graph_prior.gcn import GCN, normalized_adjacency
from attrprior.core.priors import GraphLaplacian, laplacian
from attrprior.core.simulate import genes as sg

from tests.conftest import needs_data

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def real():
    from attrprior.core.data import gmt_path, load_merge_features, read_gmt

    return load_merge_features(), read_gmt(gmt_path(sg.KEGG_LIBRARY))


@pytest.fixture(scope="module")
def small(real):
    merge, sets = real
    return sg.simulate_drug_response(n_genes=80, n_patients=40, n_drugs=3, seed=3, merge=merge, gene_sets=sets)


# --------------------------------------------------------------------------- the stand-in
@needs_data
def test_seed_determinism(real, small):
    merge, sets = real
    again = sg.simulate_drug_response(n_genes=80, n_patients=40, n_drugs=3, seed=3, merge=merge, gene_sets=sets)
    for name in ("expression", "y", "patient", "drug", "driver_mask", "effects", "meta"):
        np.testing.assert_array_equal(getattr(small, name), getattr(again, name))
    assert small.genes == again.genes
    assert (small.adjacency != again.adjacency).nnz == 0
    assert (small.random_adjacency != again.random_adjacency).nnz == 0
    other = sg.simulate_drug_response(n_genes=80, n_patients=40, n_drugs=3, seed=4, merge=merge, gene_sets=sets)
    assert other.genes != small.genes or not np.allclose(other.y[:10], small.y[:10])


@needs_data
def test_shapes_real_genes_and_split(real, small):
    merge, sets = real
    d = small
    kegg = set().union(*map(set, sets.values()))
    assert all(g in merge.index and g in kegg for g in d.genes)
    np.testing.assert_array_equal(d.meta, merge.loc[d.genes, list(sg.MERGE_META_COLUMNS)].to_numpy(np.float32))
    assert d.X.shape == (d.n_samples, d.n_genes) and d.drug_onehot.shape == (d.n_samples, d.n_drugs)
    x = d.model_inputs()
    assert x.shape == (d.n_samples, d.n_genes + d.n_drugs)
    np.testing.assert_array_equal(x[:, d.gene_slice], d.X)
    np.testing.assert_array_equal(x[:, d.n_genes:].sum(1), np.ones(d.n_samples))
    np.testing.assert_allclose(d.expression.mean(0), 0, atol=1e-5)
    s = d.split(0)
    assert sum(len(v) for v in s.values()) == d.n_samples
    pats = {k: set(d.patient[v]) for k, v in s.items()}
    assert not (pats["train"] & pats["test"]) and not (pats["train"] & pats["val"]) and not (pats["val"] & pats["test"])
    xd, yd = d.for_drug(1)
    assert xd.shape == (int((d.drug == 1).sum()), d.n_genes) and yd.shape == (xd.shape[0],)
    assert 0.3 < d.best_r2 < 0.7  # signal_r2 = 0.5 by default


@needs_data
def test_drivers_enriched_for_high_meta_features(real):
    merge, sets = real
    d = sg.simulate_drug_response(n_genes=1500, n_patients=20, n_drugs=1, seed=11, merge=merge, gene_sets=sets)
    prop = sg.driver_propensity(d.meta)
    drv, non = prop[d.driver_mask], prop[~d.driver_mask]
    assert d.driver_mask.sum() > 100
    assert drv.mean() > non.mean() + 0.3
    assert stats.mannwhitneyu(drv, non, alternative="greater").pvalue < 1e-6
    # the raw MERGE columns too: drivers have higher expression hubness and more mutations on average
    assert d.meta[d.driver_mask, 1].mean() > d.meta[~d.driver_mask, 1].mean()
    assert d.meta[d.driver_mask, 0].mean() > d.meta[~d.driver_mask, 0].mean()
    # and P(driver) rises strictly with the propensity among genes outside the driver pathways
    act = [d.pathway_names.index(a) for a in d.active_pathways]
    outside = ~(d.membership.toarray()[:, act] > 0).any(1)
    order = np.argsort(prop[outside], kind="stable")
    assert np.all(np.diff(d.driver_probability[outside][order]) >= -1e-6)
    assert stats.spearmanr(prop[outside], d.driver_probability[outside]).statistic > 0.99


@needs_data
def test_effects_only_on_drivers_and_coherent(small):
    d = small
    assert np.all(d.effects[~d.driver_mask] == 0) and np.all(d.effects[d.driver_mask] != 0)
    rng = np.random.default_rng(0)
    z = sg.smooth_field(d.adjacency, rng, smoothness=5.0)
    i, j = sp.triu(d.adjacency).nonzero()
    rough = np.mean((z[i] - z[j]) ** 2)
    ri, rj = sp.triu(d.random_adjacency).nonzero()
    assert rough < np.mean((z[ri] - z[rj]) ** 2)  # smooth on its own graph, not on a shuffled one


@needs_data
def test_random_graph_same_degree_sequence(small):
    a, r = small.adjacency, small.random_adjacency
    np.testing.assert_array_equal(np.asarray(a.sum(1)).ravel(), np.asarray(r.sum(1)).ravel())
    assert (r != r.T).nnz == 0 and r.diagonal().sum() == 0 and set(np.unique(r.data)) == {1.0}
    assert (a.multiply(r)).nnz < 0.6 * a.nnz  # mostly different edges


def test_degree_preserving_on_a_known_graph():
    import networkx as nx

    g = nx.barabasi_albert_graph(60, 3, seed=1)
    a = nx.to_scipy_sparse_array(g, format="csr", dtype=np.float32)
    r = sg.degree_preserving_random_graph(a, seed=5)
    np.testing.assert_array_equal(np.asarray(a.sum(1)).ravel(), np.asarray(r.sum(1)).ravel())
    r2 = sg.degree_preserving_random_graph(a, seed=5)
    assert (r != r2).nnz == 0
    with pytest.raises(ValueError):
        sg.degree_preserving_random_graph(sp.csr_matrix(np.triu(np.ones((4, 4)), 1)), seed=0)


@needs_data
def test_bad_inputs_raise(real, small):
    merge, sets = real
    with pytest.raises(ValueError, match="only"):
        sg.simulate_drug_response(n_genes=100_000, merge=merge, gene_sets=sets)
    with pytest.raises(ValueError):
        sg.simulate_drug_response(n_genes=1, merge=merge, gene_sets=sets)
    with pytest.raises(ValueError, match="drug_coverage"):
        sg.simulate_drug_response(n_genes=50, drug_coverage=0.0, merge=merge, gene_sets=sets)
    with pytest.raises(ValueError, match="signal_r2"):
        sg.simulate_drug_response(n_genes=50, signal_r2=1.5, merge=merge, gene_sets=sets)
    with pytest.raises(ValueError):
        sg.simulate_drug_response(n_genes=50, merge=merge.drop(columns=["Regulator"]), gene_sets=sets)
    with pytest.raises(ValueError):
        small.for_drug(small.n_drugs)
    with pytest.raises(ValueError):
        small.split(test_frac=1.0)
    with pytest.raises(ValueError):
        sg.driver_propensity(np.ones((5, 3)))


# --------------------------------------------------------------------------- graph penalty convention
@pytest.mark.parametrize("sparse", [False, True])
def test_laplacian_penalty_equals_pairwise_sum(sparse):
    rng = np.random.default_rng(0)
    p = 12
    w = np.triu(rng.random((p, p)) * (rng.random((p, p)) < 0.4), 1)
    w = w + w.T
    phi = rng.random(p)
    ordered = sum(w[i, j] * (phi[i] - phi[j]) ** 2 for i in range(p) for j in range(p))
    unordered = sum(w[i, j] * (phi[i] - phi[j]) ** 2 for i in range(p) for j in range(i + 1, p))
    # convention: φᵀLφ = Σ_{i<j} W_ij (φ_i − φ_j)² = ½ Σ_{i,j} (ordered pairs)
    prior = GraphLaplacian(laplacian(w, sparse=sparse))
    attr = torch.as_tensor(np.stack([phi, -phi]), dtype=torch.float32)  # φ̄ = mean |φ| = phi
    value = float(prior(attr))
    assert value == pytest.approx(unordered, rel=1e-5)
    assert value == pytest.approx(0.5 * ordered, rel=1e-5)
    assert gp.graph_penalty(phi, laplacian(w)) == pytest.approx(unordered, rel=1e-5)


# --------------------------------------------------------------------------- GCN
def test_gcn_shapes_and_normalisation():
    a = sp.csr_matrix(np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]], dtype=float))
    a_hat = normalized_adjacency(a).to_dense().numpy()
    np.testing.assert_allclose(a_hat, a_hat.T, atol=1e-7)
    d = np.array([2, 3, 3, 2]) ** -0.5
    np.testing.assert_allclose(a_hat, d[:, None] * (a.toarray() + np.eye(4)) * d[None], atol=1e-6)
    torch.manual_seed(0)
    net = GCN(a, n_extra=3, channels=5, hidden=(16, 8))
    x = torch.randn(7, 7)
    out = net(x)
    assert out.shape == (7, 1)
    out.sum().backward()
    assert net.conv.weight.grad is not None and torch.isfinite(net.conv.weight.grad).all()
    with pytest.raises(ValueError):
        net(torch.randn(7, 6))
    with pytest.raises(ValueError):
        normalized_adjacency(np.array([[0, 1], [0, 0]]))


# --------------------------------------------------------------------------- graph LASSO
def _lasso_problem(seed=0, n=120, p=15):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p))
    y = x[:, :4] @ np.array([1.0, 1.0, -0.5, 0.8]) + 0.3 * rng.normal(size=n) + 2.0
    w = np.zeros((10, 10))
    for i in range(9):
        w[i, i + 1] = w[i + 1, i] = 1.0
    return x, y, laplacian(w).numpy()


def test_graph_lasso_objective_decreases_and_matches_reference():
    x, y, lap = _lasso_problem()
    w, b, hist = gp.graph_lasso(x, y, alpha=0.05, nu=0.5, lap=lap, n_iter=5000, tol=1e-13)
    hist = np.asarray(hist)
    assert np.all(np.diff(hist) <= 1e-10) and hist[-1] < hist[0]
    full = np.zeros((15, 15))
    full[:10, :10] = lap
    xc, yc = x - x.mean(0), y - y.mean()
    assert hist[-1] == pytest.approx(gp.graph_lasso_objective(w, xc, yc, 0.05, 0.5, full), rel=1e-8)
    # reference: ν wᵀLw = ν‖Bw‖² with L = BᵀB, so the problem is a LASSO on augmented rows (scikit-learn)
    evals, evecs = np.linalg.eigh(full)
    bmat = (evecs * np.sqrt(np.clip(evals, 0, None))).T
    n, m = len(y), bmat.shape[0]
    xa = np.vstack([xc, np.sqrt(2 * n * 0.5) * bmat])
    ya = np.concatenate([yc, np.zeros(m)])
    ref = Lasso(alpha=0.05 * n / (n + m), fit_intercept=False, tol=1e-12, max_iter=100000).fit(xa, ya)
    np.testing.assert_allclose(w, ref.coef_, atol=2e-4)
    assert b == pytest.approx(y.mean() - x.mean(0) @ w)
    # ν = 0 is the plain LASSO
    w0, _, _ = gp.graph_lasso(x, y, alpha=0.05, nu=0.0, lap=lap, n_iter=5000, tol=1e-13)
    np.testing.assert_allclose(w0, Lasso(alpha=0.05, tol=1e-12, max_iter=100000).fit(x, y).coef_, atol=2e-4)
    with pytest.raises(ValueError):
        gp.graph_lasso(x, y, alpha=-1.0, nu=0.0, lap=lap)


# --------------------------------------------------------------------------- metrics
def test_tests_and_auroc():
    a, b = [0.5, 0.6, 0.55, 0.58], [0.4, 0.45, 0.42, 0.5]
    t, p = gp.ttest(a, b)
    ref = stats.ttest_ind(a, b)
    assert (t, p) == pytest.approx((ref.statistic, ref.pvalue))
    assert np.isnan(gp.paired_ttest([1, 2], [0, 1])[1])  # constant difference: undefined
    assert gp.driver_auroc(np.array([0.9, 0.1, 0.8, 0.2]), np.array([1, 0, 1, 0])) == 1.0


def test_bootstrap_r2_diff():
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(40), 5)
    y = rng.normal(size=200)
    good, bad = y + 0.3 * rng.normal(size=200), y + 1.0 * rng.normal(size=200)
    diff, p, (lo, hi) = gp.bootstrap_r2_diff(good, bad, y, groups, n_boot=300)
    from sklearn.metrics import r2_score
    assert diff == pytest.approx(r2_score(y, good) - r2_score(y, bad))
    assert diff > 0 and p < 0.01 and lo < diff < hi and lo > 0
    same, p_same, _ = gp.bootstrap_r2_diff(good, good, y, groups, n_boot=50)
    assert same == 0 and p_same == 1.0


@needs_data
def test_prerank_finds_a_planted_pathway(real, small):
    from attrprior.core.data import gmt_path, read_gmt

    gmt = gmt_path("KEGG_2016")
    kegg = read_gmt(gmt)
    genes = sorted(set().union(*map(set, kegg.values())))
    rng = np.random.default_rng(0)
    target = "Acute myeloid leukemia Homo sapiens hsa05221"
    noise = rng.random(len(genes))
    planted = gp.prerank(noise + np.isin(genes, kegg[target]), genes, gmt, permutations=30, seed=0)
    assert planted.iloc[0]["Term"] == target and target in set(gp.enriched(planted, 0.25)["Term"])
    null = gp.prerank(noise, genes, gmt, permutations=30, seed=0)
    assert len(gp.enriched(null, 0.25)) <= 5  # a random ranking enriches (almost) nothing
    empty = gp.prerank(noise[:4], genes[:4], gmt, permutations=10)
    assert isinstance(empty, pd.DataFrame) and len(gp.enriched(empty)) == 0


@needs_data
def test_graph_prior_lowers_its_penalty(real):
    merge, sets = real
    d = sg.simulate_drug_response(n_genes=40, n_patients=40, n_drugs=2, seed=1, merge=merge, gene_sets=sets)
    cfg = gp.TrainConfig(hidden=(32, 16), max_epochs=15, patience=15, finetune_epochs=4, eg_samples=2,
                         batch_size=32, nu_ratios=(10.0,), attr_samples=8)
    prep = gp.prepare(d, 0)
    models, nus = gp.train_neural(prep, cfg, seed=0, models=("MLP", "Graph prior (EG)"))
    assert nus["Graph prior (EG)"]["nu"] > 0 and nus["Graph prior (EG)"]["ratio"] == 10.0
    pen = {}
    for name, m in models.items():
        f = gp.global_attributions(m, prep, cfg.attr_samples, seed=0, split="train")
        pen[name] = gp.graph_penalty(f / f.sum(), prep.lap)
    assert pen["Graph prior (EG)"] < pen["MLP"]


# --------------------------------------------------------------------------- verdict rules (synthetic numbers)
def _ev(effect, p, ci, target=None, power=None):
    return Evidence("t-test", effect=effect, n=(5, 5), unit="R2", p_value=p, ci=ci, target=target, power=power)


def test_paper_effect_size_from_t():
    assert gv.paper_d(3.59, 10, 10) == pytest.approx(3.59 * np.sqrt(0.2))
    assert gv.paper_d(*gv.PAPER_T["graph prior vs MLP"]) == pytest.approx(1.6055, abs=1e-4)
    with pytest.raises(ValueError):
        gv.paper_d(3.0, 0, 10)


def test_seed_evidence_student_target_and_power():
    rng = np.random.default_rng(0)
    mlp = 0.3 + 0.01 * rng.standard_normal(10)
    prior = mlp + 0.02 + 0.01 * rng.standard_normal(10)
    e = gv.seed_evidence(prior, mlp, paired=False, unit="R2", paper="graph prior vs MLP")
    ref = stats.ttest_ind(prior, mlp)
    assert e.p_value == pytest.approx(ref.pvalue) and e.statistic == pytest.approx(ref.statistic)
    pooled = np.sqrt((np.var(prior, ddof=1) + np.var(mlp, ddof=1)) / 2)
    assert e.target == pytest.approx(gv.paper_d(3.59, 10, 10) * pooled)
    assert e.power == pytest.approx(0.924, abs=0.01)  # power of 10 vs 10 at the paper's d = 1.61
    assert e.ci[0] < e.effect < e.ci[1] and e.n == (10, 10)
    assert gv.beats(e) == ("reproduced", "")
    assert gv.detected(e) and not gv.detected(None)


def test_seed_evidence_undefined_is_none_and_inconclusive():
    assert gv.seed_evidence([0.5], [0.4], paired=False, unit="R2") is None
    assert gv.seed_evidence([1.0, 2.0, 3.0], [0.0, 1.0, 2.0], paired=True, unit="n") is None  # constant difference
    assert gv.seed_evidence([0.5, 0.5], [0.5, 0.5], paired=False, unit="R2", paper="graph prior vs MLP") is None
    assert gv.beats(None)[0] == "inconclusive" and gv.no_better(None, True)[0] == "inconclusive"


def test_beats_each_outcome():
    assert gv.beats(_ev(0.05, 0.01, (0.02, 0.08), 0.03, 0.9)) == ("reproduced", "")
    v, why = gv.beats(_ev(0.01, 0.15, (-0.004, 0.024), 0.05, 0.95))  # powered, ahead, a trend only
    assert v == "partly reproduced" and "trend" in why
    v, why = gv.beats(_ev(0.001, 0.8, (-0.01, 0.012), 0.05, 0.95))  # powered, saw nothing
    assert v == "not reproduced" and "not significant" in why
    assert gv.beats(_ev(-0.05, 0.01, (-0.08, -0.02), 0.03, 0.9))[0] == "not reproduced"  # the opposite
    v, why = gv.beats(_ev(0.01, 0.15, (-0.01, 0.06), 0.05, 0.6))  # CI holds 0 and the paper's effect
    assert v == "inconclusive" and "paper's effect" in why
    v, _ = gv.beats(_ev(0.001, 0.8, (-0.01, 0.012), 0.005, 0.4))  # excludes nothing useful, power 40 %
    assert v == "inconclusive"
    assert gv.beats(_ev(0.01, 0.3, (-0.02, 0.04)))[0] == "inconclusive"  # no effect size in the paper, CI holds 0


def test_null_controls_count_only_when_the_prior_was_detected():
    null = _ev(0.002, 0.7, (-0.01, 0.014), 0.05, 0.95)
    assert gv.no_better(null, method_detected=True) == ("reproduced", "")
    v, why = gv.no_better(null, method_detected=False)
    assert v == "inconclusive" and "graph prior" in why
    assert gv.no_better(_ev(-0.03, 0.01, (-0.05, -0.01)), method_detected=True)[0] == "partly reproduced"
    assert gv.no_better(_ev(0.03, 0.01, (0.01, 0.05)), method_detected=True)[0] == "not reproduced"
    assert gv.no_better(_ev(0.03, 0.01, (0.01, 0.05)), method_detected=False)[0] == "not reproduced"


def test_bootstrap_evidence_rule():
    e = gv.bootstrap_evidence(0.04, 0.002, (0.01, 0.07), n_patients=40, n_boot=2000)
    assert e.n == 40 and e.ci == (0.01, 0.07) and e.spread == pytest.approx(0.03)
    assert gv.beats(e) == ("reproduced", "")
    assert gv.beats(gv.bootstrap_evidence(0.01, 0.4, (-0.02, 0.04), 40, 2000))[0] == "inconclusive"
    assert gv.beats(gv.bootstrap_evidence(-0.04, 0.01, (-0.07, -0.01), 40, 2000))[0] == "not reproduced"


@needs_data
def test_retrainings_on_two_workers_match_the_serial_run(real):
    """Each seed's retrainings are one self-seeding job on the sweep executor: where it ran changes no number."""
    from attrprior.core.data import gmt_path

    merge, sets = real
    d = sg.simulate_drug_response(n_genes=60, n_patients=40, n_drugs=2, seed=1, merge=merge, gene_sets=sets)
    cfg = gp.TrainConfig(hidden=(16, 8), max_epochs=3, patience=2, finetune_epochs=1, eg_samples=2, batch_size=32,
                         nu_ratios=(1.0,), attr_samples=4, gcn_channels=2)
    serial, parallel = (gp.run_experiment(d, cfg, [0, 1], gmt_path("KEGG_2016"), gsea_permutations=10,
                                          progress=False, workers=w) for w in (1, 2))
    assert list(serial.r2.seed) == [0] * len(gp.MODELS) + [1] * len(gp.NN_MODELS)
    for name in ("r2", "penalty", "auroc", "nus"):
        pd.testing.assert_frame_equal(getattr(serial, name), getattr(parallel, name), check_exact=True)
    for name in ("phi", "preds"):
        a, b = getattr(serial, name), getattr(parallel, name)
        assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    for model, tables in serial.gsea.items():
        assert len(tables) == 2 and all(t.equals(u) for t, u in zip(tables, parallel.gsea[model]))
