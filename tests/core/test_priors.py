"""Prior API: reference formulas, each prior lowers itself, bad input."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from attrprior.core import priors as P

torch.set_num_threads(1)


def test_tv_matches_torchmetrics():
    from torchmetrics.image import TotalVariation as TMTotalVariation

    imgs = torch.rand(5, 2, 7, 9, generator=torch.Generator().manual_seed(0))
    for reduction in ("sum", "mean"):
        ours = P.TotalVariation(reduction=reduction)(imgs)
        theirs = TMTotalVariation(reduction=reduction)(imgs)
        assert torch.allclose(ours, theirs, rtol=1e-5)


def test_tv_of_latent_maps_is_sum_over_maps_and_zero_for_constants():
    maps = torch.rand(3, 4, 1, 6, 6)  # [B, d, C, H, W]
    per_map = sum(P.TotalVariation()(maps[:, j]) for j in range(4))
    assert torch.allclose(P.TotalVariation()(maps), per_map)
    assert P.TotalVariation()(torch.ones(2, 1, 5, 5)) == 0


def test_entropy_bounds():
    one_hot = torch.zeros(4, 3, 10)
    one_hot[:, 1] = torch.rand(4, 10) + 0.1
    assert P.LatentEntropy()(one_hot) < 1e-6
    uniform = torch.ones(4, 3, 10)
    assert torch.isclose(P.LatentEntropy()(uniform), torch.tensor(np.log(3.0), dtype=torch.float32))


def test_pearson_matches_numpy_corrcoef():
    a = torch.randn(6, 3, 20, generator=torch.Generator().manual_seed(0))
    pooled = a.transpose(0, 1).reshape(3, -1).numpy()
    c = np.corrcoef(pooled)
    expected = (c.sum() - np.trace(c)) / 6
    assert np.isclose(P.LatentPearson()(a).item(), expected, atol=1e-5)
    per = np.mean([(np.corrcoef(s).sum() - 3) / 6 for s in a.numpy()])
    assert np.isclose(P.LatentPearson(per_sample=True)(a).item(), per, atol=1e-5)


def test_gini_matches_numpy_formula():
    v = np.random.default_rng(0).exponential(size=30)
    expected = np.abs(v[:, None] - v[None, :]).sum() / (2 * len(v) * v.sum())
    assert np.isclose(P.gini(torch.tensor(v)).item(), expected)
    attr = torch.tensor(np.random.default_rng(1).normal(size=(8, 30)))
    phibar = np.abs(attr.numpy()).mean(0)
    g = np.abs(phibar[:, None] - phibar[None, :]).sum() / (2 * 30 * phibar.sum())
    assert np.isclose(P.GiniSparsity()(attr).item(), -2 * g)


def test_graph_prior_equals_edge_sum_dense_and_sparse():
    rng = np.random.default_rng(0)
    w = rng.random((6, 6)) * (rng.random((6, 6)) < 0.5)
    w = np.triu(w, 1)
    w = w + w.T
    attr = torch.tensor(rng.normal(size=(10, 6)), dtype=torch.float32)
    phi = np.abs(attr.numpy()).mean(0)
    # φᵀ(D − W)φ = ½ Σ_ij W_ij (φ_i − φ_j)²  (each undirected edge counted once)
    edge_sum = 0.5 * (w * (phi[:, None] - phi[None, :]) ** 2).sum()
    for sparse in (False, True):
        value = P.GraphLaplacian(P.laplacian(w, sparse=sparse))(attr).item()
        assert np.isclose(value, edge_sum, rtol=1e-5)


def _lowers_itself(prior, attr_shape, steps=30, lr=0.05):
    torch.manual_seed(0)
    attr = torch.randn(*attr_shape, requires_grad=True)
    opt = torch.optim.Adam([attr], lr=lr)
    start = prior(attr).item()
    for _ in range(steps):
        opt.zero_grad()
        prior(attr).backward()
        opt.step()
    return start, prior(attr).item()


@pytest.mark.parametrize("prior, shape", [
    (P.TotalVariation(), (4, 1, 8, 8)),
    (P.LatentEntropy(), (4, 3, 16)),
    (P.LatentPearson(), (4, 3, 16)),
    (P.GiniSparsity(), (16, 10)),
    (P.L1Attribution(), (16, 10)),
    (P.GraphLaplacian(P.laplacian(np.ones((10, 10)) - np.eye(10))), (16, 10)),
])
def test_each_prior_lowers_its_own_penalty(prior, shape):
    start, end = _lowers_itself(prior, shape)
    assert end < start - 1e-3 * max(1.0, abs(start))


def test_dapr_prior_lowers_itself_by_fitting_g():
    torch.manual_seed(0)
    meta = torch.randn(10, 2)
    g = nn.Linear(2, 1)
    prior = P.MetaFeaturePrior(g, meta)
    attr = meta[:, 0].unsqueeze(0).repeat(8, 1) * 0.5  # importances a linear function of meta-features
    opt = torch.optim.Adam(g.parameters(), lr=0.05)
    start = prior(attr).item()
    for _ in range(200):
        opt.zero_grad()
        prior(attr).backward()
        opt.step()
    assert prior(attr).item() < 0.2 * start


@pytest.mark.parametrize("call, match", [
    (lambda: P.TotalVariation()(torch.rand(4, 5)), "dims"),
    (lambda: P.TotalVariation(reduction="max")(torch.rand(2, 1, 4, 4)), "reduction"),
    (lambda: P.LatentPearson()(torch.rand(4, 1, 5)), "at least 2 latent"),
    (lambda: P.GraphLaplacian(torch.eye(3))(torch.rand(4, 5)), "does not match"),
    (lambda: P.laplacian(np.array([[0, 1], [0, 0]])), "symmetric"),
    (lambda: P.MetaFeaturePrior(nn.Linear(2, 1), torch.tensor([[float("nan"), 1.0]])), "NaN"),
    (lambda: P.MetaFeaturePrior(nn.Linear(2, 1), torch.rand(3, 2))(torch.rand(4, 5)), "meta-feature rows"),
    (lambda: P.make_prior("smoothness"), "unknown prior"),
    (lambda: P.GiniSparsity()(torch.rand(0, 5)), "empty"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
