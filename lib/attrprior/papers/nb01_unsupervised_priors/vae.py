"""Burgess et al. convolutional VAE for 32×32 images, with β-VAE and β-TCVAE losses.

Architecture (Burgess et al. 2018, as used by Crabbé & van der Schaar's label-free XAI and by Amad):
encoder conv(32, k4, s2, p1) ×3 → 256 → 256 → 2·d (interleaved μ, log σ²); the decoder mirrors it
and ends in a sigmoid (Bernoulli pixel means). ``vae.encoder_mu`` is an ``nn.Module`` view returning
μ only, so :func:`attrprior.core.attributions.latent_attributions` can explain every latent unit.

Losses (all averaged over the batch, summed over pixels / latents):
  * Bernoulli reconstruction  −log p(x|z) = Σ_pixels BCE(x̂, x);
  * β-VAE (Higgins et al.)     recon + β · KL(q(z|x) ‖ N(0, I));
  * β-TCVAE (Chen et al.)      recon + α·MI + β·TC + γ·dimension-wise KL, with q(z) estimated by
    minibatch-weighted sampling (Chen et al. Eq. S5): log q(z) ≈ logsumexp_j log q(z|x_j) − log(N·M).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

HID_CHANNELS, KERNEL, HIDDEN = 32, 4, 256
LOSSES = ("vae", "beta_vae", "beta_tcvae")


def _check_images(x: Tensor, img_size: int, n_chan: int) -> None:
    if not isinstance(x, Tensor) or x.dim() != 4 or tuple(x.shape[1:]) != (n_chan, img_size, img_size):
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"expected images [B, {n_chan}, {img_size}, {img_size}], got {shape}")


class BurgessEncoder(nn.Module):
    """x ``[B, C, 32, 32]`` → (μ ``[B, d]``, log σ² ``[B, d]``)."""

    def __init__(self, latent_dim: int = 3, img_size: int = 32, n_chan: int = 1) -> None:
        super().__init__()
        if img_size != 32:
            raise ValueError(f"this Burgess encoder is built for 32x32 images, got img_size={img_size}")
        if latent_dim < 1:
            raise ValueError(f"latent_dim must be >= 1, got {latent_dim}")
        self.latent_dim, self.img_size, self.n_chan = latent_dim, img_size, n_chan
        kw = dict(stride=2, padding=1)
        self.conv1 = nn.Conv2d(n_chan, HID_CHANNELS, KERNEL, **kw)
        self.conv2 = nn.Conv2d(HID_CHANNELS, HID_CHANNELS, KERNEL, **kw)
        self.conv3 = nn.Conv2d(HID_CHANNELS, HID_CHANNELS, KERNEL, **kw)
        self.lin1 = nn.Linear(HID_CHANNELS * KERNEL * KERNEL, HIDDEN)
        self.lin2 = nn.Linear(HIDDEN, HIDDEN)
        self.mu_logvar = nn.Linear(HIDDEN, 2 * latent_dim)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        _check_images(x, self.img_size, self.n_chan)
        h = torch.relu(self.conv3(torch.relu(self.conv2(torch.relu(self.conv1(x))))))
        h = torch.relu(self.lin2(torch.relu(self.lin1(h.flatten(1)))))
        mu, logvar = self.mu_logvar(h).view(-1, self.latent_dim, 2).unbind(-1)
        return mu, logvar


class BurgessDecoder(nn.Module):
    """z ``[B, d]`` → Bernoulli means ``[B, C, 32, 32]`` in (0, 1)."""

    def __init__(self, latent_dim: int = 3, img_size: int = 32, n_chan: int = 1) -> None:
        super().__init__()
        kw = dict(stride=2, padding=1)
        self.lin1 = nn.Linear(latent_dim, HIDDEN)
        self.lin2 = nn.Linear(HIDDEN, HIDDEN)
        self.lin3 = nn.Linear(HIDDEN, HID_CHANNELS * KERNEL * KERNEL)
        self.convT1 = nn.ConvTranspose2d(HID_CHANNELS, HID_CHANNELS, KERNEL, **kw)
        self.convT2 = nn.ConvTranspose2d(HID_CHANNELS, HID_CHANNELS, KERNEL, **kw)
        self.convT3 = nn.ConvTranspose2d(HID_CHANNELS, n_chan, KERNEL, **kw)

    def logits(self, z: Tensor) -> Tensor:
        h = torch.relu(self.lin3(torch.relu(self.lin2(torch.relu(self.lin1(z))))))
        h = h.view(z.shape[0], HID_CHANNELS, KERNEL, KERNEL)
        return self.convT3(torch.relu(self.convT2(torch.relu(self.convT1(h)))))

    def forward(self, z: Tensor) -> Tensor:
        return torch.sigmoid(self.logits(z))


class EncoderMu(nn.Module):
    """A view of an encoder that returns μ only (``[B, d]``), for latent attributions."""

    def __init__(self, encoder: BurgessEncoder) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, x: Tensor) -> Tensor:
        return self.encoder(x)[0]


@dataclass
class VAEOutput:
    logits: Tensor  # decoder logits [B, C, H, W]
    mu: Tensor
    logvar: Tensor
    z: Tensor  # reparameterised sample (μ in eval mode)

    @property
    def recon(self) -> Tensor:
        return torch.sigmoid(self.logits)


class VAE(nn.Module):
    """Burgess VAE. ``forward(x)`` → :class:`VAEOutput`; z is sampled in train mode, z = μ in eval mode."""

    def __init__(self, latent_dim: int = 3, img_size: int = 32, n_chan: int = 1) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = BurgessEncoder(latent_dim, img_size, n_chan)
        self.decoder = BurgessDecoder(latent_dim, img_size, n_chan)

    @property
    def encoder_mu(self) -> EncoderMu:
        """μ-only view sharing the encoder's parameters (not registered as a submodule)."""
        return EncoderMu(self.encoder)

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        return self.encoder(x)

    def logvar(self, x: Tensor) -> Tensor:
        """log σ² of q(z|x)."""
        return self.encoder(x)[1]

    def forward(self, x: Tensor) -> VAEOutput:
        mu, logvar = self.encoder(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu) if self.training else mu
        return VAEOutput(self.decoder.logits(z), mu, logvar, z)


# --------------------------------------------------------------------------- losses
def bernoulli_recon(logits: Tensor, x: Tensor, reduction: str = "mean") -> Tensor:
    """−log p(x|z) under independent Bernoulli pixels: Σ_pixels BCE per image, then mean/sum/none."""
    if logits.shape != x.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and images {tuple(x.shape)} differ in shape")
    per_image = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    if reduction == "none":
        return per_image
    if reduction in ("mean", "sum"):
        return getattr(per_image, reduction)()
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def kl_normal(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(μ, σ²) ‖ N(0, 1)) summed over latents, averaged over the batch."""
    return (0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)).sum(1).mean()


def log_density_gaussian(x: Tensor, mu: Tensor, logvar: Tensor) -> Tensor:
    """Element-wise log N(x; μ, σ²)."""
    return -0.5 * (math.log(2 * math.pi) + logvar + (x - mu).pow(2) * torch.exp(-logvar))


def tc_decomposition(z: Tensor, mu: Tensor, logvar: Tensor, n_data: int) -> dict[str, Tensor]:
    """Chen et al.'s ELBO-KL decomposition with minibatch-weighted sampling.

    Returns batch means of ``mi`` = log q(z|x) − log q(z), ``tc`` = log q(z) − Σ_j log q(z_j),
    ``dwkl`` = Σ_j log q(z_j) − log p(z), and ``kl`` = log q(z|x) − log p(z) (= mi + tc + dwkl exactly,
    a one-sample estimate of KL(q(z|x) ‖ p(z))).
    """
    if z.dim() != 2 or mu.shape != z.shape or logvar.shape != z.shape:
        raise ValueError("z, mu and logvar must all be [B, d]")
    B = z.shape[0]
    if B < 2:
        raise ValueError("minibatch-weighted sampling needs a batch of at least 2")
    if n_data < B:
        raise ValueError(f"n_data ({n_data}) must be at least the batch size ({B})")
    log_q_zx = log_density_gaussian(z, mu, logvar).sum(1)
    log_pz = log_density_gaussian(z, torch.zeros_like(z), torch.zeros_like(z)).sum(1)
    mat = log_density_gaussian(z.unsqueeze(1), mu.unsqueeze(0), logvar.unsqueeze(0))  # [B, B, d]
    log_nm = math.log(n_data * B)
    log_qz = torch.logsumexp(mat.sum(2), dim=1) - log_nm
    log_prod_qzj = (torch.logsumexp(mat, dim=1) - log_nm).sum(1)
    return {
        "mi": (log_q_zx - log_qz).mean(),
        "tc": (log_qz - log_prod_qzj).mean(),
        "dwkl": (log_prod_qzj - log_pz).mean(),
        "kl": (log_q_zx - log_pz).mean(),
    }


@dataclass
class VAELoss:
    """Negative ELBO variants. ``kind``: "vae" (β = 1), "beta_vae" (β·KL) or "beta_tcvae"
    (α·MI + β·TC + γ·dwKL; needs ``n_data``, the training-set size)."""

    kind: str = "vae"
    beta: float = 1.0
    alpha: float = 1.0
    gamma: float = 1.0
    n_data: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in LOSSES:
            raise ValueError(f"unknown VAE loss {self.kind!r}; choose from {LOSSES}")
        if self.beta < 0 or self.alpha < 0 or self.gamma < 0:
            raise ValueError("loss weights must be non-negative")
        if self.kind == "beta_tcvae" and not self.n_data:
            raise ValueError("beta_tcvae needs n_data (the number of training images)")

    def __call__(self, out: VAEOutput, x: Tensor) -> tuple[Tensor, dict[str, float]]:
        recon = bernoulli_recon(out.logits, x)
        if self.kind == "beta_tcvae":
            terms = tc_decomposition(out.z, out.mu, out.logvar, int(self.n_data))
            reg = self.alpha * terms["mi"] + self.beta * terms["tc"] + self.gamma * terms["dwkl"]
            logs = {k: float(v.detach()) for k, v in terms.items() if k != "kl"}
        else:
            kl = kl_normal(out.mu, out.logvar)
            reg = (self.beta if self.kind == "beta_vae" else 1.0) * kl
            logs = {"kl": float(kl.detach())}
        return recon + reg, {"recon": float(recon.detach()), **logs}


__all__ = [
    "BurgessDecoder", "BurgessEncoder", "EncoderMu", "LOSSES", "VAE", "VAELoss", "VAEOutput",
    "bernoulli_recon", "kl_normal", "log_density_gaussian", "tc_decomposition",
]
