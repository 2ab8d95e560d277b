"""Experiment runner for notebook 01 (Amad): VAEs trained with label-free attribution priors.

One run = one VAE (:mod:`attrprior.papers.nb01_unsupervised_priors.vae`) trained by :func:`attrprior.core.training.fit` with the loss

    −ELBO(x) + λ · Ω(S),   S[b, j] = |μ_j(x_b) · GradSHAP(μ_j, x_b; baseline 0, n samples)|

where Ω is one of :mod:`attrprior.core.priors` (``total_variation``, ``entropy``, ``pearson``), then
evaluated on held-out images with :mod:`attrprior.papers.nb01_unsupervised_priors.saliency_metrics`. Two ways to back-propagate Ω:

* ``mode="full"``    — the attribution is computed with ``create_graph=True``: Ω's gradient reaches
  the encoder through μ *and* through the attribution (a second-order gradient);
* ``mode="mu_only"`` — the reference implementation: the attribution is computed without a graph
  (a constant), so Ω's gradient reaches the encoder only through μ in |μ_j · attr_j|.

A grid is data (a list of :class:`RunSpec`); every λ = 0 run is the same plain VAE, so it is trained
once per seed and shared by all priors. Runs with the same seed share initialisation and data order.
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable, Sequence

import pandas as pd
import torch
from torch import Tensor

from attrprior.core.attributions import latent_saliency
from .saliency_metrics import salient_features, saliency_metrics
from .vae import VAE, VAELoss, bernoulli_recon, kl_normal
from attrprior.compendium.sweep import run_jobs
from attrprior.core.priors import make_prior
from attrprior.compendium.store import RunStore, fingerprint
from attrprior.core.training import NonFiniteLossError, Step, default_device, fit, make_loader, prior_loss, seed_everything

PRIOR_NAMES = ("total_variation", "entropy", "pearson")
MODES = ("mu_only", "full")
KINDS = ("vae", "prior", "beta_vae", "beta_tcvae")
METRICS = ("recon", "tv", "tv_rel", "entropy", "pearson", "top_share", "kl", "mu_rms")


@dataclass(frozen=True)
class RunSpec:
    """One model to train. ``kind`` "vae" is the shared λ = 0 baseline (β = 1)."""

    kind: str
    seed: int
    prior: str = ""
    lam: float = 0.0
    mode: str = ""
    beta: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown run kind {self.kind!r}; choose from {KINDS}")
        if self.kind == "prior":
            if self.prior not in PRIOR_NAMES:
                raise ValueError(f"unknown prior {self.prior!r}; choose from {PRIOR_NAMES}")
            if self.mode not in MODES:
                raise ValueError(f"unknown mode {self.mode!r}; choose from {MODES}")
            if not (self.lam > 0 and math.isfinite(self.lam)):
                raise ValueError(f"a prior run needs a finite λ > 0 (λ = 0 is the shared 'vae' run), got {self.lam}")
        if self.beta < 0:
            raise ValueError(f"β must be >= 0, got {self.beta}")

    @property
    def label(self) -> str:
        if self.kind == "prior":
            return f"{self.prior} λ={self.lam:g} ({self.mode}) seed {self.seed}"
        if self.kind == "vae":
            return f"VAE (λ=0) seed {self.seed}"
        return f"{self.kind} β={self.beta:g} seed {self.seed}"


@dataclass
class TrainSettings:
    """Optimisation and attribution settings shared by every run of a sweep."""

    epochs: int = 50  # epochs of the run's own loss (after any warm-up)
    warmup_epochs: int = 0  # plain-VAE epochs shared by all runs of a seed before their own loss starts
    batch_size: int = 300
    lr: float = 1e-3
    weight_decay: float = 1e-5
    latent_dim: int = 3
    n_samples: int = 5  # Gradient SHAP samples per image for the prior during training
    prior_batch: int | None = None  # images of each batch the prior is computed on (None/0: all)
    device: str | None = None


def build_grid(seeds: Sequence[int], lambdas: dict[str, Sequence[float]], modes: Sequence[str],
               beta_vae: Sequence[float] = (), beta_tcvae: Sequence[float] = ()) -> list[RunSpec]:
    """Every run of a sweep: one shared λ = 0 VAE per seed, each prior × λ > 0 × mode, the β grids."""
    runs: list[RunSpec] = []
    for seed in seeds:
        runs.append(RunSpec("vae", seed))
        for prior, lams in lambdas.items():
            for lam in sorted({float(v) for v in lams if v > 0}):
                runs += [RunSpec("prior", seed, prior, lam, mode) for mode in modes]
        runs += [RunSpec("beta_vae", seed, beta=float(b)) for b in beta_vae if b != 1]
        runs += [RunSpec("beta_tcvae", seed, beta=float(b)) for b in beta_tcvae]
    return runs


# --------------------------------------------------------------------------- attribution + prior
def _zero_baseline(x: Tensor) -> Tensor:
    return torch.zeros_like(x[:1])


def training_saliency(encoder_mu: torch.nn.Module, x: Tensor, mode: str, n_samples: int,
                      generator: torch.Generator | None = None) -> Tensor:
    """Saliency ``|μ_j · GradSHAP_j|`` ``[B, d, C, H, W]`` wired for training in ``mode``."""
    if mode in MODES:
        return latent_saliency(encoder_mu, x, method="gradient_shap", baselines=_zero_baseline(x),
                               n_samples=n_samples, create_graph=mode == "full", mu_grad=mode == "mu_only",
                               generator=generator)
    raise ValueError(f"unknown mode {mode!r}; choose from {MODES}")


def prior_penalty(name: str, batch_scale: float = 1.0) -> Callable[[Tensor], Tensor]:
    """Ω(S) for a saliency batch.

    * ``total_variation``: Amad Eq. 2 summed over the images of the training batch (``reduction="sum"``);
      when the prior sees only a sub-batch, the sum is scaled by ``batch_scale`` = batch / sub-batch
      to estimate the full-batch sum;
    * ``entropy``: Eq. 7 over the salient features (the same support as the metric);
    * ``pearson``: Eq. 9, correlations pooled over samples and pixels.
    """
    if name == "total_variation":
        tv = make_prior("total_variation", reduction="sum")
        return lambda s: tv(s) * batch_scale
    if name == "entropy":
        ent = make_prior("entropy")
        return lambda s: ent(salient_features(s))
    if name == "pearson":
        return make_prior("pearson", per_sample=False)
    raise ValueError(f"unknown prior {name!r}; choose from {PRIOR_NAMES}")


# --------------------------------------------------------------------------- one run
def _device(settings: TrainSettings) -> torch.device:
    return torch.device(settings.device) if settings.device else default_device()


def _new_model(settings: TrainSettings, train_x: Tensor) -> tuple[VAE, torch.optim.Optimizer]:
    vae = VAE(settings.latent_dim, img_size=train_x.shape[-1], n_chan=train_x.shape[1]).to(_device(settings))
    return vae, torch.optim.Adam(vae.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)


def _loader(train_x: Tensor, settings: TrainSettings, seed: int):
    return make_loader(train_x, batch_size=settings.batch_size, shuffle=True, seed=seed,
                       drop_last=len(train_x) > settings.batch_size)


def warm_start(seed: int, train_x: Tensor, settings: TrainSettings, progress: bool = False) -> dict:
    """Train a plain VAE (β = 1, no prior) for ``settings.warmup_epochs``; return its model and
    optimiser state, the common starting point of every run with this seed."""
    seed_everything(seed)
    vae, opt = _new_model(settings, train_x)
    loss = VAELoss("vae")
    step = Step("vae", opt, prior_loss(lambda b: loss(vae(b[0]), b[0])[0]))
    fit([step], _loader(train_x, settings, seed), settings.warmup_epochs, model=vae, device=_device(settings),
        progress=progress, desc=f"warm-up seed {seed}")
    return {"model": copy.deepcopy(vae.state_dict()), "opt": copy.deepcopy(opt.state_dict())}


def train_vae(run: RunSpec, train_x: Tensor, settings: TrainSettings, warm: dict | None = None,
              progress: bool = False):
    """Train one VAE for ``run`` (from ``warm`` if given, else from scratch); returns ``(model, History)``.

    Raises NonFiniteLossError on divergence."""
    seed_everything(run.seed)
    vae, opt = _new_model(settings, train_x)
    if warm is not None:
        vae.load_state_dict(warm["model"])
        opt.load_state_dict(copy.deepcopy(warm["opt"]))  # Adam would otherwise update the shared state in place
        seed_everything(run.seed + 1)  # identical randomness for every run continuing from this start
    if run.kind == "beta_tcvae":
        vae_loss = VAELoss("beta_tcvae", beta=run.beta, n_data=len(train_x))
    else:
        vae_loss = VAELoss("beta_vae" if run.kind == "beta_vae" else "vae", beta=run.beta)

    def task(batch) -> Tensor:
        x = batch[0]
        return vae_loss(vae(x), x)[0]

    attribute = prior = None
    if run.kind == "prior":
        k = min(settings.prior_batch or settings.batch_size, settings.batch_size)

        def attribute(batch) -> Tensor:
            return training_saliency(vae.encoder_mu, batch[0][:k], run.mode, settings.n_samples)

        prior = prior_penalty(run.prior, batch_scale=settings.batch_size / k)
    step = Step("vae", opt, prior_loss(task, attribute, prior, run.lam if run.kind == "prior" else 0.0))
    loader = _loader(train_x, settings, run.seed + (1 if warm is not None else 0))
    history = fit([step], loader, settings.epochs, model=vae, device=_device(settings), progress=progress,
                  desc=run.label)
    vae.eval()
    return vae, history


def saliency_maps(vae: VAE, x: Tensor, n_samples: int = 5, seed: int = 0, batch_size: int = 250) -> Tensor:
    """Evaluation saliency ``[N, d, C, H, W]`` on CPU (fixed Gradient-SHAP draws for ``seed``)."""
    device = next(vae.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    out = []
    for i in range(0, len(x), batch_size):
        xb = x[i:i + batch_size].to(device)
        sal = latent_saliency(vae.encoder_mu, xb, method="gradient_shap", baselines=_zero_baseline(xb),
                              n_samples=n_samples, generator=gen)
        out.append(sal.detach().cpu())
    return torch.cat(out)


@torch.no_grad()
def reconstruction(vae: VAE, x: Tensor, batch_size: int = 500) -> dict[str, float]:
    """Held-out reconstruction error (Σ_pixels BCE per image, z = μ), KL (both averaged over images)
    and ``mu_rms``, the root-mean-square latent mean (averaged over latents): the scale of μ."""
    device = next(vae.parameters()).device
    vae.eval()
    rec, kl, mu = [], [], []
    for i in range(0, len(x), batch_size):
        xb = x[i:i + batch_size].to(device)
        out = vae(xb)
        rec.append(bernoulli_recon(out.logits, xb, reduction="none").cpu())
        kl.append(float(kl_normal(out.mu, out.logvar)) * len(xb))
        mu.append(out.mu.cpu())
    mu_rms = torch.cat(mu).pow(2).mean(0).sqrt()  # per latent
    return {"recon": float(torch.cat(rec).mean()), "kl": sum(kl) / len(x), "mu_rms": float(mu_rms.mean())}


def evaluate(vae: VAE, test_x: Tensor, n_samples: int = 5, seed: int = 0) -> tuple[dict[str, float], Tensor]:
    """All metrics on held-out images; returns ``(metrics, saliency maps)``."""
    sal = saliency_maps(vae, test_x, n_samples=n_samples, seed=seed)
    return {**reconstruction(vae, test_x), **saliency_metrics(sal)}, sal


# --------------------------------------------------------------------------- sweep
@dataclass
class SweepResult:
    frame: pd.DataFrame  # one row per run: spec, metrics, status, timing
    maps: dict[RunSpec, Tensor] = field(default_factory=dict)  # saliency of the first test images
    histories: dict[RunSpec, pd.DataFrame] = field(default_factory=dict)


def _sweep_job(task: tuple, shared: dict) -> tuple[dict, Tensor | None, pd.DataFrame | None]:
    """Train and evaluate one run (a :func:`attrprior.compendium.sweep.run_jobs` job): ``(row, maps, history)``.
    With a store, a run stored earlier is loaded instead, and a new one is stored as soon as it is done."""
    run, warm = task
    store: RunStore | None = shared.get("store")
    if store is not None and (hit := store.get(asdict(run))) is not None:
        row, maps, history = hit
        return {**row, "from_store": True}, maps, history
    settings, train_x, test_x = shared["settings"], shared["train_x"], shared["test_x"]
    start = time.time()
    row, maps, history = {**asdict(run), "status": "ok"}, None, None
    try:
        vae, hist = train_vae(run, train_x, settings, warm)
        train_s = time.time() - start
        metrics, sal = evaluate(vae, test_x, n_samples=shared["n_samples_eval"], seed=shared["eval_seed"])
        maps, history = sal[: shared["keep_maps"]].clone(), hist.to_frame()
        row.update(metrics, train_loss=hist.last().get("vae_loss", float("nan")), train_s=train_s)
    except NonFiniteLossError as err:
        row.update({m: float("nan") for m in METRICS}, status="diverged", error=str(err)[:200])
    row["total_s"] = time.time() - start
    if store is not None:
        store.put(asdict(run), (row, maps, history))
    return {**row, "from_store": False}, maps, history


def _warm_job(seed: int, shared: dict) -> dict:
    return warm_start(seed, shared["train_x"], shared["settings"])


def sweep_store(folder, train_x: Tensor, test_x: Tensor, settings: TrainSettings, n_samples_eval: int = 5,
                keep_maps: int = 6, eval_seed: int = 0) -> RunStore:
    """A :class:`attrprior.compendium.store.RunStore` for :func:`run_sweep`, keyed by everything that decides a run's
    result besides its RunSpec: the code this module runs (its import closure in the core and this paper, see
    :func:`attrprior.compendium.cache.code_digest`), data, settings, evaluation, torch version and device type."""
    from attrprior.compendium.cache import code_digest

    context = {"code": code_digest(__name__), "data": fingerprint(train_x, test_x), "settings": asdict(settings),
               "device": _device(settings).type, "torch": torch.__version__,
               "eval": {"n_samples": n_samples_eval, "keep_maps": keep_maps, "seed": eval_seed}}
    return RunStore(folder, context)


def run_sweep(runs: Iterable[RunSpec], train_x: Tensor, test_x: Tensor, settings: TrainSettings,
              n_samples_eval: int = 5, keep_maps: int = 6, eval_seed: int = 0, progress: bool = True,
              workers: int = 1, store: RunStore | None = None) -> SweepResult:
    """Train and evaluate every run (tqdm over runs), in ``workers`` processes of one torch thread each
    when ``workers > 1`` (results are identical to ``workers=1``). A run whose loss becomes non-finite is
    kept as a row with ``status='diverged'`` and NaN metrics rather than dropped.

    With a ``store`` (:func:`sweep_store`), every finished run is saved at once and runs found there are
    loaded, not retrained: an interrupted sweep resumes where it stopped. The frame's ``from_store``
    column says which rows were loaded; their ``train_s`` is the original training time."""
    runs = list(dict.fromkeys(runs))  # de-duplicate, keep order
    shared = {"settings": settings, "train_x": train_x, "test_x": test_x, "n_samples_eval": n_samples_eval,
              "keep_maps": keep_maps, "eval_seed": eval_seed, "store": store}
    todo = [r for r in runs if store is None or not store.path(asdict(r)).is_file()]
    seeds = sorted({r.seed for r in todo}) if settings.warmup_epochs > 0 else []
    warm = (dict(zip(seeds, run_jobs(_warm_job, seeds, workers, shared, desc="warm-up", progress=progress,
                                          describe=lambda s: f"warm-up of seed {s}")))
            if seeds else {})
    # prior runs (the slow ones) are handed out first so no worker is left with one at the end
    order = sorted(range(len(runs)), key=lambda i: runs[i].kind != "prior")
    out = run_jobs(_sweep_job, [(r, warm.get(r.seed)) for r in runs], workers, shared, order=order,
                   describe=lambda task: task[0].label, desc="runs", progress=progress)
    frame = pd.DataFrame([row for row, _, _ in out])
    maps = {r: m for r, (_, m, _) in zip(runs, out) if m is not None}
    histories = {r: h for r, (_, _, h) in zip(runs, out) if h is not None}
    return SweepResult(frame, maps, histories)


__all__ = [
    "KINDS", "METRICS", "MODES", "PRIOR_NAMES", "RunSpec", "SweepResult", "TrainSettings", "build_grid", "evaluate",
    "prior_penalty", "reconstruction", "run_sweep", "saliency_maps", "sweep_store", "train_vae", "training_saliency", "warm_start",
]
