"""The pixel total-variation attribution prior on images (Erion et al. §2.3, Methods 3.1/4, Supp. E/F).

Training follows the reference code (``suinleelab/attributionpriors``, ``mnist_train.py``): two Adam
optimisers alternate on every batch — a task step on ``(1 − λ)·CE`` in train mode, then a prior step
on ``λ·mean_ℓ TV(std(Φ_ℓ))`` with dropout off (eval mode) — where Φ is expected gradients of the true
class with k shifted-batch references (or plain gradients for the "gradient model"), each map
standardised per image (as the reference's ``tf.image.per_image_standardization``, but without its
1/√N floor on the sd — see :func:`standardize_maps`) before its anisotropic TV is taken, so the prior
cannot be met by shrinking the attributions. ``mode='joint'`` instead minimises
``CE + λ·TV`` with one optimiser (a common simplification; not what the paper ran).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from attrprior.core.attributions import expected_gradients, gradients
from .augment import random_shift_rotate  # noqa: F401 (re-exported)
from .cnn import MnistCNN
from attrprior.core.priors import TotalVariation
from attrprior.core.training import History, Step, default_device, fit, make_loader, prior_loss, prior_only_loss, seed_everything

ATTRIBUTIONS = ("expected_gradients", "gradients")
MODES = ("alternating", "joint")


@dataclass(frozen=True)
class TrainConfig:
    """How one image model is trained (paper values for MNIST as defaults)."""

    epochs: int = 60
    batch_size: int = 50
    lr: float = 1e-4
    lr_decay: float = 0.95  # exponential decay per epoch
    k: int = 1  # EG references per image during training
    mode: str = "alternating"
    optimizer: str = "adam"  # "sgd" (momentum 0.9) for the CIFAR-10 VGG16
    decay_every: int = 1  # epochs between learning-rate decays (CIFAR-10: 0.5 every 20)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'sgd', got {self.optimizer!r}")
        if self.epochs < 1 or self.batch_size < 2 or self.k < 1 or self.decay_every < 1:
            raise ValueError("epochs, k, decay_every must be >= 1 and batch_size >= 2")
        if not (self.lr > 0 and 0 < self.lr_decay <= 1):
            raise ValueError(f"need lr > 0 and lr_decay in (0, 1], got {self.lr}, {self.lr_decay}")


# --------------------------------------------------------------------------- attributions and TV
def standardize_maps(attr: Tensor, min_sd: float = 1e-6) -> Tensor:
    """Per-image standardisation (φ − mean φ) / max(sd φ, min_sd), which makes TV scale-free.

    The reference code uses ``tf.image.per_image_standardization``, whose floor is 1/√N (0.036 for
    28×28): MNIST EG maps often have a smaller sd than that, so there the TV can still be lowered by
    shrinking the maps, which the paper's text says the normalisation is meant to prevent.
    ``min_sd=1/√N`` reproduces the reference exactly; the default only guards against 0/0.
    """
    flat = attr.flatten(1)
    sd = flat.std(1, unbiased=False).clamp_min(min_sd)
    return (flat - flat.mean(1, keepdim=True)).div(sd.unsqueeze(1)).view_as(attr)


def make_attribute(model: nn.Module, method: str, k: int = 1, generator: torch.Generator | None = None,
                   standardize: bool = True) -> Callable[[tuple[Tensor, Tensor]], Tensor]:
    """Training-time attribution closure ``(x, y) -> Φ`` (true-class, ``create_graph=True``, eval mode)."""
    if method not in ATTRIBUTIONS:
        raise ValueError(f"method must be one of {ATTRIBUTIONS}, got {method!r}")

    def attribute(batch: tuple[Tensor, Tensor]) -> Tensor:
        x, y = batch[0], batch[1]
        was_training = model.training
        model.eval()  # the reference turns dropout (and batch-norm updates) off for the prior step
        try:
            if method == "expected_gradients":
                attr = expected_gradients(model, x, "batch", target=y, n_samples=k, create_graph=True,
                                          generator=generator)
            else:
                attr = gradients(model, x, target=y, create_graph=True)
        finally:
            model.train(was_training)
        return standardize_maps(attr) if standardize else attr

    return attribute


def tv_per_image(attr: Tensor, standardize: bool = True) -> np.ndarray:
    """Anisotropic TV (:class:`~attrprior.core.priors.TotalVariation`) of each map, optionally standardised."""
    if attr.dim() < 3 or attr.shape[0] == 0:
        raise ValueError(f"need a non-empty batch of maps [N, (C,) H, W], got {tuple(attr.shape)}")
    maps = standardize_maps(attr) if standardize else attr
    tv = TotalVariation(reduction="sum")
    return np.array([float(tv(maps[i:i + 1].detach())) for i in range(maps.shape[0])])


def eg_maps(model: nn.Module, x: Tensor, y: Tensor, references: Tensor, n_samples: int = 100,
            seed: int = 0, chunk: int = 10) -> Tensor:
    """Expected gradients of the true class with ``n_samples`` draws from ``references`` (eval mode)."""
    model.eval()
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    out = []
    for i in range(0, x.shape[0], chunk):
        xb, yb = x[i:i + chunk].to(device), y[i:i + chunk].to(device)
        out.append(expected_gradients(model, xb, references.to(device), target=yb, n_samples=n_samples,
                                      generator=gen).detach().cpu())
    return torch.cat(out)


def gradient_maps(model: nn.Module, x: Tensor, y: Tensor, chunk: int = 200) -> Tensor:
    """Plain gradients of the true class (eval mode)."""
    model.eval()
    device = next(model.parameters()).device
    return torch.cat([gradients(model, x[i:i + chunk].to(device), target=y[i:i + chunk].to(device)).detach().cpu()
                      for i in range(0, x.shape[0], chunk)])


# --------------------------------------------------------------------------- training
def _optimizer(params, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr)
    return torch.optim.SGD(params, lr=cfg.lr, momentum=0.9)


def _scheduler(opt: torch.optim.Optimizer, cfg: TrainConfig):
    return torch.optim.lr_scheduler.StepLR(opt, step_size=cfg.decay_every, gamma=cfg.lr_decay)


def train_image_model(x: Tensor, y: Tensor, method: str | None, lam: float, cfg: TrainConfig, seed: int,
                      model_fn: Callable[[], nn.Module] = MnistCNN,
                      augment: Callable[[Tensor, torch.Generator], Tensor] | None = None,
                      device: torch.device | str | None = None, progress: bool = False) -> tuple[nn.Module, History]:
    """Train one classifier; ``method=None`` or ``lam=0`` is the baseline (task step only).

    ``alternating`` (the paper's reference code): Step 'task' minimises (1 − λ)·CE, Step 'prior'
    minimises λ·TV(std Φ) with its own Adam; both learning rates decay by ``lr_decay`` per epoch.
    """
    if lam < 0 or not math.isfinite(lam):
        raise ValueError(f"λ must be finite and >= 0, got {lam}")
    if method is not None and method not in ATTRIBUTIONS:
        raise ValueError(f"method must be None or one of {ATTRIBUTIONS}, got {method!r}")
    device = torch.device(device) if device is not None else default_device()
    gen = seed_everything(seed)
    model = model_fn().to(device)
    loader = make_loader(x, y, batch_size=cfg.batch_size, shuffle=True, seed=seed, drop_last=True)
    use_prior = method is not None and lam > 0
    scale = (1.0 - lam) if (use_prior and cfg.mode == "alternating" and lam < 1) else 1.0

    def task(batch: tuple[Tensor, Tensor]) -> Tensor:
        xb = augment(batch[0], gen) if augment is not None else batch[0]
        return scale * F.cross_entropy(model(xb), batch[1])

    opt = _optimizer(model.parameters(), cfg)
    if not use_prior:
        steps = [Step("task", opt, prior_loss(task), scheduler=_scheduler(opt, cfg))]
    else:
        attribute = make_attribute(model, method, k=cfg.k, generator=gen)
        tv = TotalVariation(reduction="mean")
        if cfg.mode == "joint":
            steps = [Step("task", opt, prior_loss(task, attribute, tv, lam), scheduler=_scheduler(opt, cfg))]
        else:
            opt2 = _optimizer(model.parameters(), cfg)
            steps = [Step("task", opt, prior_loss(task), scheduler=_scheduler(opt, cfg)),
                     Step("prior", opt2, prior_only_loss(attribute, tv, lam), scheduler=_scheduler(opt2, cfg))]
    history = fit(steps, loader, cfg.epochs, model=model, device=device, progress=progress,
                  desc=f"{method or 'baseline'} λ={lam:g} seed={seed}")
    model.eval()
    return model, history


# --------------------------------------------------------------------------- evaluation
@torch.no_grad()
def accuracy(model: nn.Module, x: Tensor, y: Tensor, batch_size: int = 500) -> float:
    """Top-1 accuracy in eval mode."""
    if x.shape[0] == 0 or x.shape[0] != y.shape[0]:
        raise ValueError("accuracy needs a non-empty x and one label per row")
    model.eval()
    device = next(model.parameters()).device
    hits = sum(int((model(x[i:i + batch_size].to(device)).argmax(1).cpu() == y[i:i + batch_size]).sum())
               for i in range(0, x.shape[0], batch_size))
    return hits / x.shape[0]


def _check_sigmas(sigmas: Sequence[float]) -> list[float]:
    sigmas = [float(s) for s in sigmas]
    if not sigmas:
        raise ValueError("the noise grid σ must not be empty")
    if any(not math.isfinite(s) or s < 0 for s in sigmas):
        raise ValueError(f"noise standard deviations must be finite and >= 0, got {sigmas}")
    return sigmas


def noise_accuracy(model: nn.Module, x: Tensor, y: Tensor, sigmas: Sequence[float], seed: int = 0,
                   batch_size: int = 500) -> np.ndarray:
    """Accuracy on ``x + N(0, σ²)`` for each σ (no clipping). The noise depends only on ``seed``,
    so every model sees the same corrupted images (a paired comparison)."""
    out = []
    for j, s in enumerate(_check_sigmas(sigmas)):
        gen = torch.Generator().manual_seed(seed * 1000 + j)
        noisy = x + s * torch.randn(x.shape, generator=gen) if s > 0 else x
        out.append(accuracy(model, noisy, y, batch_size))
    return np.array(out)


def select_lambda(lams: Sequence[float], accs: Sequence[float], tvs: Sequence[float], baseline_acc: float,
                  tolerance: float = 0.01) -> tuple[float, bool]:
    """The paper's rule: the λ with the lowest attribution TV among those whose accuracy is within
    ``tolerance`` (absolute) of the baseline. Returns ``(λ, True)``; if no λ qualifies, the most
    accurate λ and ``False``."""
    if len(lams) == 0:
        raise ValueError("the λ grid must not be empty")
    if not len(lams) == len(accs) == len(tvs):
        raise ValueError("lams, accs and tvs must have the same length")
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance}")
    ok = [i for i, a in enumerate(accs) if a >= baseline_acc - tolerance]
    if ok:
        best = min(ok, key=lambda i: (tvs[i], -accs[i]))
        return float(lams[best]), True
    return float(lams[int(np.argmax(accs))]), False


def check_lambda_grid(lams: Sequence[float]) -> list[float]:
    """Validate a λ grid: non-empty, finite, > 0, no duplicates."""
    lams = [float(v) for v in lams]
    if not lams:
        raise ValueError("the λ grid must not be empty")
    if any(not math.isfinite(v) or v <= 0 for v in lams) or len(set(lams)) != len(lams):
        raise ValueError(f"λ values must be finite, > 0 and distinct, got {lams}")
    return sorted(lams)


# --------------------------------------------------------------------------- experiment layer
@dataclass
class ImageData:
    """Train / validation (λ selection) / test tensors, a reference pool for evaluation EG, provenance."""

    train_x: Tensor
    train_y: Tensor
    val_x: Tensor
    val_y: Tensor
    test_x: Tensor
    test_y: Tensor
    ref_x: Tensor
    description: str

    def sizes(self) -> str:
        return f"{len(self.train_y):,} train / {len(self.val_y):,} validation / {len(self.test_y):,} test"


def prepare_mnist(n_train: int, n_val: int, n_test: int, n_references: int = 1000, source: str = "auto",
                  seed: int = 0) -> ImageData:
    """MNIST at 28×28 via :func:`attrprior.core.data.load_mnist`, scaled to [−0.5, 0.5] as the reference code.

    Validation images are carved out of the loader's training part (disjoint from the ``n_train``
    training images); the evaluation EG reference pool is drawn from the training images.
    ``n_train=0`` takes every training image not used for validation, ``n_test=0`` the whole test set.
    """
    from attrprior.core.data import load_mnist

    tr_x, tr_y, te_x, te_y, desc = load_mnist(size=28, source=source)
    n_train = n_train or len(tr_y) - n_val  # 0 = everything not used for validation
    n_test = n_test or len(te_y)
    if n_train + n_val > len(tr_y) or n_test > len(te_y) or min(n_train, n_val, n_test) < 2:
        raise ValueError(f"asked for {n_train} train + {n_val} val / {n_test} test images; the source has "
                         f"{len(tr_y)} / {len(te_y)} ({desc})")
    perm = torch.from_numpy(np.random.default_rng(seed).permutation(len(tr_y)))
    tr, va = perm[:n_train], perm[n_train:n_train + n_val]
    refs = tr[:min(n_references, n_train)]
    return ImageData(tr_x[tr] - 0.5, tr_y[tr], tr_x[va] - 0.5, tr_y[va], te_x[:n_test] - 0.5, te_y[:n_test],
                     tr_x[refs] - 0.5, desc)


def prepare_cifar10(n_train: int | None = None, n_val: int = 5000, n_test: int | None = None,
                    n_references: int = 1000, seed: int = 0) -> ImageData:
    """CIFAR-10 via :func:`attrprior.core.data.download_dataset` (raises ``DataUnavailableError`` offline),
    standardised per channel with the training set's mean and sd (Methods 4)."""
    from attrprior.core.data import download_dataset

    sets = download_dataset("cifar10")

    def arrays(ds) -> tuple[Tensor, Tensor]:
        x = torch.as_tensor(np.asarray(ds.data), dtype=torch.float32).permute(0, 3, 1, 2) / 255.0
        return x, torch.as_tensor(np.asarray(ds.targets), dtype=torch.int64)

    tr_x, tr_y = arrays(sets["train"])
    te_x, te_y = arrays(sets["test"])
    perm = torch.from_numpy(np.random.default_rng(seed).permutation(len(tr_y)))
    va, tr = perm[:n_val], perm[n_val:n_val + (n_train or len(tr_y))]
    mean, sd = tr_x[tr].mean((0, 2, 3), keepdim=True), tr_x[tr].std((0, 2, 3), keepdim=True)
    norm = lambda t: (t - mean) / sd  # noqa: E731
    n_test = n_test or len(te_y)
    return ImageData(norm(tr_x[tr]), tr_y[tr], norm(tr_x[va]), tr_y[va], norm(te_x[:n_test]), te_y[:n_test],
                     norm(tr_x[tr[:n_references]]),
                     f"CIFAR-10 via torchvision ({len(tr):,} train / {n_val:,} val / {n_test:,} test), "
                     "standardised per channel")


__all__ = [
    "ATTRIBUTIONS", "MODES", "ImageData", "TrainConfig", "accuracy", "check_lambda_grid", "eg_maps", "gradient_maps",
    "make_attribute", "noise_accuracy", "prepare_cifar10", "prepare_mnist", "random_shift_rotate", "select_lambda",
    "standardize_maps", "train_image_model", "tv_per_image",
]
