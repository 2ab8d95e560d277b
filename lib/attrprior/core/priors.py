"""The prior API: a prior maps attributions (plus context) to a differentiable scalar penalty.

Every prior is a callable ``prior(attributions, **context) -> Tensor[]`` that training adds as
``loss + λ · prior(Φ)``. Lower is always "more like the prior". Shapes:

* image priors take ``[N, C, H, W]`` or ``[N, d, C, H, W]`` (latent maps; each map is one image);
* latent priors take ``[B, d, *features]`` (attributions of d latent units);
* global priors take ``[B, p]`` and use φ̄ = mean_b |φ_b| (Erion et al., Methods 3).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol

import numpy as np
import torch
from torch import Tensor, nn

_EPS = 1e-12


class Prior(Protocol):
    name: str

    def __call__(self, attributions: Tensor, **context: Any) -> Tensor: ...


def _check(attr: Tensor, min_dim: int, what: str) -> None:
    if not isinstance(attr, Tensor) or attr.dim() < min_dim:
        shape = tuple(attr.shape) if isinstance(attr, Tensor) else type(attr).__name__
        raise ValueError(f"{what} needs attributions with >= {min_dim} dims, got {shape}")
    if attr.shape[0] == 0:
        raise ValueError(f"{what}: empty batch of attributions")


def global_importance(attr: Tensor) -> Tensor:
    """φ̄_i = (1/n) Σ_ℓ |φ_i^ℓ| over the batch dimension (Erion et al., Methods 3)."""
    _check(attr, 2, "global_importance")
    return attr.abs().mean(0)


# --------------------------------------------------------------------------- image
@dataclass
class TotalVariation:
    """Pixel prior, Erion et al. Eq. (Ω_pixel) / Amad Eq. (2):
    Σ_l Σ_{i,j} |a^l_{i+1,j} − a^l_{i,j}| + |a^l_{i,j+1} − a^l_{i,j}|.

    Per image this equals ``torchmetrics.image.TotalVariation`` (which sums over channels);
    ``reduction`` = "sum" (the paper's Σ_l) or "mean" over images.
    """

    reduction: str = "sum"
    name: str = "total_variation"

    def __call__(self, attributions: Tensor, **context: Any) -> Tensor:
        _check(attributions, 3, self.name)
        imgs = attributions if attributions.dim() != 3 else attributions.unsqueeze(1)
        imgs = imgs.reshape(-1, *imgs.shape[-3:]) if imgs.dim() > 4 else imgs
        dh = (imgs[..., 1:, :] - imgs[..., :-1, :]).abs().flatten(1).sum(1)
        dw = (imgs[..., :, 1:] - imgs[..., :, :-1]).abs().flatten(1).sum(1)
        per_image = dh + dw
        if self.reduction == "sum":
            return per_image.sum()
        if self.reduction == "mean":
            return per_image.mean()
        raise ValueError(f"reduction must be 'sum' or 'mean', got {self.reduction!r}")


# --------------------------------------------------------------------------- latent
@dataclass
class LatentEntropy:
    """Entropy prior, Amad Eqs. (5)–(7): p_j(i,x) = |a_i(μ_j,x)| / Σ_k |a_i(μ_k,x)|,
    S(i,x) = −Σ_j p_j log p_j, penalty E_{x,i}[S(i,x)]. Zero when one latent owns every feature."""

    name: str = "entropy"

    def __call__(self, attributions: Tensor, **context: Any) -> Tensor:
        _check(attributions, 2, self.name)
        mag = attributions.abs().flatten(2)  # [B, d, F]
        p = mag / (mag.sum(1, keepdim=True) + _EPS)
        return -(p * torch.log(p + _EPS)).sum(1).mean()


@dataclass
class LatentPearson:
    """Pearson prior, Amad Eqs. (8)–(9): mean off-diagonal correlation r_ij between latents'
    attributions, pooled over samples and features (``per_sample=True``: correlate within each
    sample, then average)."""

    per_sample: bool = False
    name: str = "pearson"

    def __call__(self, attributions: Tensor, **context: Any) -> Tensor:
        _check(attributions, 2, self.name)
        a = attributions.flatten(2)  # [B, d, F]
        d = a.shape[1]
        if d < 2:
            raise ValueError("the Pearson prior needs at least 2 latent units")
        v = a if self.per_sample else a.transpose(0, 1).reshape(1, d, -1)
        v = v - v.mean(-1, keepdim=True)
        cov = v @ v.transpose(1, 2)
        std = torch.sqrt(torch.diagonal(cov, dim1=1, dim2=2).clamp_min(_EPS))
        corr = cov / (std.unsqueeze(2) * std.unsqueeze(1))
        off = corr.sum((1, 2)) - torch.diagonal(corr, dim1=1, dim2=2).sum(1)
        return (off / (d * (d - 1))).mean()


# --------------------------------------------------------------------------- global (tabular)
@dataclass
class GraphLaplacian:
    """Graph prior, Erion et al. (Ω_graph): φ̄ᵀ L_G φ̄ = Σ_{i<j} W_ij (φ̄_i − φ̄_j)² (each edge once, i.e.
    ½ Σ_{i,j} over ordered pairs; the paper's Σ_{i,j} is meant over edges), with L_G = D − W
    dense or sparse (COO/CSR). ``laplacian`` may be given directly or built with :func:`laplacian`."""

    laplacian: Tensor
    name: str = "graph"

    def __call__(self, attributions: Tensor, **context: Any) -> Tensor:
        phi = global_importance(attributions.flatten(1))
        lap = self.laplacian.to(phi.device, phi.dtype)
        if lap.shape != (phi.shape[0], phi.shape[0]):
            raise ValueError(f"Laplacian {tuple(lap.shape)} does not match {phi.shape[0]} features")
        lphi = torch.sparse.mm(lap, phi.unsqueeze(1)).squeeze(1) if lap.is_sparse else lap @ phi
        return phi @ lphi


def laplacian(adjacency: Tensor | np.ndarray, sparse: bool = False) -> Tensor:
    """L = D − W for a symmetric non-negative adjacency W (zero diagonal assumed)."""
    w = torch.as_tensor(np.asarray(adjacency.to_dense() if isinstance(adjacency, Tensor) and adjacency.is_sparse
                                   else adjacency), dtype=torch.float32)
    if w.dim() != 2 or w.shape[0] != w.shape[1]:
        raise ValueError(f"adjacency must be square, got {tuple(w.shape)}")
    if (w < 0).any() or not torch.allclose(w, w.T):
        raise ValueError("adjacency must be symmetric and non-negative")
    lap = torch.diag(w.sum(1)) - w
    return lap.to_sparse() if sparse else lap


def gini(values: Tensor) -> Tensor:
    """Gini coefficient G = Σ_i Σ_j |v_i − v_j| / (2 p Σ_i v_i) of a non-negative vector."""
    if values.dim() != 1 or values.numel() == 0:
        raise ValueError("gini needs a non-empty 1-d tensor")
    diff = (values.unsqueeze(0) - values.unsqueeze(1)).abs().sum()
    return diff / (2 * values.numel() * values.sum() + _EPS)


@dataclass
class GiniSparsity:
    """Sparsity prior, Erion et al. (Ω_sparse): −Σ_ij |φ̄_i − φ̄_j| / (p Σ_i φ̄_i) = −2 G(φ̄).
    (The paper writes n for the number of features p.) Minimising it concentrates importance."""

    name: str = "gini"

    def __call__(self, attributions: Tensor, **context: Any) -> Tensor:
        return -2 * gini(global_importance(attributions.flatten(1)))


@dataclass
class L1Attribution:
    """‖φ̄‖₁ of the global importance (Erion et al. Supplement, 'L1 expected gradients / gradients')."""

    name: str = "l1"

    def __call__(self, attributions: Tensor, **context: Any) -> Tensor:
        return global_importance(attributions.flatten(1)).sum()


@dataclass
class MetaFeaturePrior:
    """DAPr prior (Weinberger et al., the joint objective after their Eq. 1): mean_x ‖Φ(θ_f, x) − G(M)‖₁, where G(M) = g(m_i) for
    every feature i. ``prior_net`` maps meta-features ``[p, m]`` to ``[p]`` or ``[p, 1]``.
    ``absolute=True`` compares |Φ| instead of Φ."""

    prior_net: nn.Module
    meta_features: Tensor
    absolute: bool = False
    name: str = "dapr"

    def __post_init__(self) -> None:
        m = self.meta_features
        if not isinstance(m, Tensor) or m.dim() != 2:
            raise ValueError("meta_features must be a [p, m] tensor")
        if not torch.isfinite(m).all():
            raise ValueError("meta_features contain NaN or inf")

    def predicted(self) -> Tensor:
        out = self.prior_net(self.meta_features)
        return out.squeeze(-1) if out.dim() == 2 else out

    def __call__(self, attributions: Tensor, **context: Any) -> Tensor:
        phi = attributions.flatten(1)
        if phi.shape[1] != self.meta_features.shape[0]:
            raise ValueError(
                f"{phi.shape[1]} features in the attributions but {self.meta_features.shape[0]} meta-feature rows"
            )
        phi = phi.abs() if self.absolute else phi
        target = self.predicted().to(phi)
        return (phi - target.unsqueeze(0)).abs().sum(1).mean()


PRIORS: dict[str, Callable[..., Prior]] = {
    "total_variation": TotalVariation,
    "entropy": LatentEntropy,
    "pearson": LatentPearson,
    "graph": GraphLaplacian,
    "gini": GiniSparsity,
    "l1": L1Attribution,
    "dapr": MetaFeaturePrior,
}


def make_prior(name: str, **kwargs: Any) -> Prior:
    """Build a prior by name (see :data:`PRIORS`)."""
    if name not in PRIORS:
        raise ValueError(f"unknown prior {name!r}; choose from {sorted(PRIORS)}")
    return PRIORS[name](**kwargs)
