"""Supervised VAE (notebook 04): shapes, the objectives' decomposition (Eqs. 6 and 8), KL and likelihood
against torch.distributions, the KL-divergence attribution (Eq. 9), the invariance test, counterfactuals,
determinism under a seed, captum agreement and bad input."""
from __future__ import annotations

import types

import numpy as np
import pytest
import torch
from scipy.stats import binomtest
from torch import distributions as D

from attrprior.core import attributions as A
from attrprior.papers.nb04_svae import experiment as S
from attrprior.papers.nb04_svae.spec import PAPER_TABLE1
from attrprior.papers.nb04_svae import models as M

torch.set_num_threads(1)
ARCH = dict(width=4, hidden=16)


def tiny_svae(seed: int = 0, size: int = 28, channels: int = 1, double: bool = False) -> M.SVAE:
    torch.manual_seed(seed)
    m = M.SVAE(10, 5, 10, channels, size, **ARCH).eval()
    return m.double() if double else m


def tiny_semi(seed: int = 0, size: int = 28) -> M.SemiVAE:
    torch.manual_seed(seed)
    return M.SemiVAE(15, 10, 1, size, **ARCH).eval()


def batch(n: int = 6, size: int = 28, channels: int = 1, seed: int = 0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, channels, size, size, generator=g, dtype=dtype), torch.randint(0, 10, (n,), generator=g)


# ----------------------------------------------------------------------------- shapes
@pytest.mark.parametrize("size,channels", [(28, 1), (32, 3)])
def test_svae_shapes(size, channels):
    m = tiny_svae(size=size, channels=channels)
    x, y = batch(5, size, channels)
    mu, lv = m.encode(x)
    assert mu.shape == lv.shape == (5, 15)
    assert m.encode_xy(x, y)[0].shape == (5, 15)
    z1, z2 = m.split(mu)
    assert z1.shape == (5, 10) and z2.shape == (5, 5)
    assert m.decode(mu).shape == x.shape
    assert m.classify(z1).shape == (5, 10)
    p = m.predict_proba(x, n_samples=3)
    assert p.shape == (5, 10) and torch.allclose(p.sum(1), torch.ones(5), atol=1e-5)
    assert M.LatentMean(m, "z2")(x).shape == (5, 5)
    assert M.ClassifierLogits(m)(x).shape == (5, 10)


def test_semivae_shapes():
    m = tiny_semi()
    x, y = batch(4)
    assert m.classify_x(x).shape == (4, 10)
    assert m.encode_xy(x, y)[0].shape == (4, 15)
    assert m.decode(y, torch.zeros(4, 15)).shape == x.shape
    assert M.ClassifierLogits(m)(x).shape == (4, 10)


# ----------------------------------------------------------------------------- distributions
def test_kl_and_likelihood_match_torch_distributions():
    g = torch.Generator().manual_seed(3)
    mq, lq, mp, lp = (torch.randn(7, 4, generator=g, dtype=torch.float64) for _ in range(4))
    q = D.Normal(mq, (0.5 * lq).exp())
    p = D.Normal(mp, (0.5 * lp).exp())
    assert torch.allclose(M.kl_normal(mq, lq, mp, lp), D.kl_divergence(q, p).sum(-1))
    std = D.Normal(torch.zeros_like(mq), torch.ones_like(mq))
    assert torch.allclose(M.kl_normal_std(mq, lq), D.kl_divergence(q, std).sum(-1))
    x, mean = torch.rand(3, 1, 4, 4, dtype=torch.float64), torch.rand(3, 1, 4, 4, dtype=torch.float64)
    ls = torch.tensor(-1.3, dtype=torch.float64)
    ref = D.Normal(mean, ls.exp()).log_prob(x).flatten(1).sum(1)
    assert torch.allclose(M.gaussian_log_likelihood(x, mean, ls), ref)


# ----------------------------------------------------------------------------- objectives
@pytest.mark.parametrize("alpha,beta", [(60.0, 0.01), (6000.0, 0.9), (1.0, 1.0), (5.0, 0.0)])
def test_svae_objective_decomposes_as_eq6(alpha, beta):
    m = tiny_svae()
    x, y = batch()
    out = m.objective(x, y, alpha, beta, generator=torch.Generator().manual_seed(1))
    assert all(torch.isfinite(v) for v in out.values())
    elbo = beta * out["recon"] - beta * out["kl_prior"] - (1 - beta) * out["kl_sufficiency"] + alpha * out["log_py"]
    assert torch.allclose(out["elbo"], elbo) and torch.allclose(out["loss"], -elbo)
    assert out["kl_prior"] >= 0 and out["kl_sufficiency"] >= 0 and out["log_py"] <= 0
    out["loss"].backward()
    assert all(p.grad is None or torch.isfinite(p.grad).all() for p in m.parameters())


def test_svae_sufficiency_term_vanishes_when_encoders_agree():
    """KL(q(z|x,y) ‖ q(z|x)) = 0 when both encoders give the same Gaussian."""
    m = tiny_svae()
    m.encode_xy = types.MethodType(lambda self, x, y: self.encode(x), m)
    x, y = batch()
    assert m.objective(x, y, 1.0, 0.5)["kl_sufficiency"].abs() < 1e-6


def test_semivae_objective_is_eq8(monkeypatch):
    """With z fixed at the posterior mean, every term of Eq. 8 can be recomputed class by class."""
    monkeypatch.setattr(M, "reparameterize", lambda mu, lv, generator=None: mu)
    m = tiny_semi()
    x, y = batch(5)
    alpha = 60.0
    out = m.objective(x, y, alpha)
    assert torch.allclose(out["elbo"], out["u_labelled"] + out["u_unlabelled"] + out["entropy"] + alpha * out["log_qy"])
    with torch.no_grad():
        logq = torch.log_softmax(m.classify_x(x), -1)
        U = torch.zeros(5, 10)
        for c in range(10):
            yc = torch.full((5,), c)
            mu, lv = m.encode_xy(x, yc)
            U[:, c] = M.gaussian_log_likelihood(x, m.decode(yc, mu), m.scale()) - M.kl_normal_std(mu, lv)
        u_lab = U[torch.arange(5), y].mean()
        u_unl = (logq.exp() * U).sum(1).mean()
        ent = -(logq.exp() * logq).sum(1).mean()
        ref = u_lab + u_unl + ent + alpha * logq[torch.arange(5), y].mean()
    assert torch.allclose(out["elbo"].detach(), ref, rtol=1e-5, atol=1e-3)


def test_objectives_reject_bad_input():
    m, s = tiny_svae(), tiny_semi()
    x, y = batch()
    with pytest.raises(ValueError, match="shape"):
        m.objective(x[:, :, :20], y, 1.0, 0.5)
    with pytest.raises(ValueError, match="labels"):
        m.objective(x, y + 10, 1.0, 0.5)
    with pytest.raises(ValueError, match="labels"):
        s.objective(x, y.float(), 1.0)
    with pytest.raises(ValueError, match="beta"):
        m.objective(x, y, 1.0, 1.5)
    with pytest.raises(ValueError, match="alpha"):
        m.objective(x, y, 0.0, 0.5)
    with pytest.raises(ValueError, match="NaN"):
        m.objective(x * float("nan"), y, 1.0, 0.5)
    with pytest.raises(ValueError, match="part"):
        M.LatentMean(m, "z3")
    with pytest.raises(ValueError):
        S.RunConfig("vae", 1.0, 0.5)
    with pytest.raises(ValueError):
        S.RunConfig("svae", 1.0, None)
    with pytest.raises(ValueError, match="divisible"):
        M.SVAE(size=30)


# ----------------------------------------------------------------------------- training determinism
def test_training_is_deterministic_under_seed():
    x, y = batch(40, seed=5)
    cfg = S.RunConfig("svae", 60.0, 0.9)
    kw = dict(epochs=1, batch_size=20, device="cpu", **ARCH)
    m1, h1 = S.train_model(cfg, x, y, seed=3, **kw)
    m2, h2 = S.train_model(cfg, x, y, seed=3, **kw)
    m3, _ = S.train_model(cfg, x, y, seed=4, **kw)
    sd1, sd2, sd3 = m1.state_dict(), m2.state_dict(), m3.state_dict()
    assert all(torch.equal(sd1[k], sd2[k]) for k in sd1)
    assert h1.last()["elbo_loss"] == h2.last()["elbo_loss"]
    assert not all(torch.equal(sd1[k], sd3[k]) for k in sd1)


# ----------------------------------------------------------------------------- invariance test
def _toy_adapter(a: int, predict_on_nuisance: bool) -> S.InvarianceAdapter:
    """x = (z1, z2) exactly: encode keeps z1, decode concatenates. The classifier reads z1 (argmax) or
    the sign of the first nuisance coordinate."""
    predict = (lambda x: (x[:, a] > 0).long()) if predict_on_nuisance else (lambda x: x[:, :a].argmax(1))
    return S.InvarianceAdapter(encode=lambda x: x[:, :a], decode=lambda k, z: torch.cat([k, z], 1),
                               predict=predict, nuisance_dim=3)


def test_invariance_is_one_when_z1_is_reconstructed_exactly():
    x = torch.randn(200, 7, generator=torch.Generator().manual_seed(0))
    curve = S.invariance_curve(_toy_adapter(4, False), x, [0.0, 0.1, 1.0, 5.0],
                               generator=torch.Generator().manual_seed(1))
    assert np.all(curve == 1.0)


def test_invariance_is_one_half_when_the_classifier_reads_the_nuisance():
    """Label = sign of a nuisance unit: after resampling it from a symmetric N(0, σ²) the label survives
    with probability exactly 1/2, for every σ > 0."""
    x = torch.randn(2000, 7, generator=torch.Generator().manual_seed(0))
    curve = S.invariance_curve(_toy_adapter(4, True), x, [0.1, 1.0, 5.0], generator=torch.Generator().manual_seed(2))
    assert np.all(np.abs(curve - 0.5) < 4 * np.sqrt(0.25 / 2000))


def test_svae_whose_decoder_ignores_z2_has_a_flat_curve():
    m = tiny_svae()
    with torch.no_grad():
        m.decoder.net[0].weight[:, m.z1_dim:] = 0.0
    x, _ = batch(30)
    kept = S.invariance_test(S.adapter(m, n_mc=0), x, [0.1, 1.0, 5.0], generator=torch.Generator().manual_seed(0))
    assert np.all(kept == kept[0:1])
    out = S.invariant_samples(S.adapter(m), x[:3], 2.0, 4, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(out["l2_reconstruction"], torch.zeros(3, 4), atol=1e-5)


def test_invariance_rejects_bad_sigmas():
    with pytest.raises(ValueError):
        S.invariance_curve(_toy_adapter(4, False), torch.zeros(3, 7), [-1.0])
    with pytest.raises(ValueError):
        S.invariance_curve(_toy_adapter(4, False), torch.zeros(3, 7), [])


# ----------------------------------------------------------------------------- KL attribution (Eq. 9)
def test_kl_divergence_is_zero_at_the_original_and_nonnegative():
    m = tiny_svae(double=True)
    x, _ = batch(5, dtype=torch.float64)
    for part in ("z1", "z2"):
        f = M.KLDivergence(m, x[:1], part)
        with torch.no_grad():
            assert f(x[:1]).abs().item() < 1e-10
            assert (f(x[1:]) >= 0).all()


def test_kl_attribution_is_zero_when_sample_equals_baseline_and_complete_for_ig():
    m = tiny_svae(double=True)
    x, _ = batch(4, dtype=torch.float64)
    x0 = x[:1]
    same, d0 = S.kl_attribution(m, x0, x0.clone(), "z2", generator=torch.Generator().manual_seed(0))
    assert torch.all(same == 0) and d0.abs().item() < 1e-10
    for part in ("z1", "z2"):
        gaps = [((S.kl_attribution(m, x0, x[1:], part, method="integrated_gradients", n_steps=n)[0].flatten(1).sum(1)
                  - d) / d).abs().max().item() for n in (16, 256) for d in [S.KLDivergence(m, x0, part)(x[1:]).detach()]]
        assert gaps[1] < 5e-3 and gaps[1] < gaps[0]  # completeness (ReLU kinks: quadrature error shrinks with steps)
    gs, d = S.kl_attribution(m, x0, x[1:], "z1", n_samples=4000, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(gs.flatten(1).sum(1), d, rtol=0.1, atol=1e-4)  # GradientShap: complete in expectation
    with pytest.raises(ValueError, match="single"):
        S.kl_attribution(m, x[:2], x[1:], "z1")


# ----------------------------------------------------------------------------- attributions vs captum
def test_classifier_ig_matches_captum():
    from captum.attr import IntegratedGradients

    m = tiny_svae(double=True)
    x, _ = batch(3, dtype=torch.float64)
    f = M.ClassifierLogits(m)
    ours = A.integrated_gradients(f, x, torch.zeros_like(x[:1]), target=2, n_steps=20)
    theirs = IntegratedGradients(f).attribute(x, torch.zeros_like(x), target=2, n_steps=20, method="gausslegendre")
    assert torch.allclose(ours, theirs, atol=1e-8)
    maps = S.classifier_attributions(m, x, torch.tensor([1, 2, 3]), x, n_steps=8, n_samples=4,
                                     generator=torch.Generator().manual_seed(0))
    assert set(maps) == set(S.ATTRIBUTION_METHODS) and all(v.shape == x.shape for v in maps.values())
    assert (maps["gradients"] >= 0).all()


# ----------------------------------------------------------------------------- counterfactuals & helpers
def test_counterfactuals_at_t0_are_reconstructions():
    m = tiny_svae()
    x, y = batch(20)
    cent = torch.randn(10, 10, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        cf = S.counterfactuals(m, x[:3], cent, steps=[0.0])
        recon = m.decode(m.encode(x[:3])[0])
    assert cf["images"].shape == (3, 10, 1, 28, 28)
    assert torch.allclose(cf["images"], recon.unsqueeze(1).expand_as(cf["images"]))
    assert torch.equal(cf["success"], cf["predicted"] == torch.arange(10).view(1, 10))
    with pytest.raises(ValueError, match="classes"):
        S.class_centroids(m, x, torch.zeros(20, dtype=torch.long))


def test_traversal_centre_is_the_decoded_mean():
    m = tiny_svae()
    x, _ = batch(1)
    with torch.no_grad():
        grid = S.traversal_grid(m, x, (0, 3), [-1.0, 0.0, 1.0])
        assert grid.shape == (3, 3, 1, 28, 28)
        assert torch.allclose(grid[1, 1], m.decode(m.encode(x)[0])[0])
    with pytest.raises(ValueError):
        S.traversal_grid(m, x, (0, 5), [0.0])


def test_evaluate_matches_manual_accuracy():
    m = tiny_semi()
    x, y = batch(30)
    res = S.evaluate(m, x, y, batch_size=7, per_image=True)
    with torch.no_grad():
        acc = 100 * (m.classify_x(x).argmax(1) == y).float().mean().item()
    assert res["accuracy"] == pytest.approx(acc)
    assert res["R"] == pytest.approx(float(np.mean(res["R_per_image"])), rel=1e-5)


def test_mcnemar_matches_binomial():
    a = np.array([1, 1, 1, 1, 0, 1, 0, 1, 1, 1], bool)
    b = np.array([0, 0, 1, 0, 0, 1, 1, 0, 1, 1], bool)
    p, na, nb = S.mcnemar_one_sided(a, b)
    assert (na, nb) == (4, 1)
    assert p == pytest.approx(binomtest(4, 5, 0.5, alternative="greater").pvalue)
    assert S.mcnemar_one_sided(a, a)[0] == 1.0
    with pytest.raises(ValueError):
        S.mcnemar_one_sided(a, b[:3])


def test_grid_labels_match_the_transcribed_paper_table():
    for name, (a1, a2, table) in PAPER_TABLE1.items():
        labels = [c.label for c in S.table1_grid([a1, a2], [0.01, 0.9])]
        assert sorted(labels) == sorted(table), name


def test_dataset_tensors_handles_hwc_and_chw():
    cifar = types.SimpleNamespace(data=np.full((4, 32, 32, 3), 255, np.uint8), targets=[0, 1, 2, 3])
    svhn = types.SimpleNamespace(data=np.zeros((4, 3, 32, 32), np.uint8), labels=np.array([9, 8, 7, 6]))
    for ds in (cifar, svhn):
        x, y = S.dataset_tensors(ds, limit=3)
        assert x.shape == (3, 3, 32, 32) and y.dtype == torch.int64 and float(x.max()) <= 1.0


def test_grid_on_two_workers_matches_the_serial_run():
    """Each (configuration, seed) is a self-seeding job on the sweep executor: where it ran changes no number."""
    import pandas as pd

    from attrprior.papers.nb04_svae.grid import run_grid

    train, test = batch(40, seed=5), batch(20, seed=6)
    configs = [S.RunConfig("svae", 60.0, 0.9), S.RunConfig("semivae", 60.0)]
    kw = dict(epochs=1, batch_size=20, lr=3e-3, n_mc=2, arch=ARCH, device="cpu", progress=False)
    serial, parallel = (run_grid(configs, [0, 1], train, test, test[0][:10], [0.5, 2.0], workers=w, **kw)
                        for w in (1, 2))
    untimed = [pd.DataFrame(g.records).drop(columns="train_s") for g in (serial, parallel)]
    assert list(untimed[0].seed) == [0, 0, 1, 1] and list(untimed[0].model) == [c.label for c in configs] * 2
    pd.testing.assert_frame_equal(*untimed, check_exact=True)
    assert serial.models.keys() == parallel.models.keys()
    for key, model in serial.models.items():
        a, b = model.state_dict(), parallel.models[key].state_dict()
        assert all(torch.equal(a[k], b[k]) for k in a)
        da, db = serial.details[key], parallel.details[key]
        assert all(np.array_equal(da[k], db[k]) for k in ("correct", "R", "kept"))
        assert da["history"].drop(columns="time_s").equals(db["history"].drop(columns="time_s"))
