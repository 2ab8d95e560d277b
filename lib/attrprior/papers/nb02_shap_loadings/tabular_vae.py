"""VAEs for tabular data ``[N, p]``: an MLP VAE and a linear VAE, both with k Gaussian latents.

Encoder: ``x ↦ (μ(x), log σ²(x))``; decoder: ``z ↦ x̂`` with a learned per-feature noise log-variance
(a Gaussian likelihood, so the loss is a proper negative ELBO whatever the noise level of the data).
``model.mean_encoder()`` returns the module ``x ↦ μ(x)`` that attribution methods explain.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

_LOG_2PI = math.log(2 * math.pi)


class _MeanEncoder(nn.Module):
    """``x ↦ μ(x)`` of a VAE (shares the VAE's parameters)."""

    def __init__(self, vae: "TabularVAE") -> None:
        super().__init__()
        self.vae = vae

    def forward(self, x: Tensor) -> Tensor:
        return self.vae.encode(x)[0]


class TabularVAE(nn.Module):
    """Gaussian VAE on ``[N, p]`` data with ``k`` latents.

    ``hidden=()`` makes encoder and decoder linear (the linear VAE); otherwise each is an MLP with
    the given hidden widths and ``activation`` (ReLU by default) between layers.
    """

    def __init__(self, p: int, k: int, hidden: tuple[int, ...] = (128,), activation: type[nn.Module] = nn.ReLU
                 ) -> None:
        super().__init__()
        if p < 1 or k < 1:
            raise ValueError(f"p and k must be >= 1, got p={p}, k={k}")
        if any(h < 1 for h in hidden):
            raise ValueError(f"hidden widths must be >= 1, got {hidden}")
        self.p, self.k, self.hidden = p, k, tuple(hidden)
        self.encoder = _mlp(p, 2 * k, hidden, activation)
        self.decoder = _mlp(k, p, tuple(reversed(hidden)), activation)
        self.log_noise_var = nn.Parameter(torch.zeros(p))

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(μ, log σ²)``, each ``[N, k]``."""
        if x.dim() != 2 or x.shape[1] != self.p:
            raise ValueError(f"expected inputs [N, {self.p}], got {tuple(x.shape)}")
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar.clamp(-12.0, 8.0)

    def decode(self, z: Tensor) -> Tensor:
        return self.decoder(z)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """``(x̂, μ, log σ²)`` with ``z = μ + σ·ε`` in training mode and ``z = μ`` in eval mode."""
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp() if self.training else mu
        return self.decode(z), mu, logvar

    def mean_encoder(self) -> nn.Module:
        """The module ``x ↦ μ(x)`` (``[N, p] → [N, k]``) to attribute."""
        return _MeanEncoder(self)

    def loss(self, x: Tensor, beta: float = 1.0) -> tuple[Tensor, dict[str, float]]:
        """Negative ELBO per sample: Gaussian NLL of x given z plus β·KL(q(z|x) ‖ N(0, I))."""
        recon, mu, logvar = self(x)
        lv = self.log_noise_var
        nll = 0.5 * (((x - recon) ** 2) * torch.exp(-lv) + lv + _LOG_2PI).sum(1).mean()
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1).mean()
        return nll + beta * kl, {"nll": float(nll.detach()), "kl": float(kl.detach())}


def _mlp(d_in: int, d_out: int, hidden: tuple[int, ...], activation: type[nn.Module]) -> nn.Sequential:
    layers: list[nn.Module] = []
    width = d_in
    for h in hidden:
        layers += [nn.Linear(width, h), activation()]
        width = h
    layers.append(nn.Linear(width, d_out))
    return nn.Sequential(*layers)


def linear_vae(p: int, k: int) -> TabularVAE:
    """A linear VAE (linear encoder and decoder): probabilistic-PCA-like sanity baseline."""
    return TabularVAE(p, k, hidden=())


def mlp_vae(p: int, k: int, hidden: int = 128, depth: int = 1) -> TabularVAE:
    """An MLP VAE with ``depth`` hidden layers of width ``hidden`` (ReLU)."""
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    return TabularVAE(p, k, hidden=(hidden,) * depth)


__all__ = ["TabularVAE", "linear_vae", "mlp_vae"]
