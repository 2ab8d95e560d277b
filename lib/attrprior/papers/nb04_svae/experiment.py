"""Experiments of notebook 04 (Nguyen & Rodríguez Martínez, supervised VAE): training, Table 1 metrics,
the invariance test (Fig. 2), invariant samples and their L2 diversity (Fig. 3), attributions of the
classifier and of z1 / z2 (Fig. 4), the KL-divergence attribution of Eq. (9) (Figs. 5-6) and
counterfactuals (Fig. 7). Every function is a plain function of (model, data, settings).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
from torch import Tensor

from attrprior.core import attributions as A
from .models import SVAE, ClassifierLogits, KLDivergence, LatentMean, SemiVAE, check_images, check_labels
from attrprior.core.metrics.seed_tests import mcnemar_one_sided  # noqa: F401 (re-exported)
from .models import gaussian_log_likelihood, reparameterize
from attrprior.core.training import History, Step, default_device, fit, make_loader, seed_everything

Model = SVAE | SemiVAE
KINDS = ("svae", "semivae")
ATTRIBUTION_METHODS = ("gradient_shap", "input_x_gradient", "gradients", "integrated_gradients")
METHOD_TITLES = {"gradient_shap": "GradientShap", "input_x_gradient": "InputXGradient",
                 "gradients": "Saliency", "integrated_gradients": "IntegratedGradients"}


# --------------------------------------------------------------------------- configurations & training
@dataclass(frozen=True)
class RunConfig:
    """One model of the Table 1 grid: SVAE (α, β) or SemiVAE (α)."""

    kind: str
    alpha: float
    beta: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if not self.alpha > 0:
            raise ValueError(f"alpha must be > 0, got {self.alpha}")
        if self.kind == "svae" and (self.beta is None or not 0 <= self.beta <= 1):
            raise ValueError(f"an SVAE needs beta in [0, 1], got {self.beta}")

    @property
    def label(self) -> str:
        a = f"{self.alpha:g}"
        return f"SVAE α={a} β={self.beta:g}" if self.kind == "svae" else f"SemiVAE α={a}"


def table1_grid(alphas: Sequence[float], betas: Sequence[float]) -> list[RunConfig]:
    """SVAE for every (α, β) and SemiVAE for every α, in Table 1's column order."""
    if not alphas or not betas:
        raise ValueError("table1_grid needs at least one alpha and one beta")
    return ([RunConfig("svae", float(a), float(b)) for a in alphas for b in betas]
            + [RunConfig("semivae", float(a)) for a in alphas])


def build_model(cfg: RunConfig, z1_dim: int = 10, z2_dim: int = 5, channels: int = 1, size: int = 28,
                width: int = 32, hidden: int = 256) -> Model:
    """A fresh SVAE or SemiVAE (SemiVAE's z has z1_dim + z2_dim units: the same latent size)."""
    if cfg.kind == "svae":
        return SVAE(z1_dim, z2_dim, 10, channels, size, hidden, width)
    return SemiVAE(z1_dim + z2_dim, 10, channels, size, hidden, width)


def train_model(cfg: RunConfig, train_x: Tensor, train_y: Tensor, *, seed: int, epochs: int, batch_size: int = 100,
                lr: float = 1e-3, device: torch.device | str | None = None, progress: bool = False,
                val: tuple[Tensor, Tensor] | None = None, **arch: int) -> tuple[Model, History]:
    """Seed everything, build the model and maximise its bound (Eq. 6 or Eq. 8) with Adam via ``training.fit``.
    With ``val`` = (images, labels), the history records held-out accuracy (%) after every epoch
    (``val_accuracy``; SVAE: z1 at its posterior mean)."""
    if train_x.dim() != 4:
        raise ValueError(f"train_x must be [N, C, H, W], got {tuple(train_x.shape)}")
    check_images(train_x, train_x.shape[1], train_x.shape[-1])
    check_labels(train_y, train_x.shape[0], 10)
    device = torch.device(device) if device is not None else default_device()
    seed_everything(seed)
    model = build_model(cfg, channels=train_x.shape[1], size=train_x.shape[-1], **arch).to(device)
    others = [p for n, p in model.named_parameters() if n != "log_scale"]
    opt = torch.optim.Adam([{"params": others}, {"params": [model.log_scale], "lr": 10 * lr}], lr=lr)
    beta = cfg.beta if cfg.beta is not None else 0.0

    def loss(batch: tuple[Tensor, Tensor]) -> tuple[Tensor, dict[str, float]]:
        out = model.objective(batch[0], batch[1], alpha=cfg.alpha, beta=beta)
        return out["loss"], {k: float(v.detach()) for k, v in out.items() if k not in ("loss", "elbo")}

    def validate() -> dict[str, float]:
        vx, vy = val[0].to(device), val[1].to(device)
        return {"accuracy": 100.0 * float((model.predict_proba(vx, n_samples=0).argmax(-1) == vy).float().mean())}

    loader = make_loader(train_x, train_y, batch_size=batch_size, seed=seed)
    history = fit([Step("elbo", opt, loss)], loader, epochs, model=model, device=device, progress=progress,
                  desc=cfg.label, validate=validate if val is not None else None)
    model.eval()
    return model, history


# --------------------------------------------------------------------------- Table 1 metrics
@torch.no_grad()
def evaluate(model: Model, x: Tensor, y: Tensor, n_mc: int = 10, batch_size: int = 500,
             generator: torch.Generator | None = None, per_image: bool = False) -> dict:
    """Table 1 metrics on held-out data.

    * ``R``: the reconstruction term of the model's own bound, E_{q(z|x,y)}[log p(x|z)] (SVAE, Eq. 6b) or
      E_{q(z|x,y)}[log p(x|y,z)] (SemiVAE, U in Eq. 8), true labels, one sample, mean per image (nats).
    * ``R_unlabelled``: the same without the label: z ~ q(z|x) (SVAE), z ~ q(z|x, ŷ) with ŷ its
      prediction (SemiVAE) — the encoder used to generate invariances (Eq. 5).
    * ``accuracy``: % correct of f(x) (Eq. 7 with ``n_mc`` samples for SVAE; q(y|x) for SemiVAE).

    ``per_image=True`` adds numpy arrays ``R_per_image`` and ``correct_per_image``.
    """
    model.eval()
    dev = next(model.parameters()).device
    r, r_u, correct = [], [], []
    for i in range(0, x.shape[0], batch_size):
        xb, yb = x[i:i + batch_size].to(dev), y[i:i + batch_size].to(dev)
        pred = model.predict_proba(xb, n_samples=n_mc, generator=generator).argmax(-1)
        correct.append(pred == yb)
        for lab, out in ((yb, r), (pred, r_u)):
            if isinstance(model, SVAE):
                mu, lv = model.encode_xy(xb, lab) if out is r else model.encode(xb)
                mean = model.decode(reparameterize(mu, lv, generator))
            else:
                mu, lv = model.encode_xy(xb, lab)
                mean = model.decode(lab, reparameterize(mu, lv, generator))
            out.append(gaussian_log_likelihood(xb, mean, model.scale()))
    r_all, ok = torch.cat(r).cpu(), torch.cat(correct).cpu()
    res = {"R": float(r_all.mean()), "R_unlabelled": float(torch.cat(r_u).mean()),
           "accuracy": 100.0 * float(ok.float().mean())}
    if per_image:
        res.update(R_per_image=r_all.numpy(), correct_per_image=ok.numpy())
    return res


# --------------------------------------------------------------------------- invariance test
@dataclass
class InvarianceAdapter:
    """What the invariance test needs from a model: the code the classifier keeps, a decoder that
    takes (kept code, nuisance), the classifier on images, and the nuisance size."""

    encode: Callable[[Tensor], Tensor]
    decode: Callable[[Tensor, Tensor], Tensor]
    predict: Callable[[Tensor], Tensor]
    nuisance_dim: int


def adapter(model: Model, n_mc: int = 0) -> InvarianceAdapter:
    """SVAE: keep μ1(x) (z1 at its posterior mean), nuisance z2, decode p(x|z1, z2), predict with Eq. 7.
    SemiVAE: keep ŷ = argmax q(y|x), nuisance all of z, decode p(x|ŷ, z), predict with q(y|x).
    ``n_mc = 0`` plugs μ1 into the SVAE classifier (deterministic)."""
    model.eval()
    predict = lambda x: model.predict_proba(x, n_samples=n_mc).argmax(-1)  # noqa: E731
    if isinstance(model, SVAE):
        return InvarianceAdapter(encode=lambda x: model.split(model.encode(x)[0])[0],
                                 decode=lambda k, z2: model.decode(torch.cat([k, z2], -1)),
                                 predict=predict, nuisance_dim=model.z2_dim)
    return InvarianceAdapter(encode=lambda x: model.predict_proba(x).argmax(-1),
                             decode=lambda k, z: model.decode(k, z), predict=predict, nuisance_dim=model.z_dim)


@torch.no_grad()
def invariance_test(adp: InvarianceAdapter, x: Tensor, sigmas: Sequence[float], n_repeats: int = 1,
                    generator: torch.Generator | None = None, batch_size: int = 500) -> np.ndarray:
    """Per image and σ, the fraction of ``n_repeats`` draws z2 ~ N(0, σ²I) after which the decoded image
    keeps the original's predicted label (Sec. 3.0.1): ``[len(sigmas), N]`` in [0, 1]."""
    if len(sigmas) == 0 or any((not math.isfinite(s)) or s < 0 for s in sigmas):
        raise ValueError(f"sigmas must be a non-empty list of finite values >= 0, got {list(sigmas)}")
    if n_repeats < 1:
        raise ValueError(f"n_repeats must be >= 1, got {n_repeats}")
    out = np.zeros((len(sigmas), x.shape[0]))
    for i in range(0, x.shape[0], batch_size):
        xb = x[i:i + batch_size]
        label, keep = adp.predict(xb), adp.encode(xb)
        for j, s in enumerate(sigmas):
            for _ in range(n_repeats):
                z = torch.randn((xb.shape[0], adp.nuisance_dim), generator=generator).to(xb) * s
                out[j, i:i + xb.shape[0]] += (adp.predict(adp.decode(keep, z)) == label).cpu().numpy()
    return out / n_repeats


def invariance_curve(adp: InvarianceAdapter, x: Tensor, sigmas: Sequence[float], n_repeats: int = 1,
                     generator: torch.Generator | None = None) -> np.ndarray:
    """Fig. 2: fraction of ``x`` whose predicted label survives resampling the nuisance code, per σ."""
    return invariance_test(adp, x, sigmas, n_repeats, generator).mean(1)


@torch.no_grad()
def invariant_samples(adp: InvarianceAdapter, x: Tensor, sigma: float, n: int,
                      generator: torch.Generator | None = None) -> dict[str, Tensor]:
    """``n`` transformed versions of each image (nuisance ~ N(0, σ²I)): ``samples [B, n, ...]``,
    ``kept [B, n]`` (same predicted label as the original), ``l2_original [B, n]`` = ‖x̃ − x‖₂ (the paper's
    diversity measure) and ``l2_reconstruction [B, n]`` = ‖x̃ − x̂‖₂ with x̂ decoded at nuisance 0
    (diversity without the reconstruction error)."""
    if n < 1 or sigma < 0:
        raise ValueError(f"need n >= 1 and sigma >= 0, got n={n}, sigma={sigma}")
    B = x.shape[0]
    keep, label = adp.encode(x), adp.predict(x)
    keep_rep = keep.repeat_interleave(n, 0)
    z = torch.randn((B * n, adp.nuisance_dim), generator=generator).to(x) * sigma
    samples = adp.decode(keep_rep, z)
    centre = adp.decode(keep, torch.zeros((B, adp.nuisance_dim)).to(x)).repeat_interleave(n, 0)
    kept = (adp.predict(samples) == label.repeat_interleave(n, 0)).view(B, n)
    l2o = (samples - x.repeat_interleave(n, 0)).flatten(1).norm(dim=1).view(B, n)
    l2r = (samples - centre).flatten(1).norm(dim=1).view(B, n)
    return {"samples": samples.view(B, n, *x.shape[1:]), "kept": kept, "l2_original": l2o,
            "l2_reconstruction": l2r}


@torch.no_grad()
def traversal_grid(model: SVAE, x: Tensor, dims: tuple[int, int], steps: Sequence[float]) -> Tensor:
    """Fig. 3: decode μ(x) with two nuisance units (indices into z2) shifted over ``steps`` × ``steps``;
    returns ``[len(steps), len(steps), C, H, W]`` (the original code at the centre when 0 is a step)."""
    check_images(x, model.channels, model.size)
    if x.shape[0] != 1 or len(dims) != 2 or not all(0 <= d < model.z2_dim for d in dims):
        raise ValueError(f"need one image and two nuisance dims in [0, {model.z2_dim}), got {dims}")
    mu = model.encode(x)[0][0]
    n = len(steps)
    codes = mu.repeat(n * n, 1)
    s = torch.as_tensor(list(steps), dtype=mu.dtype, device=mu.device)
    codes[:, model.z1_dim + dims[0]] += s.repeat_interleave(n)
    codes[:, model.z1_dim + dims[1]] += s.repeat(n)
    return model.decode(codes).view(n, n, *x.shape[1:])


def diversity_table(models: dict[str, Model], x: Tensor, sigmas: Sequence[float], n: int,
                    generator: torch.Generator | None = None) -> "pd.DataFrame":
    """Mean L2 distances and kept fraction of ``n`` invariant samples per image, per model and σ."""
    import pandas as pd

    rows = []
    for label, model in models.items():
        adp = adapter(model)
        for s in sigmas:
            out = invariant_samples(adp, x, s, n, generator)
            rows.append({"model": label, "sigma": float(s), "l2_original": float(out["l2_original"].mean()),
                         "l2_reconstruction": float(out["l2_reconstruction"].mean()),
                         "kept": float(out["kept"].float().mean())})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- attributions
def classifier_attributions(model: Model, x: Tensor, target: Tensor | int, baselines: Tensor,
                            methods: Sequence[str] = ATTRIBUTION_METHODS, n_steps: int = 32, n_samples: int = 20,
                            generator: torch.Generator | None = None) -> dict[str, Tensor]:
    """Fig. 4: attributions of the classifier's logit for ``target`` with the attribution core.
    GradientShap draws from ``baselines`` (a pool of training images); IG integrates from a black image;
    Saliency is |∂f/∂x|."""
    f = ClassifierLogits(model).eval()
    out = {}
    for m in methods:
        if m == "gradient_shap":
            out[m] = A.gradient_shap(f, x, baselines, target=target, n_samples=n_samples, generator=generator)
        elif m == "integrated_gradients":
            out[m] = A.integrated_gradients(f, x, torch.zeros_like(x[:1]), target=target, n_steps=n_steps)
        elif m == "gradients":
            out[m] = A.gradients(f, x, target=target, absolute=True)
        elif m == "input_x_gradient":
            out[m] = A.input_x_gradient(f, x, target=target)
        else:
            raise ValueError(f"unknown method {m!r}; choose from {ATTRIBUTION_METHODS}")
    return out


def latent_part_attributions(model: SVAE, x: Tensor, baselines: Tensor, n_samples: int = 20,
                             generator: torch.Generator | None = None) -> dict[str, Tensor]:
    """Label-free GradientShap (Σ_j μ_j(x)·attr_j) of the class units z1 and of the nuisance units z2."""
    return {part: A.label_free(LatentMean(model, part).eval(), x, method="gradient_shap", baselines=baselines,
                               n_samples=n_samples, generator=generator)
            for part in ("z1", "z2")}


def kl_attribution(model: SVAE, x: Tensor, x_tilde: Tensor, part: str, method: str = "gradient_shap",
                   n_samples: int = 50, n_steps: int = 32,
                   generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """Eq. (9): attribute d(x, x̃) = KL(q(z_k|x) ‖ q(z_k|x̃)) as a function of x̃ (``part`` 'z1' → k = 1,
    'z2' → k = 2). Choice: the baseline is the original x itself, so d(x, baseline) = 0 and the
    attributions split d(x, x̃) over the pixels where x̃ differs from x (exactly, up to quadrature, for IG;
    in expectation for GradientShap). ``x`` is one image ``[1, ...]``. Returns (attributions, d)."""
    check_images(x, model.channels, model.size)
    check_images(x_tilde, model.channels, model.size)
    if x.shape[0] != 1:
        raise ValueError(f"x must be a single original image [1, C, H, W], got {tuple(x.shape)}")
    f = KLDivergence(model, x, part).eval()
    with torch.no_grad():
        d = f(x_tilde)
    if method == "gradient_shap":
        attr = A.gradient_shap(f, x_tilde, x, n_samples=n_samples, generator=generator)
    elif method == "integrated_gradients":
        attr = A.integrated_gradients(f, x_tilde, x, n_steps=n_steps)
    else:
        raise ValueError(f"kl_attribution supports 'gradient_shap' and 'integrated_gradients', got {method!r}")
    return attr, d


# --------------------------------------------------------------------------- counterfactuals
@torch.no_grad()
def class_centroids(model: SVAE, x: Tensor, y: Tensor, batch_size: int = 1000) -> Tensor:
    """Mean of μ1(x) over the images of each class: ``[n_classes, z1_dim]``."""
    check_labels(y, x.shape[0], model.n_classes)
    mu1 = torch.cat([model.split(model.encode(x[i:i + batch_size])[0])[0] for i in range(0, x.shape[0], batch_size)])
    missing = [c for c in range(model.n_classes) if not (y == c).any()]
    if missing:
        raise ValueError(f"no images of classes {missing}: cannot place their centroids")
    return torch.stack([mu1[y == c].mean(0) for c in range(model.n_classes)])


@torch.no_grad()
def counterfactuals(model: SVAE, x: Tensor, centroids: Tensor, steps: Sequence[float] = tuple(np.linspace(0, 1, 11)),
                    n_mc: int = 0) -> dict[str, Tensor]:
    """Sec. 3.1.2: for each image and each class c, move z1 from μ1(x) toward c's centroid,
    z1(t) = (1 − t)·μ1(x) + t·centroid_c, keep z2 = μ2(x), decode and reclassify. The counterfactual is the
    decoded image at the smallest t on ``steps`` whose prediction is c (t = max(steps) if none is).
    Returns ``images [B, K, C, H, W]``, ``predicted [B, K]``, ``t [B, K]``, ``success [B, K]`` (pred == c)."""
    check_images(x, model.channels, model.size)
    steps_t = torch.as_tensor(sorted(float(s) for s in steps))
    if steps_t.numel() == 0 or steps_t.min() < 0:
        raise ValueError("steps must be a non-empty list of values >= 0")
    B, K, T = x.shape[0], centroids.shape[0], steps_t.numel()
    mu = model.encode(x)[0]
    mu1, mu2 = model.split(mu)
    t = steps_t.to(mu).view(1, 1, T, 1)
    z1 = (1 - t) * mu1.view(B, 1, 1, -1) + t * centroids.view(1, K, 1, -1)            # [B, K, T, z1]
    z2 = mu2.view(B, 1, 1, -1).expand(B, K, T, mu2.shape[-1])
    imgs = model.decode(torch.cat([z1, z2], -1).reshape(B * K * T, -1))
    pred = model.predict_proba(imgs, n_samples=n_mc).argmax(-1).view(B, K, T)
    hit = pred == torch.arange(K, device=pred.device).view(1, K, 1)
    first = torch.where(hit.any(-1), hit.float().argmax(-1), torch.full((B, K), T - 1, device=pred.device))
    imgs = imgs.view(B, K, T, *x.shape[1:])
    idx = first.view(B, K, 1, *([1] * (x.dim() - 1))).expand(B, K, 1, *x.shape[1:])
    return {"images": imgs.gather(2, idx).squeeze(2), "predicted": pred.gather(2, first.unsqueeze(-1)).squeeze(-1),
            "t": steps_t.to(mu)[first], "success": hit.any(-1)}


# --------------------------------------------------------------------------- data
def dataset_tensors(ds, limit: int | None = None) -> tuple[Tensor, Tensor]:
    """A torchvision CIFAR10 / SVHN / MNIST data set as (float images in [0, 1] ``[N, C, H, W]``, int64 labels)."""
    data = ds.data.numpy() if isinstance(ds.data, Tensor) else np.asarray(ds.data)
    labels = getattr(ds, "targets", None)
    labels = getattr(ds, "labels", None) if labels is None else labels
    if data.ndim == 3:
        data = data[:, None]
    elif data.shape[-1] in (1, 3):  # CIFAR: N, H, W, C
        data = data.transpose(0, 3, 1, 2)
    n = len(data) if limit is None else min(limit, len(data))
    return (torch.as_tensor(data[:n], dtype=torch.float32) / 255.0,
            torch.as_tensor(np.asarray(labels)[:n], dtype=torch.int64))


__all__ = [
    "ATTRIBUTION_METHODS", "diversity_table", "InvarianceAdapter", "KINDS", "METHOD_TITLES", "RunConfig", "adapter",
    "build_model", "class_centroids", "classifier_attributions", "counterfactuals", "dataset_tensors", "evaluate",
    "invariance_curve", "invariance_test", "invariant_samples", "kl_attribution", "latent_part_attributions",
    "mcnemar_one_sided", "table1_grid", "train_model", "traversal_grid",
]
