"""Attribution core: axioms, agreement with captum and shap, second-order gradients, bad input."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from attrprior.core import attributions as A
from attrprior.core.priors import GiniSparsity, TotalVariation

torch.set_num_threads(1)


def mlp(seed: int = 0, d_in: int = 5, d_out: int = 3) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(d_in, 8), nn.Tanh(), nn.Linear(8, d_out)).double()


@pytest.fixture
def data():
    g = torch.Generator().manual_seed(1)
    return torch.randn(6, 5, generator=g, dtype=torch.float64), torch.randn(6, 5, generator=g, dtype=torch.float64)


# ----------------------------------------------------------------------------- axioms
@pytest.mark.parametrize("method", ["gausslegendre", "riemann_trapezoid", "riemann_middle"])
def test_ig_completeness_improves_with_steps(data, method):
    model, (x, b) = mlp(), data
    gaps = [A.completeness_gap(model, x, b, A.integrated_gradients(model, x, b, target=1, n_steps=n,
                                                                  method=method), target=1).abs().max().item()
            for n in (4, 64)]
    assert gaps[1] < 1e-3
    assert gaps[1] <= gaps[0] + 1e-12


def test_eg_completeness_in_expectation(data):
    """E[Σφ_EG] = f(x) − E_{x'} f(x'): the gap shrinks like 1/sqrt(k)."""
    model, (x, _) = mlp(), data
    pool = torch.randn(8, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        target_gap = model(x)[:, 0] - model(pool)[:, 0].mean()
    errs = []
    for k in (4, 4000):
        eg = A.expected_gradients(model, x, pool, target=0, n_samples=k, generator=torch.Generator().manual_seed(3))
        errs.append((eg.sum(1) - target_gap).abs().max().item())
    assert errs[1] < 0.05 and errs[1] < errs[0]


def test_sensitivity_feature_unused_gets_zero(data):
    """A feature the model ignores gets exactly zero attribution (sensitivity / dummy axiom)."""
    x, b = data
    model = mlp()
    with torch.no_grad():
        model[0].weight[:, 2] = 0
    for attr in (A.integrated_gradients(model, x, b, target=0),
                 A.expected_gradients(model, x, b, target=0, n_samples=10),
                 A.gradients(model, x, target=0)):
        assert torch.all(attr[:, 2] == 0)


def test_symmetry_on_symmetric_function():
    """f(x) = tanh(x0 + x1) · x2: swapping x0 and x1 swaps their attributions; equal inputs, equal credit."""
    model = lambda z: (torch.tanh(z[:, 0] + z[:, 1]) * z[:, 2]).unsqueeze(1)  # noqa: E731
    x = torch.tensor([[0.7, 0.7, 1.3], [-0.2, -0.2, 0.5]], dtype=torch.float64)
    attr = A.integrated_gradients(model, x, torch.zeros(1, 3, dtype=torch.float64), n_steps=32)
    assert torch.allclose(attr[:, 0], attr[:, 1], atol=1e-10)


def test_implementation_invariance(data):
    """Two networks computing the same function (one with a split, permuted hidden layer) agree."""
    x, b = data
    f1 = mlp()
    f2 = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 3)).double()
    perm = torch.randperm(8, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        f2[0].weight.copy_(torch.cat([f1[0].weight[perm], f1[0].weight[perm]]))
        f2[0].bias.copy_(torch.cat([f1[0].bias[perm], f1[0].bias[perm]]))
        f2[2].weight.copy_(torch.cat([f1[2].weight[:, perm], f1[2].weight[:, perm]], 1) / 2)
        f2[2].bias.copy_(f1[2].bias)
    assert torch.allclose(f1(x), f2(x))
    for fn in (lambda m: A.integrated_gradients(m, x, b, target=2),
               lambda m: A.expected_gradients(m, x, b, target=2, n_samples=4,
                                              generator=torch.Generator().manual_seed(5))):
        assert torch.allclose(fn(f1), fn(f2), atol=1e-10)


def test_linearity_closed_form_on_linear_model(data):
    """For f(x) = w·x: IG = w ⊙ (x − b); EG = w ⊙ (x − mean of drawn references)."""
    x, b = data
    lin = nn.Linear(5, 1).double()
    w = lin.weight.detach()[0]
    assert torch.allclose(A.integrated_gradients(lin, x, b, n_steps=3), w * (x - b), atol=1e-12)
    idx = torch.randint(6, (6, 7), generator=torch.Generator().manual_seed(0))
    eg = A.expected_gradients(lin, x, b, n_samples=7, ref_indices=idx, alphas=torch.rand(6, 7, dtype=torch.float64))
    assert torch.allclose(eg, w * (x - b[idx].mean(1)), atol=1e-12)
    assert torch.allclose(A.input_x_gradient(lin, x), w * x)


def test_label_free_equals_weighted_sum_of_latent_attributions(data):
    x, _ = data
    enc = mlp(3)
    zeros = torch.zeros(1, 5, dtype=torch.float64)
    lat = A.latent_attributions(enc, x, method="integrated_gradients", baselines=zeros, n_steps=16)
    lf = A.label_free(enc, x, method="integrated_gradients", baselines=zeros, n_steps=16)
    mu = enc(x).detach()
    assert torch.allclose(lf, (mu.unsqueeze(-1) * lat).sum(1), atol=1e-12)


def test_latent_saliency_graph_modes(data):
    """Same values in all three modes; the gradient flows through nothing, μ only, or μ and the attribution."""
    x, _ = data
    enc = mlp(3)
    zeros = torch.zeros(1, 5, dtype=torch.float64)
    kw = dict(method="integrated_gradients", baselines=zeros, n_steps=8)
    const = A.latent_saliency(enc, x, **kw)
    mu_only = A.latent_saliency(enc, x, mu_grad=True, **kw)
    full = A.latent_saliency(enc, x, create_graph=True, **kw)
    assert torch.allclose(const, mu_only) and torch.allclose(const, full)
    assert not const.requires_grad and mu_only.requires_grad and full.requires_grad
    attr = A.latent_attributions(enc, x, **kw).detach()
    w = enc[0].weight
    g_mu = torch.autograd.grad(mu_only.sum(), w)[0]
    g_ref = torch.autograd.grad((enc(x).unsqueeze(-1) * attr).abs().sum(), w)[0]
    g_full = torch.autograd.grad(full.sum(), w)[0]
    assert torch.allclose(g_mu, g_ref, atol=1e-12) and not torch.allclose(g_full, g_mu, atol=1e-6)
    with pytest.raises(ValueError, match="mu_grad"):
        A.latent_saliency(enc, x, mu_grad=True, create_graph=True, **kw)


# ----------------------------------------------------------------------------- agreement with captum / shap
@pytest.mark.parametrize("method", ["riemann_left", "riemann_right", "riemann_middle", "gausslegendre"])
def test_ig_matches_captum(data, method):
    from captum.attr import IntegratedGradients

    model, (x, b) = mlp(), data
    ours = A.integrated_gradients(model, x, b, target=1, n_steps=20, method=method)
    theirs = IntegratedGradients(model).attribute(x, b, target=1, n_steps=20, method=method)
    assert torch.allclose(ours, theirs, atol=1e-5)


def test_ig_trapezoid_is_the_exact_rule_captum_scales_by_n_minus_1_over_n(data):
    """captum's riemann_trapezoid uses step 1/n (weights sum to (n−1)/n); ours uses 1/(n−1) (sum 1).
    The two differ by exactly that factor; ours satisfies completeness, captum's does not."""
    from captum.attr import IntegratedGradients

    model, (x, b) = mlp(), data
    n = 10
    ours = A.integrated_gradients(model, x, b, target=1, n_steps=n, method="riemann_trapezoid")
    theirs = IntegratedGradients(model).attribute(x, b, target=1, n_steps=n, method="riemann_trapezoid")
    assert torch.allclose(theirs, ours * (n - 1) / n, atol=1e-10)


def test_eg_with_fixed_draws_matches_captum_gradient_shap(data):
    from captum.attr import GradientShap

    model, (x, _) = mlp(), data
    pool = torch.randn(7, 5, dtype=torch.float64)
    B, k = x.shape[0], 6
    np.random.seed(3)
    theirs = GradientShap(model).attribute(x, pool, target=0, n_samples=k, stdevs=0.0)
    np.random.seed(3)  # captum draws baselines with np.random.choice, then α with np.random.uniform
    idx = torch.as_tensor(np.random.choice(7, k * B)).view(B, k)
    alphas = torch.as_tensor(np.random.uniform(0, 1, k * B)).view(B, k)
    ours = A.expected_gradients(model, x, pool, target=0, n_samples=k, ref_indices=idx, alphas=alphas)
    assert torch.allclose(ours, theirs, atol=1e-5)


def test_latent_attributions_match_captum_loop(data):
    from captum.attr import IntegratedGradients

    x, _ = data
    enc = mlp(4)
    zeros = torch.zeros(1, 5, dtype=torch.float64)
    lat = A.latent_attributions(enc, x, method="integrated_gradients", baselines=zeros, n_steps=12)
    for j in range(3):
        ref = IntegratedGradients(enc).attribute(x, zeros, target=j, n_steps=12)
        assert torch.allclose(lat[:, j], ref, atol=1e-10)


def test_eg_agrees_with_shap_gradient_explainer_in_expectation():
    """Both estimate the same expectation with independent draws. With 2000 samples per input the
    Monte-Carlo standard error of each attribution is < 0.01 for this net (|∇f|·|x−x'| ≲ 1), so
    the two must agree within 0.05 (5 standard errors of the difference)."""
    import shap

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
    background = torch.randn(50, 4)
    x = torch.randn(3, 4)
    explainer = shap.GradientExplainer(model, background)
    theirs = np.asarray(explainer.shap_values(x, nsamples=2000, rseed=0)).reshape(3, 4)
    ours = A.expected_gradients(model, x, background, n_samples=2000,
                                generator=torch.Generator().manual_seed(1)).numpy()
    assert np.abs(ours - theirs).max() < 0.05


# ----------------------------------------------------------------------------- second order
def _penalty_of_params(model: nn.Module, x: torch.Tensor, refs: torch.Tensor, idx, alphas) -> torch.Tensor:
    attr = A.expected_gradients(model, x, refs, n_samples=idx.shape[1], ref_indices=idx, alphas=alphas,
                                create_graph=True)
    return GiniSparsity()(attr) + attr.pow(2).sum()


def test_create_graph_gives_prior_gradient_matching_finite_differences():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).double()
    x = torch.randn(5, 3, dtype=torch.float64)
    refs = torch.randn(5, 3, dtype=torch.float64)
    idx = torch.randint(5, (5, 2))
    alphas = torch.rand(5, 2, dtype=torch.float64)
    penalty = _penalty_of_params(model, x, refs, idx, alphas)
    weight = model[0].weight
    (grad,) = torch.autograd.grad(penalty, weight)
    assert grad.abs().sum() > 0
    eps = 1e-6
    for (i, j) in [(0, 0), (2, 1), (3, 2)]:
        with torch.no_grad():
            weight[i, j] += eps
            up = _penalty_of_params(model, x, refs, idx, alphas).item()
            weight[i, j] -= 2 * eps
            down = _penalty_of_params(model, x, refs, idx, alphas).item()
            weight[i, j] += eps
        assert abs((up - down) / (2 * eps) - grad[i, j].item()) < 1e-5


def test_without_create_graph_the_prior_has_no_path_to_parameters():
    """Attributions computed through captum (or ours without create_graph) are constants: a prior on
    them gives no gradient to the model's parameters."""
    from captum.attr import IntegratedGradients

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    x, b = torch.randn(5, 3), torch.zeros(1, 3)
    captum_attr = IntegratedGradients(model).attribute(x, b, n_steps=8)
    assert not captum_attr.requires_grad  # the path to θ is lost
    ours_detached = A.integrated_gradients(model, x, b, n_steps=8)
    assert not ours_detached.requires_grad
    ours = A.integrated_gradients(model, x, b, n_steps=8, create_graph=True)
    (g,) = torch.autograd.grad(ours.pow(2).sum(), model[0].weight)
    assert g.abs().sum() > 0


def test_tv_prior_on_image_attributions_is_differentiable():
    torch.manual_seed(0)
    cnn = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 8 * 8, 3))
    x = torch.rand(4, 1, 8, 8)
    attr = A.expected_gradients(cnn, x, "batch", target=torch.tensor([0, 1, 2, 0]), n_samples=1, create_graph=True)
    assert attr.shape == x.shape
    (g,) = torch.autograd.grad(TotalVariation()(attr), cnn[0].weight)
    assert g.abs().sum() > 0


def test_shifted_batch_never_uses_self():
    idx = A.shifted_batch_indices(7, 5, torch.Generator().manual_seed(0))
    assert idx.shape == (7, 5)
    assert not (idx == torch.arange(7).view(-1, 1)).any()


# ----------------------------------------------------------------------------- bad input & devices
@pytest.mark.parametrize("call, match", [
    (lambda m, x: A.expected_gradients(m, x, torch.zeros(3, 4)), "do not match"),
    (lambda m, x: A.expected_gradients(m, x, torch.zeros(3, 5), n_samples=0), "n_samples"),
    (lambda m, x: A.expected_gradients(m, x[:0], torch.zeros(3, 5)), "non-empty"),
    (lambda m, x: A.integrated_gradients(m, x * float("nan")), "NaN"),
    (lambda m, x: A.integrated_gradients(m, x, n_steps=4, method="simpson"), "unknown integration"),
    (lambda m, x: A.gradients(m, x), "give a target"),
    (lambda m, x: A.attribute("lime", m, x), "unknown attribution method"),
    (lambda m, x: A.expected_gradients(m, x, torch.zeros(3, 5).fill_(float("inf")), target=0), "NaN or inf"),
    (lambda m, x: A.expected_gradients(m, x[:1], "batch", target=0), "at least 2"),
])
def test_bad_input_raises_clear_value_error(call, match):
    model = mlp().float()
    x = torch.randn(4, 5)
    with pytest.raises(ValueError, match=match):
        call(model, x)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_cuda_matches_cpu(data):
    model, (x, b) = mlp(), data
    cpu = A.integrated_gradients(model, x, b, target=0)
    gpu = A.integrated_gradients(model.cuda(), x.cuda(), b.cuda(), target=0)
    assert torch.allclose(cpu, gpu.cpu(), atol=1e-8)


def test_mean_abs_attribution_equals_unchunked_mean_with_the_same_draws(data):
    model, (x, pool) = mlp(), data
    target = torch.tensor([0, 1, 2, 0, 1, 2])
    chunked = A.mean_abs_attribution(model, x, pool, n_samples=3, target=target,
                                     generator=torch.Generator().manual_seed(7), batch=2)
    gen = torch.Generator().manual_seed(7)
    parts = [A.expected_gradients(model, x[i:i + 2], pool, target=target[i:i + 2], n_samples=3, generator=gen)
             for i in range(0, 6, 2)]
    assert torch.allclose(chunked, torch.cat(parts).abs().mean(0))
    with pytest.raises(ValueError, match="batch"):
        A.mean_abs_attribution(model, x, pool, batch=0)
