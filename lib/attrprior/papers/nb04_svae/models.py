"""Supervised VAE (Nguyen & Rodríguez Martínez, 2020) and Kingma et al.'s M2 ("SemiVAE") in the
supervised setting, with the same convolutional encoder/decoder and the same latent prior N(0, I).

Equation numbers refer to ``papers/4_supervised_vae_nguyen.md``. Choices the paper leaves open
(its supplementary material is not available) are marked "Choice:" in the docstrings.

Both models return their objective as a dict of per-batch means so a test can check that the loss
decomposes exactly as the equation says.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

_LOG_2PI = math.log(2 * math.pi)


# --------------------------------------------------------------------------- checks & distributions
def check_images(x: Tensor, channels: int, size: int) -> None:
    """Raise ValueError unless ``x`` is a finite float batch ``[B, channels, size, size]``."""
    if not isinstance(x, Tensor) or not x.dtype.is_floating_point:
        raise ValueError(f"images must be a float tensor, got {type(x).__name__} {getattr(x, 'dtype', '')}")
    if x.dim() != 4 or x.shape[1:] != (channels, size, size) or x.shape[0] == 0:
        raise ValueError(f"images must have shape [B, {channels}, {size}, {size}], got {tuple(x.shape)}")
    if not torch.isfinite(x).all():
        raise ValueError("images contain NaN or inf")


def check_labels(y: Tensor, n: int, n_classes: int) -> None:
    """Raise ValueError unless ``y`` is an integer vector of ``n`` labels in ``[0, n_classes)``."""
    if not isinstance(y, Tensor) or y.dtype.is_floating_point or y.dim() != 1 or y.shape[0] != n:
        raise ValueError(f"labels must be an integer tensor of shape [{n}], got "
                         f"{getattr(y, 'dtype', type(y).__name__)} {tuple(getattr(y, 'shape', ()))}")
    if y.numel() and (int(y.min()) < 0 or int(y.max()) >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes}), got range [{int(y.min())}, {int(y.max())}]")


def kl_normal_std(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(μ, diag e^logvar) ‖ N(0, I)) summed over the last dimension."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)


def kl_normal(mu_q: Tensor, logvar_q: Tensor, mu_p: Tensor, logvar_p: Tensor) -> Tensor:
    """KL(N(μ_q, σ_q²) ‖ N(μ_p, σ_p²)) of diagonal Gaussians, summed over the last dimension."""
    return 0.5 * (logvar_p - logvar_q + (logvar_q.exp() + (mu_q - mu_p).pow(2)) / logvar_p.exp() - 1.0).sum(-1)


def gaussian_log_likelihood(x: Tensor, mean: Tensor, log_scale: Tensor) -> Tensor:
    """log N(x; mean, s² I) summed over all pixels, one value per sample."""
    z = (x - mean) * torch.exp(-log_scale)
    return (-0.5 * z.pow(2) - log_scale - 0.5 * _LOG_2PI).flatten(1).sum(1)


def reparameterize(mu: Tensor, logvar: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """z = μ + σ·ε, ε ~ N(0, I) (optionally from ``generator``)."""
    eps = torch.randn(mu.shape, generator=generator, device="cpu").to(mu) if generator is not None \
        else torch.randn_like(mu)
    return mu + torch.exp(0.5 * logvar) * eps


# --------------------------------------------------------------------------- shared architecture
class ConvTrunk(nn.Module):
    """x ``[B, C, S, S]`` → h ``[B, hidden]``: two stride-2 4×4 convolutions (``width``, 2·``width``
    channels) and a dense layer.

    Choice: the paper's architecture is in its (unavailable) supplementary; this is the usual small
    MNIST VAE encoder (width 32, hidden 256 at the paper profile; narrower on CPU).
    ``S`` must be divisible by 4 (28 and 32 both are)."""

    def __init__(self, channels: int = 1, size: int = 28, hidden: int = 256, width: int = 32) -> None:
        super().__init__()
        if size % 4:
            raise ValueError(f"image size must be divisible by 4, got {size}")
        self.net = nn.Sequential(
            nn.Conv2d(channels, width, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.ReLU(), nn.Flatten(),
            nn.Linear(2 * width * (size // 4) ** 2, hidden), nn.ReLU(),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class ConvDecoder(nn.Module):
    """latent ``[B, d]`` → Gaussian mean in [0, 1] ``[B, C, S, S]`` (mirror of :class:`ConvTrunk`)."""

    def __init__(self, d_in: int, channels: int = 1, size: int = 28, hidden: int = 256, width: int = 32) -> None:
        super().__init__()
        self.shape = (2 * width, size // 4, size // 4)
        self.net = nn.Sequential(
            nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, 2 * width * (size // 4) ** 2), nn.ReLU(),
            nn.Unflatten(1, self.shape),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1), nn.ReLU(),
            nn.ConvTranspose2d(width, channels, 4, 2, 1), nn.Sigmoid(),
        )

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


def _mlp(d_in: int, d_out: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, d_out))


LOG_SCALE_INIT = math.log(0.2)  # the pixel s.d. of MNIST is ~0.3: start near an untrained decoder's error


class _GaussianDecoderMixin:
    """Choice: p(x|z) is Gaussian with a learned global scale s (log s clamped to [-4.6, 1], started at
    log 0.2; the trainer gives it a 10× learning rate so it tracks the reconstruction error within a
    few hundred steps). The paper's reconstruction values (e.g. +60.03 for MNIST) are positive, so its
    likelihood is a density, not a Bernoulli; its exact form is not stated."""

    log_scale: nn.Parameter

    def scale(self) -> Tensor:
        return self.log_scale.clamp(-4.6, 1.0)


# --------------------------------------------------------------------------- SVAE
class SVAE(_GaussianDecoderMixin, nn.Module):
    """Supervised VAE: encoders q(z|x) and q(z|x,y), latent z = (z1, z2), classifier p(y|z1), decoder p(x|z).

    * q(z|x)   = N(μ_x, σ_x²): a conv trunk h(x) and a linear head.
    * q(z|x,y) = N(μ_xy, σ_xy²): a second conv trunk h'(x) and an MLP head on [h'(x), onehot(y)].
      Choice: the two encoders do not share weights. With a shared trunk the α-weighted classifier
      gradient flows only through q(z|x,y), which sees y, so the trunk never has to learn the class
      and q(z|x) (used at test time) lags far behind.
    * p(y|z1): an MLP on the first ``z1_dim`` latent units only (Eq. 7); z2 are nuisance units.
    * p(x|z): the conv decoder on the *entire* z (Sec. 2.2).
    """

    def __init__(self, z1_dim: int = 10, z2_dim: int = 5, n_classes: int = 10, channels: int = 1,
                 size: int = 28, hidden: int = 256, width: int = 32) -> None:
        super().__init__()
        if min(z1_dim, z2_dim, n_classes) < 1:
            raise ValueError(f"z1_dim, z2_dim and n_classes must be >= 1, got {z1_dim}, {z2_dim}, {n_classes}")
        self.z1_dim, self.z2_dim, self.n_classes = z1_dim, z2_dim, n_classes
        self.channels, self.size = channels, size
        d = z1_dim + z2_dim
        self.trunk = ConvTrunk(channels, size, hidden, width)
        self.trunk_xy = ConvTrunk(channels, size, hidden, width)
        self.head_x = nn.Linear(hidden, 2 * d)
        self.head_xy = _mlp(hidden + n_classes, 2 * d, hidden)
        self.classifier = _mlp(z1_dim, n_classes, 64)
        self.decoder = ConvDecoder(d, channels, size, hidden, width)
        self.log_scale = nn.Parameter(torch.full((), LOG_SCALE_INIT))

    @property
    def z_dim(self) -> int:
        return self.z1_dim + self.z2_dim

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """q(z|x): (μ, log σ²), each ``[B, z1_dim + z2_dim]``."""
        mu, logvar = self.head_x(self.trunk(x)).chunk(2, dim=-1)
        return mu, logvar.clamp(-12.0, 8.0)

    def encode_xy(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        """q(z|x, y): (μ, log σ²)."""
        h = torch.cat([self.trunk_xy(x), F.one_hot(y, self.n_classes).to(x.dtype)], dim=-1)
        mu, logvar = self.head_xy(h).chunk(2, dim=-1)
        return mu, logvar.clamp(-12.0, 8.0)

    def split(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """z → (z1, z2)."""
        return z[..., : self.z1_dim], z[..., self.z1_dim:]

    def decode(self, z: Tensor) -> Tensor:
        """Mean of p(x|z)."""
        return self.decoder(z)

    def classify(self, z1: Tensor) -> Tensor:
        """Logits of p(y|z1)."""
        return self.classifier(z1)

    def objective(self, x: Tensor, y: Tensor, alpha: float, beta: float,
                  generator: torch.Generator | None = None) -> dict[str, Tensor]:
        """The SVAE objective L_β of Eq. (6) with the α-weighted classifier of Eq. (7), batch means:

        L_β = β·E_q[log p(x|z)]                      (6b, ``recon``)
              − β·KL[q(z|x,y) ‖ p(z)]                 (6c, ``kl_prior``)
              − (1−β)·KL[q(z|x,y) ‖ q(z|x)]           (6d, ``kl_sufficiency``)
              + α·E_q[log p(y|z1)]                    (6e with Eq. 7, ``log_py``)

        The expectations use one reparameterised sample z ~ q(z|x,y). ``loss`` = −L_β.
        """
        check_images(x, self.channels, self.size)
        check_labels(y, x.shape[0], self.n_classes)
        if not 0.0 <= beta <= 1.0:
            raise ValueError(f"beta must lie in [0, 1] (a convex combination, Eq. 6a), got {beta}")
        if not alpha > 0 or not math.isfinite(alpha):
            raise ValueError(f"alpha must be a finite number > 0, got {alpha}")
        mu_xy, lv_xy = self.encode_xy(x, y)
        mu_x, lv_x = self.encode(x)
        z = reparameterize(mu_xy, lv_xy, generator)
        recon = gaussian_log_likelihood(x, self.decode(z), self.scale()).mean()
        kl_prior = kl_normal_std(mu_xy, lv_xy).mean()
        kl_suff = kl_normal(mu_xy, lv_xy, mu_x, lv_x).mean()
        log_py = -F.cross_entropy(self.classify(self.split(z)[0]), y)
        elbo = beta * recon - beta * kl_prior - (1.0 - beta) * kl_suff + alpha * log_py
        return {"loss": -elbo, "elbo": elbo, "recon": recon, "kl_prior": kl_prior,
                "kl_sufficiency": kl_suff, "log_py": log_py}

    def predict_proba(self, x: Tensor, n_samples: int = 1, generator: torch.Generator | None = None) -> Tensor:
        """f(x) of Eq. (7): ∫ p(y|z1) q(z1|x) dz1. ``n_samples = 0`` plugs in the mean μ1(x);
        otherwise a Monte-Carlo average of softmax p(y|z1) over ``n_samples`` draws z1 ~ q(z1|x)."""
        mu, logvar = self.encode(x)
        mu1, lv1 = self.split(mu)[0], self.split(logvar)[0]
        if n_samples == 0:
            return F.softmax(self.classify(mu1), -1)
        probs = [F.softmax(self.classify(reparameterize(mu1, lv1, generator)), -1) for _ in range(n_samples)]
        return torch.stack(probs).mean(0)


# --------------------------------------------------------------------------- SemiVAE (M2)
class SemiVAE(_GaussianDecoderMixin, nn.Module):
    """Kingma et al.'s M2 in the supervised setting (the paper's Eq. 8): classifier q(y|x),
    encoder q(z|x,y), decoder p(x|y,z); the class y is the label variable and all of z is nuisance.

    Same blocks as :class:`SVAE` (Sec. 3: "same architectures ... same latent space distribution"): two
    conv trunks, one for q(y|x) (in the place of SVAE's q(z|x)) and one for q(z|x,y), and the same decoder.
    Choice: z has ``z_dim = z1_dim + z2_dim`` units (SVAE's total latent size).
    """

    def __init__(self, z_dim: int = 15, n_classes: int = 10, channels: int = 1, size: int = 28,
                 hidden: int = 256, width: int = 32) -> None:
        super().__init__()
        if min(z_dim, n_classes) < 1:
            raise ValueError(f"z_dim and n_classes must be >= 1, got {z_dim}, {n_classes}")
        self.z_dim, self.n_classes, self.channels, self.size = z_dim, n_classes, channels, size
        self.trunk = ConvTrunk(channels, size, hidden, width)
        self.trunk_xy = ConvTrunk(channels, size, hidden, width)
        self.head_y = _mlp(hidden, n_classes, 64)
        self.head_xy = _mlp(hidden + n_classes, 2 * z_dim, hidden)
        self.decoder = ConvDecoder(z_dim + n_classes, channels, size, hidden, width)
        self.log_scale = nn.Parameter(torch.full((), LOG_SCALE_INIT))

    def classify_x(self, x: Tensor) -> Tensor:
        """Logits of q(y|x)."""
        return self.head_y(self.trunk(x))

    def _encode_h(self, h: Tensor, y_onehot: Tensor) -> tuple[Tensor, Tensor]:
        mu, logvar = self.head_xy(torch.cat([h, y_onehot], -1)).chunk(2, dim=-1)
        return mu, logvar.clamp(-12.0, 8.0)

    def encode_xy(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        """q(z|x, y): (μ, log σ²)."""
        return self._encode_h(self.trunk_xy(x), F.one_hot(y, self.n_classes).to(x.dtype))

    def decode(self, y: Tensor, z: Tensor) -> Tensor:
        """Mean of p(x|y, z); ``y`` integer labels."""
        return self.decoder(torch.cat([F.one_hot(y, self.n_classes).to(z.dtype), z], -1))

    def objective(self, x: Tensor, y: Tensor, alpha: float, beta: float | None = None,
                  generator: torch.Generator | None = None) -> dict[str, Tensor]:
        """The SemiVAE bound of Eq. (8), batch means:

        L = U(x, y) + Σ_c q(c|x)·U(x, c) + H(q(y|x)) + α·log q(y|x)
        U(x, c) = E_{q(z|x,c)}[log p(x|c, z)] − KL[q(z|x,c) ‖ p(z)]

        Eq. (8) writes the last term as (α/N)·Σ_k log q(y_k|x_k) inside a per-sample bound; summed over
        the N samples that is α per sample, the weight used here (the same α as SVAE's Eq. 6e).
        The constant log p(y) of M2 is omitted, as in Eq. (8). ``beta`` is accepted and ignored so both
        models share one training call. ``loss`` = −L.
        """
        check_images(x, self.channels, self.size)
        check_labels(y, x.shape[0], self.n_classes)
        if not alpha > 0 or not math.isfinite(alpha):
            raise ValueError(f"alpha must be a finite number > 0, got {alpha}")
        B, K = x.shape[0], self.n_classes
        log_q = F.log_softmax(self.classify_x(x), -1)
        h = self.trunk_xy(x)
        # U(x, c) for every class c at once (the labelled term is the c = y column)
        classes = torch.arange(K, device=x.device).repeat(B)                      # [B*K]
        h_rep = h.repeat_interleave(K, 0)
        mu, lv = self._encode_h(h_rep, F.one_hot(classes, K).to(x.dtype))
        z = reparameterize(mu, lv, generator)
        x_rep = x.repeat_interleave(K, 0)
        recon_c = gaussian_log_likelihood(x_rep, self.decode(classes, z), self.scale()).view(B, K)
        kl_c = kl_normal_std(mu, lv).view(B, K)
        u_c = recon_c - kl_c
        u_lab = u_c.gather(1, y.view(-1, 1)).squeeze(1)
        q = log_q.exp()
        u_unl = (q * u_c).sum(1)
        entropy = -(q * log_q).sum(1)
        log_qy = log_q.gather(1, y.view(-1, 1)).squeeze(1)
        elbo = u_lab.mean() + u_unl.mean() + entropy.mean() + alpha * log_qy.mean()
        return {"loss": -elbo, "elbo": elbo, "u_labelled": u_lab.mean(), "u_unlabelled": u_unl.mean(),
                "entropy": entropy.mean(), "log_qy": log_qy.mean(),
                "recon": recon_c.gather(1, y.view(-1, 1)).mean(), "kl_prior": kl_c.gather(1, y.view(-1, 1)).mean()}

    def predict_proba(self, x: Tensor, n_samples: int = 0, generator: torch.Generator | None = None) -> Tensor:
        """q(y|x) (deterministic; ``n_samples`` is accepted for a common interface)."""
        return F.softmax(self.classify_x(x), -1)


# --------------------------------------------------------------------------- modules for attribution
class ClassifierLogits(nn.Module):
    """x → class logits of the model's classifier, as one differentiable function for attribution:
    SVAE: p(y|z1 = μ1(x)) (Eq. 7 with z1 at its posterior mean — Choice: a Monte-Carlo average would
    make attributions random); SemiVAE: q(y|x)."""

    def __init__(self, model: SVAE | SemiVAE) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: Tensor) -> Tensor:
        if isinstance(self.model, SVAE):
            return self.model.classify(self.model.split(self.model.encode(x)[0])[0])
        return self.model.classify_x(x)


class LatentMean(nn.Module):
    """x → μ_k(x) of q(z|x) for the part ``k``: ``'z1'`` (class units) or ``'z2'`` (nuisance units)."""

    def __init__(self, model: SVAE, part: str) -> None:
        super().__init__()
        if part not in ("z1", "z2"):
            raise ValueError(f"part must be 'z1' or 'z2', got {part!r}")
        self.model, self.part = model, part

    def forward(self, x: Tensor) -> Tensor:
        z1, z2 = self.model.split(self.model.encode(x)[0])
        return z1 if self.part == "z1" else z2


class KLDivergence(nn.Module):
    """The paper's Eq. (9) as a function of the transformed sample x̃, the original x fixed:

    d(x, x̃) = KL( q(z_k|x) ‖ q(z_k|x̃) ),  k ∈ {1, 2}  (``part`` = 'z1' or 'z2').

    ``reference`` is ``[1, ...]`` (one original for every x̃) or ``[B, ...]`` (one per row).
    Returns ``[B]``; d ≥ 0, and d = 0 when x̃ = x."""

    def __init__(self, model: SVAE, reference: Tensor, part: str) -> None:
        super().__init__()
        if part not in ("z1", "z2"):
            raise ValueError(f"part must be 'z1' or 'z2', got {part!r}")
        check_images(reference, model.channels, model.size)
        self.model, self.part = model, part
        with torch.no_grad():
            mu, lv = model.encode(reference)
        self.register_buffer("mu_ref", self._pick(mu).detach())
        self.register_buffer("lv_ref", self._pick(lv).detach())

    def _pick(self, t: Tensor) -> Tensor:
        z1, z2 = self.model.split(t)
        return z1 if self.part == "z1" else z2

    def forward(self, x_tilde: Tensor) -> Tensor:
        mu, lv = self.model.encode(x_tilde)
        mu_ref, lv_ref = self.mu_ref, self.lv_ref
        if mu_ref.shape[0] not in (1, x_tilde.shape[0]):
            # interpolation points: the attribution core stacks n_steps copies per input (repeat_interleave)
            reps = x_tilde.shape[0] // mu_ref.shape[0]
            mu_ref, lv_ref = mu_ref.repeat_interleave(reps, 0), lv_ref.repeat_interleave(reps, 0)
        return kl_normal(mu_ref, lv_ref, self._pick(mu), self._pick(lv))


__all__ = ["SVAE", "SemiVAE", "ClassifierLogits", "LatentMean", "KLDivergence", "ConvTrunk", "ConvDecoder",
           "kl_normal", "kl_normal_std", "gaussian_log_likelihood", "reparameterize", "check_images",
           "check_labels"]
