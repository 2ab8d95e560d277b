"""Deep attribution priors (DAPr; Weinberger, Janizek & Lee, NeurIPS 2020) and the baselines of its Table 1.

A prediction model f (an MLP) and a prior model g over meta-features M ``[p, k]`` (one row per input feature)
are trained **alternately** on every mini-batch, with the shared training loop :func:`attrprior.core.training.fit`:

1. step "g" (f fixed):  min_g  mean_x ‖Φ_EG(f, x) − G(M)‖₁ / p,   Φ detached — g fits f's current attributions;
2. step "f" (g fixed):  min_f  L(f(x), y) + λ · mean_x ‖Φ_EG(f, x) − G(M)‖₁ / p   (paper §3, the DAPr objective),

where Φ_EG are expected gradients (:func:`attrprior.core.attributions.expected_gradients`, references drawn from the
training set, ``create_graph=True``) and the penalty is :class:`attrprior.core.priors.MetaFeaturePrior`. Both steps
use the same attributions of the batch (computed once, before either update), so each step sees the other model
as it currently is. Dividing by p makes λ the weight of the mean per-feature distance, as the reference code's
``(g(M) - eg).abs().mean()``. Φ is compared as |Φ| (``TrainConfig.absolute``, the reference code for AD/AML) or
signed (for classification the true class's attribution, the reference code for two moons). Early stopping on the
validation metric restores the best (f, g) pair.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import Tensor, nn

from attrprior.core.attributions import expected_gradients, mean_abs_attribution
from attrprior.core.priors import MetaFeaturePrior
from attrprior.core.training import EarlyStopping, History, Step, default_device, fit, make_loader, prior_loss, seed_everything

TASKS = ("classification", "regression")


# --------------------------------------------------------------------------- models
def moons_hidden(n_features: int, rule: str = "paper") -> tuple[int, int]:
    """Hidden widths for p input features: paper §4.1 (⌊p/2⌋, ⌊p/4⌋) or the reference code (⌊p/4⌋, ⌊p/8⌋)."""
    if rule == "paper":
        return max(1, n_features // 2), max(1, n_features // 4)
    if rule == "code":
        h1 = max(1, n_features // 4)
        return h1, max(1, h1 // 2)
    raise ValueError(f"hidden rule must be 'paper' or 'code', got {rule!r}")


class _Frozen(nn.Module):
    """g seen from f's step: its output is a constant (no gradient reaches g)."""

    def __init__(self, g: nn.Module) -> None:
        super().__init__()
        self.g = [g]  # a list, so g's parameters are not registered twice

    def forward(self, m: Tensor) -> Tensor:
        with torch.no_grad():
            return self.g[0](m)


def check_meta_features(meta: np.ndarray | Tensor, n_features: int) -> Tensor:
    """Validate a meta-feature matrix ``[p, k]`` against p input features; return it as a float32 tensor."""
    m = torch.as_tensor(np.asarray(meta, dtype=np.float32) if not isinstance(meta, Tensor) else meta).float()
    if m.dim() != 2 or m.shape[1] < 1:
        raise ValueError(f"meta-features must be a [p, k] matrix (one row per input feature), got {tuple(m.shape)}")
    if m.shape[0] != n_features:
        raise ValueError(f"meta-feature matrix has {m.shape[0]} rows but the model has {n_features} input features: "
                         "there must be exactly one row per feature")
    if not torch.isfinite(m).all():
        bad = int((~torch.isfinite(m)).any(1).sum())
        raise ValueError(f"meta-feature matrix contains NaN or inf in {bad} row(s); impute or drop them first")
    return m


# --------------------------------------------------------------------------- configuration and results
@dataclass
class TrainConfig:
    """Optimisation settings shared by every neural model here (Adam, mini-batches, early stopping)."""

    lr: float = 5e-4
    prior_lr: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int = 32
    max_epochs: int = 300
    patience: int = 100          # DAPr reference code: 100 (two moons, AD), 50 (AML Dasatinib)
    eg_samples: int = 1          # EG references per sample during training (reference code: k = 1)
    absolute: bool = True        # compare |Φ| with g(M) (reference code for AD/AML); False: signed Φ
    seed: int = 0

    def __post_init__(self) -> None:
        if self.lr <= 0 or self.prior_lr <= 0 or self.batch_size < 2 or self.max_epochs < 1 or self.patience < 1:
            raise ValueError(f"invalid TrainConfig: {self}")


@dataclass
class Trained:
    """A trained model and what came with it. ``prior`` is g (DAPr, MERGE) or None."""

    model: nn.Module
    task: str
    history: History
    prior: nn.Module | None = None
    meta: Tensor | None = None
    extra: dict = field(default_factory=dict)

    def predict(self, X: np.ndarray | Tensor) -> np.ndarray:
        self.model.eval()
        with torch.no_grad():
            out = self.model(torch.as_tensor(np.asarray(X), dtype=torch.float32, device=_device_of(self.model)))
        out = out.cpu()
        return out.argmax(1).numpy() if self.task == "classification" else out.squeeze(-1).numpy()

    def score(self, X: np.ndarray | Tensor, y: np.ndarray | Tensor) -> float:
        """Accuracy (classification) or mean squared error (regression)."""
        return score(self.predict(X), np.asarray(y), self.task)

    def predicted_importance(self) -> np.ndarray:
        """G(M): the prior model's predicted importance of every feature."""
        if self.prior is None or self.meta is None:
            raise ValueError("this model has no prior model g")
        with torch.no_grad():
            return self.prior(self.meta.to(_device_of(self.prior))).squeeze(-1).cpu().numpy()


def score(pred: np.ndarray, y: np.ndarray, task: str) -> float:
    """Accuracy for classification, mean squared error for regression."""
    if task == "classification":
        return float(np.mean(pred == y))
    if task == "regression":
        return float(np.mean((pred - y) ** 2))
    raise ValueError(f"task must be one of {TASKS}, got {task!r}")


def _task_loss(task: str, model: nn.Module) -> Callable:
    if task == "classification":
        return lambda b: nn.functional.cross_entropy(model(b[0]), b[1])
    if task == "regression":
        return lambda b: nn.functional.mse_loss(model(b[0]).squeeze(-1), b[1])
    raise ValueError(f"task must be one of {TASKS}, got {task!r}")


def _device_of(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def _tensors(X, y, task: str) -> tuple[Tensor, Tensor]:
    X = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(y), dtype=torch.long if task == "classification" else torch.float32)
    if X.dim() != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must be [n, p] and y [n], got {tuple(X.shape)} and {tuple(y.shape)}")
    if not torch.isfinite(X).all():
        raise ValueError("X contains NaN or inf")
    return X, y


def _run(steps: list[Step], wrapper: nn.Module, f: nn.Module, task: str, data, cfg: TrainConfig,
         desc: str, progress: bool) -> History:
    """fit() with early stopping on validation accuracy (classification) or MSE (regression)."""
    Xtr, ytr, Xva, yva = data
    device = _device_of(f)
    metric, mode = ("accuracy", "max") if task == "classification" else ("mse", "min")
    Xva_d, yva_np = Xva.to(device), yva.numpy()

    def validate() -> dict[str, float]:
        with torch.no_grad():
            out = f(Xva_d).cpu()
        pred = out.argmax(1).numpy() if task == "classification" else out.squeeze(-1).numpy()
        return {metric: score(pred, yva_np, task)}

    loader = make_loader(Xtr, ytr, batch_size=cfg.batch_size, seed=cfg.seed, drop_last=len(ytr) > cfg.batch_size)
    return fit(steps, loader, cfg.max_epochs, model=wrapper, device=device, validate=validate,
               early_stopping=EarlyStopping(metric, patience=cfg.patience, mode=mode), progress=progress, desc=desc)


# --------------------------------------------------------------------------- DAPr
class _SharedAttributions:
    """EG of f for the current batch, computed once (with graph) and shared by the g and f steps."""

    def __init__(self, f: nn.Module, references: Tensor, task: str, n_samples: int, gen: torch.Generator) -> None:
        self.f, self.refs, self.task, self.k, self.gen = f, references, task, n_samples, gen
        self._batch: Tensor | None = None
        self._attr: Tensor | None = None

    def __call__(self, batch) -> Tensor:
        if self._batch is not batch[0]:
            target = batch[1] if self.task == "classification" else None
            self._attr = expected_gradients(self.f, batch[0], self.refs, target=target, n_samples=self.k,
                                            create_graph=True, generator=self.gen)
            self._batch = batch[0]
        return self._attr


def train_dapr(f: nn.Module, g: nn.Module, meta: np.ndarray | Tensor, X_train, y_train, X_val, y_val, *,
               task: str, lam: float, cfg: TrainConfig = TrainConfig(), progress: bool = False) -> Trained:
    """Train f with a deep attribution prior g over ``meta`` ``[p, k]``, alternating g- and f-steps (module doc).

    Raises ValueError when ``meta`` has NaN/inf, is not 2-d, or has a row count other than the number of
    features of ``X_train``.
    """
    Xtr, ytr = _tensors(X_train, y_train, task)
    Xva, yva = _tensors(X_val, y_val, task)
    m = check_meta_features(meta, Xtr.shape[1])
    if lam < 0:
        raise ValueError(f"λ must be >= 0, got {lam}")
    gen = seed_everything(cfg.seed)
    device = default_device()
    f, g, m = f.to(device), g.to(device), m.to(device)
    p = Xtr.shape[1]
    shared = _SharedAttributions(f, Xtr.to(device), task, cfg.eg_samples, gen)
    fit_g = MetaFeaturePrior(g, m, absolute=cfg.absolute)
    pull_f = MetaFeaturePrior(_Frozen(g), m, absolute=cfg.absolute)

    def g_loss(batch):
        penalty = fit_g(shared(batch).detach()) / p
        return penalty, {"g_fit": float(penalty.detach())}

    f_loss = prior_loss(_task_loss(task, f), lambda b: shared(b), lambda a: pull_f(a) / p, lam)
    steps = [Step("g", torch.optim.Adam(g.parameters(), lr=cfg.prior_lr), g_loss),
             Step("f", torch.optim.Adam(f.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay), f_loss)]
    wrapper = nn.ModuleDict({"f": f, "g": g})
    hist = _run(steps, wrapper, f, task, (Xtr, ytr, Xva, yva), cfg, "DAPr", progress)
    return Trained(f, task, hist, prior=g, meta=m, extra={"lam": lam})


# --------------------------------------------------------------------------- baselines
def weight_penalty(model: nn.Module, kind: str) -> Tensor:
    """Σ|W| (``'l1'``) or Σ W² (``'l2'``) over the weight matrices of ``model`` (biases excluded)."""
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    if kind == "l1":
        return sum(w.abs().sum() for w in weights)
    if kind == "l2":
        return sum((w ** 2).sum() for w in weights)
    raise ValueError(f"kind must be 'l1' or 'l2', got {kind!r}")


def train_plain(f: nn.Module, X_train, y_train, X_val, y_val, *, task: str, l1: float = 0.0, l2: float = 0.0,
                cfg: TrainConfig = TrainConfig(), progress: bool = False) -> Trained:
    """Train f on the task loss + l1·Σ|W| + l2·ΣW² (the MLP, MLP + L1 and MLP + L2 baselines)."""
    Xtr, ytr = _tensors(X_train, y_train, task)
    Xva, yva = _tensors(X_val, y_val, task)
    if l1 < 0 or l2 < 0:
        raise ValueError(f"penalty weights must be >= 0, got l1={l1}, l2={l2}")
    seed_everything(cfg.seed)
    f = f.to(default_device())
    task_loss = _task_loss(task, f)

    def loss(batch):
        value = task_loss(batch)
        if l1 > 0:
            value = value + l1 * weight_penalty(f, "l1")
        if l2 > 0:
            value = value + l2 * weight_penalty(f, "l2")
        return value

    steps = [Step("f", torch.optim.Adam(f.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay), loss)]
    hist = _run(steps, f, f, task, (Xtr, ytr, Xva, yva), cfg, "MLP", progress)
    return Trained(f, task, hist, extra={"l1": l1, "l2": l2})


def train_merge(meta: np.ndarray | Tensor, X_train, y_train, X_val, y_val, *, lam: float,
                cfg: TrainConfig = TrainConfig(), progress: bool = False) -> Trained:
    """MERGE-style baseline (Lee et al. 2018, as in the DAPr reference code): a linear model whose weights w are
    pulled towards a linear function of the meta-features, mean_i |w_i − (β·M_i + b)|, alternating a β-step
    (w fixed) and a w-step (β fixed) — the same alternation as :func:`train_dapr`, on weights not attributions."""
    Xtr, ytr = _tensors(X_train, y_train, "regression")
    Xva, yva = _tensors(X_val, y_val, "regression")
    m = check_meta_features(meta, Xtr.shape[1])
    seed_everything(cfg.seed)
    device = default_device()
    f, g, m = nn.Linear(Xtr.shape[1], 1).to(device), nn.Linear(m.shape[1], 1).to(device), m.to(device)
    p = Xtr.shape[1]
    fit_g, pull_f = MetaFeaturePrior(g, m), MetaFeaturePrior(_Frozen(g), m)
    g_loss = lambda b: fit_g(f.weight.detach()) / p  # noqa: E731
    f_loss = prior_loss(_task_loss("regression", f), lambda b: f.weight, lambda w: pull_f(w) / p, lam)
    steps = [Step("g", torch.optim.Adam(g.parameters(), lr=cfg.prior_lr), g_loss),
             Step("f", torch.optim.Adam(f.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay), f_loss)]
    wrapper = nn.ModuleDict({"f": f, "g": g})
    hist = _run(steps, wrapper, f, "regression", (Xtr, ytr, Xva, yva), cfg, "MERGE", progress)
    return Trained(f, "regression", hist, prior=g, meta=m, extra={"lam": lam})


# --------------------------------------------------------------------------- explanations
def global_attributions(trained: Trained, X, references, n_samples: int = 20, seed: int = 0,
                        batch: int = 256) -> np.ndarray:
    """φ̄_i = mean_x |EG_i(f, x)| over ``X`` with ``n_samples`` references per input drawn from ``references``
    (the target is the predicted class for classification)."""
    f = trained.model.eval()
    device = _device_of(f)
    X = torch.as_tensor(np.asarray(X), dtype=torch.float32, device=device)
    refs = torch.as_tensor(np.asarray(references), dtype=torch.float32, device=device)
    target = None
    if trained.task == "classification":
        with torch.no_grad():
            target = f(X).argmax(1)
    phi = mean_abs_attribution(f, X, refs, n_samples=n_samples, target=target,
                               generator=torch.Generator().manual_seed(seed), batch=batch)
    return phi.cpu().numpy()


def prior_attributions(g: nn.Module, meta: np.ndarray | Tensor, n_samples: int = 50, seed: int = 0) -> np.ndarray:
    """Second-order explanation (paper §5.1): EG of g's predicted importance g(m_i) w.r.t. the meta-features
    m_i, references drawn from the rows of M. Returns ``[p, k]``."""
    m = torch.as_tensor(np.asarray(meta, dtype=np.float32), device=_device_of(g))
    gen = torch.Generator().manual_seed(seed)
    g.eval()
    return expected_gradients(g, m, m, target=None, n_samples=n_samples, generator=gen).detach().cpu().numpy()


def partial_dependence(g: nn.Module, meta: np.ndarray | Tensor, column: int, grid: np.ndarray) -> np.ndarray:
    """Partial dependence of g (Friedman 2001; paper §5.2): for each grid value v, the mean over features of
    g(m_i with column set to v). Returns ``[len(grid)]``."""
    m = torch.as_tensor(np.asarray(meta, dtype=np.float32), device=_device_of(g))
    if not 0 <= column < m.shape[1]:
        raise ValueError(f"column {column} out of range for {m.shape[1]} meta-features")
    out = []
    g.eval()
    with torch.no_grad():
        for v in np.asarray(grid, dtype=np.float32):
            mv = m.clone()
            mv[:, column] = float(v)
            out.append(float(g(mv).mean()))
    return np.asarray(out)
