"""Metrics of latent saliency maps (Crabbé & van der Schaar's label-free XAI; Amad's priors).

Every metric is a pure function of the saliency maps ``S[b, j, ...] = |μ_j(x_b) · a(μ_j, x_b)|``
(shape ``[B, d, *features]``, e.g. ``[B, d, 1, 32, 32]``) and is the corresponding prior of
:mod:`attrprior.core.priors` evaluated without gradients, so a metric and the prior that targets it
can never disagree:

* :func:`saliency_tv`       — ``TotalVariation(reduction="sum")`` per image: Σ_latents Σ_pixels
  |∂_h S| + |∂_w S|, averaged over images (Amad Eq. 2 / Erion et al. Ω_pixel);
* :func:`saliency_tv_relative` — the same divided by the total saliency Σ|S| (scale-free);
* :func:`saliency_entropy`  — ``LatentEntropy`` (Amad Eqs. 5–7) over the *salient* features only:
  features whose saliency is zero for every latent (e.g. background pixels, which have exactly zero
  Gradient-SHAP attribution under a zero baseline) have no defined p_j and are dropped, as in
  lfxai's ``entropy_saliency``. Range [0, log d];
* :func:`saliency_pearson`  — ``LatentPearson`` (Amad Eqs. 8–9): mean off-diagonal Pearson
  correlation of the latents' maps pooled over samples and features (= lfxai's ``pearson_saliency``).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from attrprior.core.priors import LatentEntropy, LatentPearson, TotalVariation


def _as_saliency(saliency: Tensor | np.ndarray) -> Tensor:
    s = torch.as_tensor(np.asarray(saliency) if not isinstance(saliency, Tensor) else saliency)
    if s.dim() < 3:
        raise ValueError(f"saliency maps must be [B, d, *features] with >= 1 feature dim, got {tuple(s.shape)}")
    if s.shape[0] == 0 or s.shape[1] == 0:
        raise ValueError(f"empty saliency maps {tuple(s.shape)}")
    if not torch.isfinite(s).all():
        raise ValueError("saliency maps contain NaN or inf")
    return s.float() if not s.dtype.is_floating_point else s


def salient_features(saliency: Tensor) -> Tensor:
    """The ``[P, d, 1]`` saliency vectors of the P (sample, feature) pairs with non-zero total saliency.

    Differentiable (a boolean selection), so the entropy prior in training uses the same support as
    the metric.
    """
    if saliency.dim() < 3:
        raise ValueError(f"saliency maps must be [B, d, *features], got {tuple(saliency.shape)}")
    flat = saliency.abs().flatten(2).transpose(1, 2).reshape(-1, saliency.shape[1])  # [B*F, d]
    keep = flat.detach().sum(1) > 0
    return flat[keep].unsqueeze(-1)


@torch.no_grad()
def saliency_tv(saliency: Tensor | np.ndarray) -> float:
    """Mean over images of the total variation of the d saliency maps (summed over latents)."""
    s = _as_saliency(saliency)
    if s.dim() < 4:
        raise ValueError(f"total variation needs image maps [B, d, (C,) H, W], got {tuple(s.shape)}")
    return float(TotalVariation(reduction="sum")(s)) / s.shape[0]


@torch.no_grad()
def saliency_tv_relative(saliency: Tensor | np.ndarray) -> float:
    """Scale-free smoothness: Σ TV(S) / Σ |S| over all images and latents. Unlike :func:`saliency_tv`
    it does not fall when every saliency value is merely scaled down (e.g. by shrinking μ)."""
    s = _as_saliency(saliency)
    if s.dim() < 4:
        raise ValueError(f"total variation needs image maps [B, d, (C,) H, W], got {tuple(s.shape)}")
    mass = float(s.abs().sum())
    if mass <= 0:
        raise ValueError("all saliency is zero: relative total variation is undefined")
    return float(TotalVariation(reduction="sum")(s)) / mass


@torch.no_grad()
def saliency_entropy(saliency: Tensor | np.ndarray) -> float:
    """Mean entropy over latents of the saliency shares p_j(i, x), salient features only (nats)."""
    s = _as_saliency(saliency)
    support = salient_features(s)
    if support.shape[0] == 0:
        raise ValueError("no feature has non-zero saliency: entropy is undefined")
    return float(LatentEntropy()(support))


@torch.no_grad()
def saliency_pearson(saliency: Tensor | np.ndarray) -> float:
    """Mean off-diagonal Pearson correlation between the latents' saliency maps."""
    s = _as_saliency(saliency)
    return float(LatentPearson(per_sample=False)(s))


@torch.no_grad()
def latent_shares(saliency: Tensor | np.ndarray) -> np.ndarray:
    """Share of the total saliency held by each latent, sorted descending (``[d]``, sums to 1)."""
    s = _as_saliency(saliency).abs()
    totals = s.transpose(0, 1).flatten(1).sum(1).double()
    if float(totals.sum()) <= 0:
        raise ValueError("all saliency is zero: shares are undefined")
    return np.sort((totals / totals.sum()).numpy())[::-1].copy()


def saliency_metrics(saliency: Tensor | np.ndarray) -> dict[str, float]:
    """All saliency metrics at once: ``tv``, ``tv_rel``, ``entropy``, ``pearson``, ``top_share``
    (largest latent share)."""
    return {
        "tv": saliency_tv(saliency),
        "tv_rel": saliency_tv_relative(saliency),
        "entropy": saliency_entropy(saliency),
        "pearson": saliency_pearson(saliency),
        "top_share": float(latent_shares(saliency)[0]),
    }


__all__ = ["latent_shares", "salient_features", "saliency_entropy", "saliency_metrics", "saliency_pearson",
           "saliency_tv", "saliency_tv_relative"]
