"""Notebook 01's library code: the Burgess VAE and its losses, the latent-saliency metrics, the
prior-training runner (both gradient modes) and the seed statistics (verdict rules: test_nb01_verdicts.py)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from attrprior.core.attributions import latent_attributions
from attrprior.papers.nb01_unsupervised_priors.saliency_metrics import (latent_shares, salient_features, saliency_entropy, saliency_metrics,
                                      saliency_pearson, saliency_tv, saliency_tv_relative)
from attrprior.papers.nb01_unsupervised_priors.vae import VAE, VAELoss, bernoulli_recon, kl_normal, tc_decomposition
from attrprior.core.priors import LatentEntropy, LatentPearson
from attrprior.papers.nb01_unsupervised_priors.sweep import (RunSpec, TrainSettings, build_grid, prior_penalty, run_sweep, saliency_maps,
                                    sweep_store, train_vae, training_saliency, warm_start)
from attrprior.papers.nb01_unsupervised_priors.analysis import contrast, relative_effects, welch


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def digits(n: int, seed: int = 0) -> torch.Tensor:
    """Sparse 'digit-like' images: zeros with a random bright blob (so many pixels are exactly 0)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(n, 1, 32, 32)
    for i in range(n):
        r, c = torch.randint(6, 20, (2,), generator=g).tolist()
        x[i, 0, r:r + 10, c:c + 6] = torch.rand(10, 6, generator=g)
    return x


# --------------------------------------------------------------------------- model and losses
def test_vae_shapes_and_finite_elbo():
    torch.manual_seed(0)
    vae, x = VAE(latent_dim=3), digits(8)
    out = vae(x)
    assert out.logits.shape == x.shape and out.mu.shape == (8, 3) and out.logvar.shape == (8, 3)
    assert out.z.shape == (8, 3)
    assert vae.encoder_mu(x).shape == (8, 3)
    assert torch.equal(vae.encoder_mu(x), vae.encode(x)[0]) and torch.equal(vae.logvar(x), vae.encode(x)[1])
    loss, logs = VAELoss("vae")(out, x)
    assert torch.isfinite(loss) and loss.dim() == 0 and logs["recon"] > 0 and logs["kl"] >= 0
    vae.eval()
    assert torch.equal(vae(x).z, vae(x).mu)  # no sampling in eval mode
    # the μ-only view shares parameters and is not registered twice
    assert not any(k.startswith("encoder_mu") for k in vae.state_dict())
    assert vae.encoder_mu.encoder is vae.encoder


def test_vae_rejects_wrong_image_size():
    with pytest.raises(ValueError, match="32, 32"):
        VAE(3)(torch.zeros(2, 1, 28, 28))
    with pytest.raises(ValueError):
        VAE(3, img_size=64)
    with pytest.raises(ValueError, match="n_data"):
        VAELoss("beta_tcvae", beta=4)
    with pytest.raises(ValueError, match="unknown"):
        VAELoss("dip_vae")


def test_bernoulli_recon_and_kl_match_formulas():
    g = torch.Generator().manual_seed(1)
    logits, x = torch.randn(4, 1, 32, 32, generator=g), torch.rand(4, 1, 32, 32, generator=g)
    p = torch.sigmoid(logits).double().numpy()
    xn = x.double().numpy()
    ref = -(xn * np.log(p) + (1 - xn) * np.log(1 - p)).reshape(4, -1).sum(1)
    np.testing.assert_allclose(bernoulli_recon(logits, x, "none").numpy(), ref, rtol=1e-4)
    np.testing.assert_allclose(float(bernoulli_recon(logits, x)), ref.mean(), rtol=1e-4)
    mu, lv = torch.randn(5, 3, generator=g), torch.randn(5, 3, generator=g)
    ref_kl = (0.5 * (mu.numpy() ** 2 + np.exp(lv.numpy()) - 1 - lv.numpy())).sum(1).mean()
    np.testing.assert_allclose(float(kl_normal(mu, lv)), ref_kl, rtol=1e-5)


def test_tc_decomposition_sums_and_tc_nonnegative():
    g = torch.Generator().manual_seed(2)
    tcs, kls, analytic = [], [], []
    for _ in range(50):
        mu, lv = torch.randn(64, 3, generator=g), 0.5 * torch.randn(64, 3, generator=g)
        z = mu + torch.exp(0.5 * lv) * torch.randn(64, 3, generator=g)
        t = tc_decomposition(z, mu, lv, n_data=8000)
        torch.testing.assert_close(t["mi"] + t["tc"] + t["dwkl"], t["kl"])  # total = sum of the terms
        tcs.append(float(t["tc"]))
        kls.append(float(t["kl"]))
        analytic.append(float(kl_normal(mu, lv)))
    assert np.mean(tcs) >= -0.05  # total correlation is a KL: non-negative on average
    assert abs(np.mean(kls) - np.mean(analytic)) < 0.1 * np.mean(analytic)  # unbiased one-sample KL
    with pytest.raises(ValueError):
        tc_decomposition(torch.zeros(1, 3), torch.zeros(1, 3), torch.zeros(1, 3), n_data=10)


def test_beta_losses_weight_their_terms():
    torch.manual_seed(3)
    vae, x = VAE(3), digits(16)
    out = vae(x)
    plain, logs = VAELoss("vae")(out, x)
    beta4, _ = VAELoss("beta_vae", beta=4)(out, x)
    torch.testing.assert_close(beta4 - plain, torch.tensor(3 * logs["kl"]), atol=1e-3, rtol=1e-4)
    tc1, l1 = VAELoss("beta_tcvae", beta=1, n_data=1000)(out, x)
    tc5, _ = VAELoss("beta_tcvae", beta=5, n_data=1000)(out, x)
    torch.testing.assert_close(tc5 - tc1, torch.tensor(4 * l1["tc"]), atol=1e-3, rtol=1e-4)


# --------------------------------------------------------------------------- metrics
def test_metrics_match_direct_numpy_formulas():
    rng = np.random.default_rng(0)
    sal = np.abs(rng.normal(size=(5, 3, 1, 8, 8))) * (rng.random((5, 1, 1, 8, 8)) > 0.4)  # zero pixels
    # TV: Σ |Δh| + |Δw| over latents and pixels, mean over images
    ref_tv = (np.abs(np.diff(sal, axis=-2)).sum() + np.abs(np.diff(sal, axis=-1)).sum()) / 5
    assert saliency_tv(sal) == pytest.approx(ref_tv, rel=1e-5)
    assert saliency_tv_relative(sal) == pytest.approx(ref_tv * 5 / sal.sum(), rel=1e-5)
    # entropy over salient pixels (lfxai's entropy_saliency)
    per_pixel = np.moveaxis(sal, 1, -1).reshape(-1, 3)
    per_pixel = per_pixel[per_pixel.sum(1) > 0]
    assert saliency_entropy(sal) == pytest.approx(stats.entropy(per_pixel, axis=1).mean(), rel=1e-4)
    # Pearson pooled over samples and pixels (lfxai's pearson_saliency)
    corr = np.corrcoef(np.swapaxes(sal, 0, 1).reshape(3, -1))
    assert saliency_pearson(sal) == pytest.approx((corr.sum() - np.trace(corr)) / 6, rel=1e-4)
    shares = latent_shares(sal)
    np.testing.assert_allclose(np.sort(sal.sum((0, 2, 3, 4)) / sal.sum())[::-1], shares, rtol=1e-5)
    assert set(saliency_metrics(sal)) == {"tv", "tv_rel", "entropy", "pearson", "top_share"}


def test_metric_properties_and_errors():
    rng = np.random.default_rng(1)
    sal = torch.as_tensor(np.abs(rng.normal(size=(4, 3, 1, 8, 8))), dtype=torch.float32)
    assert saliency_tv(3 * sal) == pytest.approx(3 * saliency_tv(sal), rel=1e-5)
    assert saliency_tv_relative(3 * sal) == pytest.approx(saliency_tv_relative(sal), rel=1e-5)
    one_latent = torch.zeros_like(sal)
    one_latent[:, 1] = sal[:, 1]
    assert saliency_entropy(one_latent) == pytest.approx(0.0, abs=1e-6)
    equal = sal[:, :1].expand(-1, 3, -1, -1, -1)
    assert saliency_entropy(equal) == pytest.approx(np.log(3), rel=1e-5)
    assert saliency_pearson(equal) == pytest.approx(1.0, rel=1e-5)
    assert salient_features(one_latent).shape == (4 * 64, 3, 1)
    with pytest.raises(ValueError, match="undefined"):
        saliency_entropy(torch.zeros(2, 3, 1, 4, 4))
    with pytest.raises(ValueError):
        saliency_tv(torch.ones(2, 3))
    with pytest.raises(ValueError, match="NaN"):
        saliency_pearson(torch.full((2, 3, 1, 4, 4), float("nan")))


# --------------------------------------------------------------------------- training with priors
def test_mu_only_has_no_gradient_path_through_the_attribution():
    torch.manual_seed(4)
    vae, x = VAE(3), digits(6)
    enc, params = vae.encoder_mu, list(vae.encoder.parameters())
    prior = LatentPearson()

    def grads(mode):
        sal = training_saliency(enc, x, mode, n_samples=2, generator=torch.Generator().manual_seed(0))
        return torch.autograd.grad(prior(sal), params, allow_unused=True)

    mu_only, full = grads("mu_only"), grads("full")
    # μ-only = the gradient of Ω(|μ · A|) with A a precomputed constant
    attr = latent_attributions(enc, x, baselines=torch.zeros_like(x[:1]), n_samples=2,
                               generator=torch.Generator().manual_seed(0)).detach()
    assert not attr.requires_grad
    const = torch.autograd.grad(prior((enc(x)[:, :, None, None, None] * attr).abs()), params)
    for a, b in zip(mu_only, const):
        torch.testing.assert_close(a, b)
    diff = sum(float((a - b).abs().sum()) for a, b in zip(mu_only, full))
    assert diff > 1e-3 * sum(float(a.abs().sum()) for a in full)  # the second-order path changes the gradient
    with pytest.raises(ValueError, match="mode"):
        training_saliency(enc, x, "half", 2)


SETTINGS = TrainSettings(epochs=6, warmup_epochs=0, batch_size=16, n_samples=1, prior_batch=16, device="cpu")


@pytest.mark.parametrize("prior,mode,lam", [("pearson", "mu_only", 20.0), ("entropy", "full", 20.0)])
def test_prior_lowers_its_own_value(prior, mode, lam):
    x = digits(48, seed=5)
    penalty = prior_penalty(prior)
    values = {}
    for spec in (RunSpec("vae", 0), RunSpec("prior", 0, prior, lam, mode)):
        vae, _ = train_vae(spec, x, SETTINGS)
        sal = saliency_maps(vae, x, n_samples=2, seed=0)
        values[spec.kind] = float(penalty(sal))
    assert values["prior"] < values["vae"] - 0.02, values


def test_training_is_deterministic_and_warm_start_is_shared():
    x = digits(32, seed=6)
    s = TrainSettings(epochs=1, warmup_epochs=1, batch_size=16, n_samples=1, prior_batch=8, device="cpu")
    w1, w2 = warm_start(3, x, s), warm_start(3, x, s)
    for k in w1["model"]:
        assert torch.equal(w1["model"][k], w2["model"][k])
    run = RunSpec("prior", 3, "total_variation", 0.01, "full")
    a, _ = train_vae(run, x, s, w1)
    b, _ = train_vae(run, x, s, w2)
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(va, vb), k
    a2, _ = train_vae(run, x, s, w1)  # the shared warm start is not consumed by the runs that use it
    for (k, va), vb in zip(a.state_dict().items(), a2.state_dict().values()):
        assert torch.equal(va, vb), k
    c, _ = train_vae(RunSpec("prior", 4, "total_variation", 0.01, "full"), x, s, warm_start(4, x, s))
    assert not torch.equal(a.encoder.conv1.weight, c.encoder.conv1.weight)


def test_tv_penalty_scales_to_the_batch_and_entropy_uses_salient_pixels():
    sal = torch.rand(4, 3, 1, 8, 8)
    sal[:, :, :, :4] = 0  # half the pixels have no saliency
    assert float(prior_penalty("total_variation", batch_scale=2.5)(sal)) == pytest.approx(
        2.5 * float(prior_penalty("total_variation")(sal)), rel=1e-6)
    assert float(prior_penalty("entropy")(sal)) == pytest.approx(saliency_entropy(sal), rel=1e-5)
    assert float(prior_penalty("entropy")(sal)) > float(LatentEntropy()(sal))  # zeros would dilute it
    with pytest.raises(ValueError):
        prior_penalty("l1")


# --------------------------------------------------------------------------- grid and statistics
def test_run_specs_and_grid():
    with pytest.raises(ValueError):
        RunSpec("prior", 0, "pearson", 0.0, "full")  # λ = 0 is the shared baseline
    with pytest.raises(ValueError):
        RunSpec("prior", 0, "pearson", 1.0, "both")
    with pytest.raises(ValueError):
        RunSpec("gan", 0)
    runs = build_grid([0, 1], {"pearson": [0, 1, 10], "entropy": [5]}, ["mu_only", "full"], [1, 4], [4])
    assert len(runs) == 2 * (1 + 3 * 2 + 1 + 1)
    assert sum(r.kind == "vae" for r in runs) == 2  # one shared λ = 0 model per seed
    assert not any(r.kind == "beta_vae" and r.beta == 1 for r in runs)


def test_contrast_and_welch_against_scipy():
    frame = pd.DataFrame({
        "kind": ["vae"] * 3 + ["prior"] * 3, "prior": [""] * 3 + ["pearson"] * 3, "lam": [0.0] * 3 + [10.0] * 3,
        "mode": [""] * 3 + ["full"] * 3, "beta": [1.0] * 6, "seed": [0, 1, 2] * 2, "status": ["ok"] * 6,
        "pearson": [0.30, 0.28, 0.26, 0.10, 0.07, 0.13]})
    c = contrast(frame, "pearson", "less", kind="prior", prior="pearson", lam=10.0, mode="full")
    ref = stats.ttest_ind([0.10, 0.07, 0.13], [0.30, 0.28, 0.26], equal_var=False, alternative="less")
    assert c["p"] == pytest.approx(ref.pvalue) and c["t"] == pytest.approx(ref.statistic)
    assert c["mean"] == pytest.approx(0.10) and c["base_mean"] == pytest.approx(0.28)
    assert c["factor"] == pytest.approx(np.mean([3.0, 4.0, 2.0]))
    assert c["rel_change"] == pytest.approx(np.mean([0.1 / 0.3 - 1, 0.07 / 0.28 - 1, 0.13 / 0.26 - 1]))
    eff = relative_effects(frame, "pearson", "pearson", "full", [10.0])
    np.testing.assert_allclose(eff[:, 0], [0.1 / 0.3 - 1, 0.07 / 0.28 - 1, 0.13 / 0.26 - 1])
    assert np.isnan(welch([1.0], [2.0, 3.0])[1])
    with pytest.raises(ValueError, match="no runs"):
        contrast(frame, "pearson", "less", kind="prior", prior="entropy")


def test_sweep_rows_and_maps():
    x = digits(40, seed=7)
    s = TrainSettings(epochs=1, warmup_epochs=1, batch_size=16, n_samples=1, prior_batch=8, device="cpu")
    runs = [RunSpec("vae", 0), RunSpec("prior", 0, "pearson", 5.0, "mu_only"), RunSpec("beta_tcvae", 0, beta=4.0)]
    res = run_sweep(runs + runs[:1], x[:32], x[32:], s, n_samples_eval=1, keep_maps=3, progress=False)
    assert len(res.frame) == 3 and (res.frame.status == "ok").all()
    assert res.frame[["recon", "tv", "entropy", "pearson", "mu_rms"]].notna().all().all()
    assert res.maps[runs[1]].shape == (3, 3, 1, 32, 32)


def test_saved_maps_round_trip(tmp_path):
    from attrprior.papers.nb01_unsupervised_priors.analysis import load_maps, save_maps

    runs = [RunSpec("vae", 0), RunSpec("prior", 0, "total_variation", 0.001, "full"),
            RunSpec("beta_tcvae", 0, beta=2.5), RunSpec("vae", 1)]
    maps = {r: torch.rand(2, 3, 1, 8, 8) for r in runs}
    images = torch.rand(2, 1, 8, 8)
    save_maps(maps, images, tmp_path / "maps.npz", seeds=[0])
    back, images_back = load_maps(tmp_path / "maps.npz")
    torch.testing.assert_close(images_back, images, atol=1e-3, rtol=1e-3)
    assert set(back) == set(runs[:3])  # seed 1 not kept
    for r in runs[:3]:
        torch.testing.assert_close(back[r], maps[r], atol=1e-3, rtol=1e-3)  # float16 storage


def test_sweep_in_two_processes_matches_serial():
    x = digits(40, seed=8)
    s = TrainSettings(epochs=1, warmup_epochs=1, batch_size=16, n_samples=1, prior_batch=8, device="cpu")
    runs = [RunSpec("vae", 0), RunSpec("prior", 0, "total_variation", 0.1, "full"), RunSpec("vae", 1)]
    one = run_sweep(runs, x[:32], x[32:], s, n_samples_eval=1, keep_maps=2, progress=False)
    two = run_sweep(runs, x[:32], x[32:], s, n_samples_eval=1, keep_maps=2, progress=False, workers=2)
    cols = ["kind", "seed", "prior", "lam", "mode", "status", "recon", "tv", "entropy", "pearson", "train_loss"]
    pd.testing.assert_frame_equal(one.frame[cols], two.frame[cols])
    for run in runs:
        torch.testing.assert_close(one.maps[run], two.maps[run], rtol=0, atol=0)


def test_configuration_groups_cover_every_run():
    from attrprior.papers.nb01_unsupervised_priors.figures import configuration_groups

    frame = pd.DataFrame({"kind": ["vae", "prior", "prior", "beta_vae", "beta_tcvae", "vae"],
                          "prior": ["", "pearson", "total_variation", "", "", ""], "lam": [0, 10.0, 0.1, 0, 0, 0],
                          "mode": ["", "mu_only", "full", "", "", ""], "beta": [1, 1, 1, 5.0, 2.0, 1],
                          "seed": [0, 0, 0, 0, 0, 1]})
    groups = configuration_groups(frame)
    assert list(groups) == ["VAE\nλ=0", "TV λ=0.1\nfull", "Pearson λ=10\nmu_only", "β-VAE\nβ=5",
                            "β-TCVAE\nβ=2"]
    assert sum(len(g) for g in groups.values()) == len(frame) and len(groups["VAE\nλ=0"]) == 2


def test_sweep_store_resumes_without_retraining(tmp_path):
    x = digits(40, seed=9)
    s = TrainSettings(epochs=1, warmup_epochs=1, batch_size=16, n_samples=1, prior_batch=8, device="cpu")
    runs = [RunSpec("vae", 0), RunSpec("prior", 0, "pearson", 5.0, "mu_only")]
    store = sweep_store(tmp_path, x[:32], x[32:], s, n_samples_eval=1, keep_maps=2)
    first = run_sweep(runs[:1], x[:32], x[32:], s, n_samples_eval=1, keep_maps=2, progress=False, store=store)
    assert len(store) == 1 and not first.frame.from_store.any()
    both = run_sweep(runs, x[:32], x[32:], s, n_samples_eval=1, keep_maps=2, progress=False, store=store)
    assert both.frame.from_store.tolist() == [True, False] and len(store) == 2
    plain = run_sweep(runs, x[:32], x[32:], s, n_samples_eval=1, keep_maps=2, progress=False)
    cols = ["recon", "tv", "entropy", "pearson", "train_loss"]
    pd.testing.assert_frame_equal(both.frame[cols], plain.frame[cols])  # resumed == trained in one go
    torch.testing.assert_close(both.maps[runs[0]], plain.maps[runs[0]], rtol=0, atol=0)
    other = sweep_store(tmp_path, x[:32], x[32:], TrainSettings(**{**vars(s), "epochs": 2}), n_samples_eval=1,
                        keep_maps=2)
    assert other.get({"kind": "vae", "seed": 0}) is None and other.path(vars(runs[0])) != store.path(vars(runs[0]))
