"""Notebook 02: sparse-loadings simulator, tabular VAEs, matching, AUROC, shap-vs-EG agreement."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import levene
from sklearn.metrics import roc_auc_score

from attrprior.core import attributions as A
from attrprior.papers.nb02_shap_loadings import experiment as LD
from attrprior.papers.nb02_shap_loadings.tabular_vae import TabularVAE, linear_vae, mlp_vae
from attrprior.papers.nb02_shap_loadings.factor_model import POSTER_OFF, POSTER_ON, simulate_loadings, support_size


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# ----------------------------------------------------------------------------- simulator
@pytest.mark.parametrize("pattern", ["block", "random"])
def test_simulator_shapes_sparsity_and_signal(pattern):
    d = simulate_loadings(n=120, p=700, k=4, sparsity=0.75, noise=0.5, pattern=pattern, seed=3)
    assert d.X.shape == (120, 700) and d.L.shape == (700, 4) and d.F.shape == (4, 120)
    assert d.X.dtype == np.float32
    np.testing.assert_array_equal(d.support, d.L != 0)
    np.testing.assert_array_equal(d.support.sum(0), np.full(4, support_size(700, 0.75)))
    assert abs((1 - d.support.mean()) - 0.75) < 1e-9
    nz = np.abs(d.L[d.support])
    assert nz.min() >= 0.5 and nz.max() <= 1.5
    resid = d.X - (d.L @ d.F).T
    assert abs(resid.std() - 0.5) < 0.02  # noise sd
    assert abs((d.F == 0).mean() - 0.5) < 0.1  # factor sparsity


def test_simulator_noise_free_is_exact_low_rank():
    d = simulate_loadings(n=50, p=700, k=3, noise=0.0, seed=1)
    np.testing.assert_allclose(d.X, (d.L @ d.F).T, atol=1e-5)
    assert np.linalg.matrix_rank(d.X.astype(np.float64), tol=1e-3) == 3


def test_simulator_is_deterministic_under_seed():
    a = simulate_loadings(n=80, p=700, k=3, pattern="random", seed=7)
    b = simulate_loadings(n=80, p=700, k=3, pattern="random", seed=7)
    c = simulate_loadings(n=80, p=700, k=3, pattern="random", seed=8)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.L, b.L)
    assert not np.array_equal(a.X, c.X)
    assert not np.array_equal(a.support, c.support)


@pytest.mark.parametrize("pattern", ["block", "random"])
@pytest.mark.parametrize("sparsity", [0.3, 0.8, 0.9, 0.97])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_feature_150_loads_on_factor_1_and_600_does_not(pattern, sparsity, seed):
    d = simulate_loadings(n=20, p=800, k=5, sparsity=sparsity, pattern=pattern, seed=seed)
    assert d.L[POSTER_ON, 0] != 0
    assert d.L[POSTER_OFF, 0] == 0
    assert d.support[:, 0].sum() == support_size(800, sparsity)  # enforcing kept the sparsity exact


def test_block_pattern_is_contiguous_and_unshifted_at_defaults():
    d = simulate_loadings(n=20, p=800, k=5, sparsity=0.8, seed=0)
    assert d.shift == 0
    for j in range(5):
        rows = np.flatnonzero(d.support[:, j])
        assert np.all(np.diff(rows) == 1)  # one contiguous block


def test_simulator_rejects_bad_input():
    with pytest.raises(ValueError, match="p >= 601"):
        simulate_loadings(n=10, p=500, k=2)
    simulate_loadings(n=10, p=500, k=2, anchors=None)  # fine without the poster's anchors
    with pytest.raises(ValueError, match="sparsity"):
        simulate_loadings(n=10, p=700, k=2, sparsity=1.0)
    with pytest.raises(ValueError, match="pattern"):
        simulate_loadings(n=10, p=700, k=2, pattern="diagonal")
    with pytest.raises(ValueError, match="noise"):
        simulate_loadings(n=10, p=700, k=2, noise=-1.0)
    with pytest.raises(ValueError, match="fewer factors"):
        simulate_loadings(n=10, p=5, k=5, anchors=None)


# ----------------------------------------------------------------------------- models
def test_tabular_vae_shapes_and_bad_input():
    vae = mlp_vae(12, 3, hidden=8)
    x = torch.randn(5, 12)
    recon, mu, logvar = vae(x)
    assert recon.shape == (5, 12) and mu.shape == (5, 3) and logvar.shape == (5, 3)
    assert vae.mean_encoder()(x).shape == (5, 3)
    vae.eval()
    torch.testing.assert_close(vae(x)[0], vae.decode(vae.encode(x)[0]))  # eval mode decodes the mean
    loss, logs = vae.loss(x)
    assert loss.dim() == 0 and set(logs) == {"nll", "kl"} and logs["kl"] >= 0
    with pytest.raises(ValueError, match=r"\[N, 12\]"):
        vae.encode(torch.randn(5, 11))


def test_linear_vae_is_affine():
    vae = linear_vae(6, 2)
    enc = vae.mean_encoder()
    x, y = torch.randn(4, 6), torch.randn(4, 6)
    torch.testing.assert_close(enc(0.3 * x + 0.7 * y), 0.3 * enc(x) + 0.7 * enc(y))
    assert not any(isinstance(m, torch.nn.ReLU) for m in vae.modules())


def test_train_vae_lowers_the_loss_and_is_deterministic():
    d = simulate_loadings(n=200, p=30, k=2, seed=0, anchors=None)
    cfg = LD.TrainConfig(hidden=16, epochs=15, batch_size=50, lr=3e-3)
    m1, h1 = LD.train_vae(d.X, 2, cfg, seed=4, device="cpu")
    m2, _ = LD.train_vae(d.X, 2, cfg, seed=4, device="cpu")
    losses = h1.series("elbo_loss")
    assert losses[-1] < losses[0]
    np.testing.assert_array_equal(LD.latent_means(m1, d.X), LD.latent_means(m2, d.X))


# ----------------------------------------------------------------------------- matching and metrics
def test_hungarian_matching_recovers_a_permuted_identity():
    rng = np.random.default_rng(0)
    factors = rng.standard_normal((500, 6))
    perm = rng.permutation(6)
    signs = rng.choice([-1.0, 1.0], size=6)
    latents = factors[:, perm] * signs * rng.uniform(0.5, 3, size=6) + 0.01 * rng.standard_normal((500, 6))
    m = LD.match_latents(latents, factors)
    # latent i carries factor perm[i], so factor j lives in latent argsort(perm)[j]
    np.testing.assert_array_equal(m.latent_of, np.argsort(perm))
    assert m.quality > 0.99
    extra = np.column_stack([latents, rng.standard_normal((500, 2))])  # more latents than factors
    np.testing.assert_array_equal(LD.match_latents(extra, factors).latent_of, np.argsort(perm))
    with pytest.raises(ValueError, match="at least as many latents"):
        LD.match_latents(latents[:, :3], factors)


def test_abs_corr_matches_numpy():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((40, 3)), rng.standard_normal((40, 2))
    ref = np.abs(np.corrcoef(a.T, b.T)[:3, 3:])
    np.testing.assert_allclose(LD.abs_corr(a, b), ref, atol=1e-12)


def test_subspace_r2_sees_a_rotation_that_matching_does_not():
    rng = np.random.default_rng(2)
    factors = rng.standard_normal((1000, 2))
    c, s = np.cos(np.pi / 4), np.sin(np.pi / 4)
    rotated = factors @ np.array([[c, -s], [s, c]])
    np.testing.assert_allclose(LD.subspace_r2(rotated, factors), 1.0, atol=1e-10)
    assert LD.match_latents(rotated, factors).quality < 0.8
    assert LD.subspace_r2(rng.standard_normal((1000, 2)), factors).max() < 0.02


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auroc_helper_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    labels = rng.random(300) < 0.3
    scores = np.round(rng.standard_normal(300) + labels, 1)  # rounding creates ties
    assert LD.auroc(labels, scores) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    assert LD.auroc(labels, labels.astype(float)) == 1.0
    with pytest.raises(ValueError, match="both positive and negative"):
        LD.auroc(np.ones(5, bool), np.arange(5.0))


def test_score_loadings_perfect_and_chance():
    support = np.zeros((50, 2), bool)
    support[:10, 0] = support[20:35, 1] = True
    match = LD.Matching(latent_of=np.array([1, 0]), abs_corr=np.eye(2)[::-1])
    imp = np.stack([support[:, 1].astype(float), support[:, 0].astype(float)])  # latent 1 ↔ factor 1
    df = LD.score_loadings(imp, support, match)
    assert df["auroc"].tolist() == [1.0, 1.0] and df["ap"].tolist() == [1.0, 1.0]
    df = LD.score_loadings(np.ones((2, 50)), support, match)
    assert df["auroc"].tolist() == [0.5, 0.5]


def test_brown_forsythe_matches_scipy_and_detects_wider_spread():
    rng = np.random.default_rng(3)
    wide, narrow = rng.normal(0, 3, 200), rng.normal(0, 1, 200)
    stat, p, ratio = LD.brown_forsythe(wide, narrow)
    ref = levene(wide, narrow, center="median")
    assert stat == pytest.approx(ref.statistic) and p == pytest.approx(ref.pvalue)
    assert p < 1e-6 and 2.5 < ratio < 3.5
    assert LD.brown_forsythe(narrow, rng.normal(0, 1, 200))[1] > 1e-3


# ----------------------------------------------------------------------------- shap vs EG
def _linear_encoder(p: int = 5, k: int = 3, seed: int = 0) -> tuple[TabularVAE, torch.Tensor]:
    torch.manual_seed(seed)
    vae = linear_vae(p, k).eval()
    W = torch.arange(1, p * k + 1, dtype=torch.float32).view(k, p) / (p * k) * torch.tensor([1.0, -2.0, 0.5]).view(k, 1)
    with torch.no_grad():
        vae.encoder[0].weight[:k] = W
    return vae, W


def test_eg_on_a_linear_latent_is_w_times_x_minus_background_mean():
    vae, W = _linear_encoder()
    gen = torch.Generator().manual_seed(0)
    x, bg = torch.randn(4, 5, generator=gen), torch.randn(30, 5, generator=gen)
    idx = torch.arange(30).repeat(4, 1)  # every background row once: the expectation over x' is exact
    alphas = torch.rand(4, 30, generator=gen)
    attr = A.latent_attributions(vae.mean_encoder(), x, method="expected_gradients", references=bg,
                                 n_samples=30, ref_indices=idx, alphas=alphas)
    exact = W.unsqueeze(0) * (x - bg.mean(0)).unsqueeze(1)  # [N, k, p]
    torch.testing.assert_close(attr, exact, atol=1e-5, rtol=1e-5)


def test_shap_gradient_explainer_matches_the_exact_linear_answer_and_our_eg():
    """shap draws references at random: with 2000 draws the Monte-Carlo SE of each entry is
    |w|·sd(x')/√2000 < 0.03·|w|; the tolerance is 0.15·|w| (5 SE). Also checks the [N, k, p] layout."""
    vae, W = _linear_encoder()
    gen = torch.Generator().manual_seed(1)
    x, bg = torch.randn(3, 5, generator=gen).numpy(), torch.randn(40, 5, generator=gen).numpy()
    theirs = LD.shap_latent_attributions(vae, x, bg, n_samples=2000, seed=0)
    ours = LD.eg_latent_attributions(vae, x, bg, n_samples=2000, seed=0)
    exact = W.numpy()[None] * (x - bg.mean(0))[:, None, :]
    tol = 0.15 * np.abs(W.numpy())[None]
    assert theirs.shape == ours.shape == (3, 3, 5)
    assert np.all(np.abs(theirs - exact) <= tol)
    assert np.all(np.abs(ours - exact) <= tol)
    rho = LD.spearman_agreement(LD.importance(theirs), LD.importance(ours))
    assert rho.min() > 0.85


def test_importance_rejects_wrong_shape():
    with pytest.raises(ValueError, match="latents, features"):
        LD.importance(np.zeros((3, 4)))


# ----------------------------------------------------------------------------- replicate and sweep
def test_run_replicate_scores_every_method_and_is_deterministic():
    d = simulate_loadings(n=160, p=40, k=2, sparsity=0.5, noise=0.3, seed=0, anchors=None)
    cfg = LD.TrainConfig(hidden=8, epochs=3, batch_size=40)
    r1 = LD.run_replicate(d, cfg, n_explain=10, n_background=10, n_samples=5, seed=0, device="cpu",
                          keep_attributions=True)
    r2 = LD.run_replicate(d, cfg, n_explain=10, n_background=10, n_samples=5, seed=0, device="cpu")
    assert set(r1.scores["method"]) == set(LD.METHODS)
    assert set(r1.scores["rotation"]) == set(LD.ROTATION_LABELS)
    assert len(r1.scores) == len(LD.METHODS) * len(LD.ROTATION_LABELS) * 2
    assert r1.attributions["vae_shap"].shape == (10, 2, 40)
    assert r1.rotated_attributions("vae_shap", "varimax").shape == (10, 2, 40)
    assert r1.scores["auroc"].between(0, 1).all()
    np.testing.assert_allclose(r1.scores["auroc"], r2.scores["auroc"])
    # FA and PCA, rotated, on a clean 2-factor problem find the loadings
    rotated = r1.scores[(r1.scores.rotation != "none") & r1.scores.method.isin(["fa", "pca"])]
    assert rotated["auroc"].min() > 0.95
    with pytest.raises(ValueError, match="exceeds n"):
        LD.run_replicate(d, cfg, n_explain=100, n_background=100, device="cpu")
    with pytest.raises(ValueError, match="unknown methods"):
        LD.run_replicate(d, cfg, methods=("ica",), device="cpu")
    with pytest.raises(ValueError, match="unknown rotations"):
        LD.run_replicate(d, cfg, rotations=("quartimax",), device="cpu")


def test_sweep_table_and_series_shapes():
    table = LD.sweep({"n": 120, "p": 30, "k": 2, "sparsity": 0.5, "noise": 0.5}, {"noise": [0.5, 1.0]}, [0, 1],
                     LD.TrainConfig(hidden=4, epochs=1, batch_size=60), methods=("pca", "fa"), n_explain=10,
                     n_background=10, n_samples=2, device="cpu", progress=False)
    assert len(table) == 2 * 2 * 2 * 3  # values × seeds × methods × rotations
    xs, series = LD.sweep_series(table, "noise")
    assert xs == [0.5, 1.0]
    assert all(arr.shape == (2, 2) for arr in series.values())
    with pytest.raises(ValueError, match="not in the sweep table"):
        LD.sweep_series(table, "k")


def test_replicates_and_sweep_on_two_workers_match_the_serial_run():
    """Seeds and sweep points are self-seeding jobs on the sweep executor: where they ran changes no number."""
    sim = {"n": 150, "p": 60, "k": 3, "sparsity": 0.8, "noise": 1.0, "anchors": None}  # PCA big enough for
    cfg = LD.TrainConfig(hidden=4, epochs=2, batch_size=75)  # multi-threaded BLAS to change its last bits
    kw = dict(methods=("vae_eg", "linear_vae", "pca"), n_explain=10, n_background=10, n_samples=3, device="cpu",
              progress=False)
    serial, parallel = (LD.run_replicates(sim, [0, 1], cfg, workers=w, **kw) for w in (1, 2))
    assert [r.scores["seed"].iloc[0] for r in parallel] == [0, 1]
    for a, b in zip(serial, parallel):
        pd.testing.assert_frame_equal(a.scores, b.scores, check_exact=True)
        assert a.importances.keys() == b.importances.keys()
        for key in a.importances:
            np.testing.assert_array_equal(a.importances[key], b.importances[key])
        np.testing.assert_array_equal(a.attributions["vae_eg"], b.attributions["vae_eg"])
        untimed = [{k: v for k, v in e.items() if k != "time_s"} for e in a.histories["vae"].epochs]
        assert untimed == [{k: v for k, v in e.items() if k != "time_s"} for e in b.histories["vae"].epochs]
    grid, skw = {"noise": [0.5, 1.0]}, dict(kw, methods=("vae_eg", "pca"))
    tables = [LD.sweep(sim, grid, [0], cfg, workers=w, **skw) for w in (1, 2)]
    assert len(tables[0]) == 2 * 2 * 3  # values × methods × rotations
    pd.testing.assert_frame_equal(tables[0], tables[1], check_exact=True)
