"""Erion et al. §2.5 / Methods 6: the Gini sparsity prior on NHANES I with 100 training people.

Protocol (paper and its reference code ``run_sparsity_experiments.py``): for each replicate draw 100
training and 100 validation people at random, the rest are the test set; mean-impute and standardise
with the training rows' statistics; train a 18→512→128→32→1 ReLU network on the whole training set
as one batch (BCE with logits, Adam lr 1e-3, 100 epochs), keeping the epoch with the best validation
ROC-AUC; tune the regulariser's λ over a log grid by validation ROC-AUC; report test ROC-AUC and the
sparsity (Gini coefficient) of the global importance φ̄_i = mean_ℓ |EG_i(x_ℓ)| over the training set.

Every (replicate, λ) of one model type is a slot of one :class:`~attrprior.core.models.mlp.StackedMLP`, so
all of them train together in the shared training loop; penalties are computed per slot and summed
(each slot still gets exactly its own gradient).
"""
from __future__ import annotations

from dataclasses import dataclass, field
import math
from typing import Callable

import numpy as np
import pandas as pd
import torch
from scipy import stats
from torch import Tensor

from attrprior.core import attributions as A
from attrprior.core.models.mlp import StackedMLP
from attrprior.core.priors import GiniSparsity, L1Attribution
from attrprior.core.training import Step, default_device, fit, seed_everything

MODELS: tuple[str, ...] = ("unregularized", "l1_first", "l1_all", "sgl", "gini_eg", "gini_grad", "l1_grad")
LABELS = {"unregularized": "Unregularized", "l1_first": "L1 (1st layer)", "l1_all": "L1 (all weights)",
          "sgl": "SGL (all layers)", "gini_eg": "Gini EG (prior)", "gini_grad": "Gini gradients",
          "l1_grad": "L1 gradients"}
# Supplement I.3: the sparse attribution prior against the other models (2-sided paired t-tests, 200 reps).
PAPER_TESTS = pd.DataFrame(
    {"auc_p": [2.523e-05, 1.400e-07, 5.209e-07, 1.459e-44, 7.793e-35, 9.821e-56],
     "auc_T": [4.314, 5.461, 5.188, 18.31, 15.10, 22.20],
     "gini_p": [1.188e-37, 1.540e-33, 4.627e-65, 3.923e-97, 3.612e-27, 1.246e-107],
     "gini_T": [16.02, 14.68, 25.67, 40.02, 12.61, 45.79]},
    index=pd.Index(["l1_all", "sgl", "l1_first", "l1_grad", "gini_grad", "unregularized"], name="model"))


# Supplement I.1: median tuned λ of the reference code, and the factor that converts it to our penalty
# scale (GiniSparsity is −2G where the reference uses −G; L1Attribution sums φ̄ over the 18 features
# where the reference averages |∇| over samples and features). Weight penalties use the same scale.
PAPER_MEDIAN_LAMBDA = {"gini_eg": 1.259, "gini_grad": 1.259, "l1_grad": 1.995, "l1_all": 316.2,
                       "l1_first": 1.0e4, "sgl": 1.0e-3}
OUR_SCALE = {"gini_eg": 0.5, "gini_grad": 0.5, "l1_grad": 1 / 18, "l1_all": 1.0, "l1_first": 1.0, "sgl": 1.0}
PAPER_GRID = tuple(float(v) for v in np.logspace(-7, 5, 121))


def lambda_grid(model: str, kind: str = "centred", n: int = 4) -> tuple[float, ...]:
    """λ values a model is tuned over. ``paper``: the shared 121-point grid 10^-7 … 10^5 (Methods 6.3);
    ``centred``: ``n`` log-spaced values from 10^-2 to 10^1 × the paper's median tuned λ (converted to
    our penalty scale) — a cheap grid that always reaches the weakly regularised end."""
    if model == "unregularized":
        return (float("nan"),)
    if model not in PAPER_MEDIAN_LAMBDA:
        raise ValueError(f"unknown model {model!r}; choose from {MODELS}")
    if kind == "paper":
        return PAPER_GRID
    if kind != "centred":
        raise ValueError(f"grid kind must be 'centred' or 'paper', got {kind!r}")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    centre = PAPER_MEDIAN_LAMBDA[model] * OUR_SCALE[model]
    exps = np.linspace(-2, 1, n) if n > 1 else np.zeros(1)
    return tuple(float(centre * 10.0 ** e) for e in exps)


@dataclass(frozen=True)
class NhanesSettings:
    """Protocol settings; ``lambdas`` is the log grid every regularised model is tuned over."""

    hidden: tuple[int, ...] = (512, 128, 32)
    epochs: int = 100
    lr: float = 1e-3
    n_train: int = 100
    n_valid: int = 100
    eg_k: int = 100  # reference draws per training sample in the EG prior (paper: 100, the whole batch)
    eval_k: int = 100  # reference draws per sample when measuring sparsity
    lambdas: tuple[float, ...] = tuple(np.logspace(-7, 5, 121))
    horizon: float = 10.0
    max_rows: int | None = None  # interpolation rows × slots per chunk; None: 1e6 on a GPU, 1e5 on CPU
    models: tuple[str, ...] = MODELS


# --------------------------------------------------------------------------- data
def load_binary(horizon: float = 10.0) -> tuple[pd.DataFrame, np.ndarray]:
    """NHANES I features (NaN kept) and the binary 'died within ``horizon`` years' label of the people
    whose status at the horizon is known (see ``attrprior.core.data.nhanes_binary_outcome``)."""
    from attrprior.core.data import load_nhanes, nhanes_binary_outcome

    X, y = load_nhanes()
    labels, mask = nhanes_binary_outcome(y, horizon_years=horizon)
    return X[mask], labels.to_numpy()


def subsample(n: int, n_train: int, n_valid: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Disjoint random (train, validation, test) row indices; the test set is everyone else."""
    if n_train < 2 or n_valid < 2 or n_train + n_valid >= n:
        raise ValueError(f"need n_train, n_valid >= 2 and n_train + n_valid < n = {n}, got {n_train}, {n_valid}")
    perm = np.random.default_rng(seed).permutation(n)
    return perm[:n_train], perm[n_train:n_train + n_valid], perm[n_train + n_valid:]


def standardize(X: np.ndarray, fit_rows: np.ndarray) -> np.ndarray:
    """Mean-impute NaNs and z-score every column with the statistics of ``fit_rows`` only."""
    X = np.asarray(X, dtype=float)
    ref = X[fit_rows]
    mean = np.nanmean(ref, 0)
    filled = np.where(np.isnan(X), mean[None, :], X)
    sd = filled[fit_rows].std(0)
    return (filled - mean) / np.where(sd > 0, sd, 1.0)


@dataclass
class Replicates:
    """Stacked replicate data: ``x_*`` are ``[n, R, p]``, ``y_*`` are ``[n, R]`` (float 0/1)."""

    seeds: list[int]
    x_train: Tensor
    y_train: Tensor
    x_valid: Tensor
    y_valid: Tensor
    x_test: Tensor
    y_test: Tensor
    features: list[str] = field(default_factory=list)


def make_replicates(X: pd.DataFrame | np.ndarray, y: np.ndarray, seeds: list[int],
                    settings: NhanesSettings = NhanesSettings()) -> Replicates:
    """One train/validation/test subsample per seed, each standardised with its own training rows."""
    arr = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    parts: dict[str, list] = {k: [] for k in ("xtr", "ytr", "xva", "yva", "xte", "yte")}
    for s in seeds:
        tr, va, te = subsample(len(y), settings.n_train, settings.n_valid, s)
        Z = standardize(arr, tr)
        for key, rows in (("tr", tr), ("va", va), ("te", te)):
            parts["x" + key].append(Z[rows])
            parts["y" + key].append(y[rows])

    def stack(key: str) -> Tensor:
        return torch.as_tensor(np.stack(parts[key], 1), dtype=torch.float32)

    names = list(X.columns) if isinstance(X, pd.DataFrame) else [f"x{i}" for i in range(arr.shape[1])]
    return Replicates(list(seeds), stack("xtr"), stack("ytr"), stack("xva"), stack("yva"), stack("xte"),
                      stack("yte"), names)


# --------------------------------------------------------------------------- metrics
def gini_coefficient(values: np.ndarray) -> float:
    """Gini coefficient of a non-negative vector, Σ_i (2i − n − 1) v_(i) / (n Σ v) over the sorted values
    (equal to Σ_ij |v_i − v_j| / (2 n Σ v), the definition of :func:`attrprior.core.priors.gini`)."""
    v = np.sort(np.asarray(values, dtype=float).ravel())
    if v.size == 0 or np.any(v < 0) or not np.all(np.isfinite(v)):
        raise ValueError("gini_coefficient needs a non-empty, finite, non-negative vector")
    n, total = v.size, v.sum()
    if total == 0:
        return 0.0
    return float(np.sum((2 * np.arange(1, n + 1) - n - 1) * v) / (n * total))


def lorenz_curve(importance: np.ndarray) -> np.ndarray:
    """Cumulative share of total importance held by the q least important features, q = 0..p."""
    v = np.sort(np.asarray(importance, dtype=float))
    c = np.concatenate([[0.0], np.cumsum(v)])
    return c / c[-1] if c[-1] > 0 else c


def roc_auc_columns(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """ROC-AUC of each column of ``scores [n, J]`` against ``labels [n, J]`` (Mann–Whitney U with
    average ranks for ties, equal to ``sklearn.metrics.roc_auc_score`` per column)."""
    scores, labels = np.asarray(scores, dtype=float), np.asarray(labels) > 0.5
    ranks = stats.rankdata(scores, axis=0)
    n_pos = labels.sum(0)
    n_neg = labels.shape[0] - n_pos
    if np.any(n_pos == 0) or np.any(n_neg == 0):
        raise ValueError("every column needs both classes for a ROC-AUC")
    return ((ranks * labels).sum(0) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


# --------------------------------------------------------------------------- penalties
def _slot_target(out: Tensor) -> Tensor:
    return out.sum(1)  # slot j's output depends only on x[:, j]: its input gradient is untouched


def weight_penalty(name: str, model: StackedMLP) -> Tensor:
    """Per-slot weight penalties ``[J]``: mean |W₁| (l1_first), mean |w| over all weight matrices
    (l1_all), or the sparse group lasso Σ_l (‖W_l‖₁ + √out_l Σ_i ‖W_l[i, :]‖₂) + Σ_l 2·mean|b_l| with
    one group per input unit i (sgl; Scardapane et al., as the reference code)."""
    if name == "l1_first":
        return model.weights[0].abs().mean((1, 2))
    if name == "l1_all":
        total = sum(w.abs().sum((1, 2)) for w in model.weights)
        return total / sum(w[0].numel() for w in model.weights)
    if name == "sgl":
        pen = sum(w.abs().sum((1, 2)) + math.sqrt(w.shape[2]) * w.norm(dim=2).sum(1) for w in model.weights)
        return pen + sum(2 * b.abs().mean(1) for b in model.biases)
    raise ValueError(f"unknown weight penalty {name!r}")


def attribution_penalty(name: str, model: StackedMLP, x: Tensor, k: int, generator: torch.Generator | None
                        ) -> Tensor:
    """Per-slot attribution priors ``[J]`` on the training batch ``x [B, J, p]``: the Gini prior
    (priors.GiniSparsity) on expected gradients (k references from the batch) or on input gradients,
    or the L1 prior (priors.L1Attribution) on input gradients; all differentiable (create_graph)."""
    if name == "gini_eg":
        phi = A.expected_gradients(model, x, references="batch", target=_slot_target, n_samples=k,
                                   create_graph=True, generator=generator)
        prior = GiniSparsity()
    elif name in ("gini_grad", "l1_grad"):
        phi = A.gradients(model, x, target=_slot_target, create_graph=True)
        prior = GiniSparsity() if name == "gini_grad" else L1Attribution()
    else:
        raise ValueError(f"unknown attribution penalty {name!r}")
    return torch.stack([prior(phi[:, j]) for j in range(phi.shape[1])])


def penalty(name: str, model: StackedMLP, x: Tensor, k: int = 1, generator: torch.Generator | None = None
            ) -> Tensor:
    """Per-slot penalty ``[J]`` of any model type (zeros for the unregularised model)."""
    if name == "unregularized":
        return torch.zeros(model.n_models, device=x.device)
    if name in ("l1_first", "l1_all", "sgl"):
        return weight_penalty(name, model)
    return attribution_penalty(name, model, x, k, generator)


# --------------------------------------------------------------------------- training
def _chunks(n: int, size: int) -> list[np.ndarray]:
    return [np.arange(i, min(i + size, n)) for i in range(0, n, size)]


def _slots_per_chunk(name: str, n_rows: int, settings: NhanesSettings) -> int:
    k = max(settings.eg_k if name == "gini_eg" else 1, settings.eval_k)
    max_rows = settings.max_rows or (1_000_000 if default_device().type == "cuda" else 100_000)
    return max(1, max_rows // (n_rows * k))


def train_slots(name: str, data: Replicates, rep_idx: np.ndarray, lams: np.ndarray,
                settings: NhanesSettings = NhanesSettings(), seed: int = 0, progress: bool = False
                ) -> tuple[StackedMLP, np.ndarray, np.ndarray]:
    """Train one StackedMLP whose slot j is model type ``name`` on replicate ``rep_idx[j]`` with weight
    ``lams[j]``, full batch, with the shared :func:`~attrprior.core.training.fit`. Each slot is restored to
    its epoch of best validation ROC-AUC. Returns (model, best validation AUC [J], best epoch [J])."""
    gen = seed_everything(seed)
    device = default_device()
    x, y = data.x_train[:, rep_idx].to(device), data.y_train[:, rep_idx].to(device)
    xv, yv = data.x_valid[:, rep_idx].to(device), data.y_valid[:, rep_idx].numpy()
    J = len(rep_idx)
    model = StackedMLP(J, x.shape[2], settings.hidden, 1, generator=gen).to(device)
    lam = torch.as_tensor(np.asarray(lams, dtype=float), dtype=torch.float32, device=device)
    opt = torch.optim.Adam(model.parameters(), lr=settings.lr)
    best_auc, best_epoch = np.full(J, -np.inf), np.zeros(J, dtype=int)
    best_state = [p.detach().clone() for p in model.parameters()]
    epoch = [0]

    def loss(batch: tuple[Tensor, Tensor]):
        xb, yb = batch
        bce = torch.nn.functional.binary_cross_entropy_with_logits(model(xb), yb, reduction="none").mean(0)
        pen = penalty(name, model, xb, settings.eg_k, gen)
        return (bce + lam * pen).sum(), {"bce": float(bce.detach().mean()), "penalty": float(pen.detach().mean())}

    def validate() -> dict[str, float]:
        auc = roc_auc_columns(model(xv).cpu().numpy(), yv)
        better = auc > best_auc
        if better.any():
            mask = torch.as_tensor(better, device=device)
            for keep, p in zip(best_state, model.parameters()):
                keep[mask] = p.detach()[mask]
            best_auc[better], best_epoch[better] = auc[better], epoch[0]
        epoch[0] += 1
        return {"auc": float(auc.mean())}

    fit([Step(name, opt, loss)], [(x, y)], settings.epochs, model=model, device=device, validate=validate,
        progress=progress, desc=f"{name} ({J} slots)")
    with torch.no_grad():
        for keep, p in zip(best_state, model.parameters()):
            p.copy_(keep)
    return model.eval(), best_auc, best_epoch


def global_importance_eg(model: StackedMLP, x: Tensor, k: int, generator: torch.Generator | None = None
                         ) -> np.ndarray:
    """φ̄ ``[J, p]``: mean over the rows of ``x [B, J, p]`` of |EG| with k references from the batch."""
    device = next(model.parameters()).device
    phi = A.expected_gradients(model, x.to(device), references="batch", target=_slot_target, n_samples=k,
                               generator=generator)
    return phi.abs().mean(0).detach().cpu().numpy()


def run_model(name: str, data: Replicates, settings: NhanesSettings = NhanesSettings(), seed: int = 0,
              n_test_eval: int = 0, progress: bool = False, lambdas: tuple[float, ...] | None = None
              ) -> tuple[pd.DataFrame, np.ndarray]:
    """Every (replicate, λ) slot of one model type: a table (model, replicate, seed, lam, val_auc,
    test_auc, gini, best_epoch) and the global importances ``[J, p]``. ``n_test_eval > 0`` scores
    test ROC-AUC on the first ``n_test_eval`` test people of each replicate (0 = all). ``lambdas``
    overrides ``settings.lambdas``."""
    R = len(data.seeds)
    grid = settings.lambdas if lambdas is None else lambdas
    lams = [float("nan")] if name == "unregularized" else list(grid)
    rep_idx = np.repeat(np.arange(R), len(lams))
    lam_all = np.tile(np.asarray(lams), R)
    n_te = data.x_test.shape[0] if n_test_eval <= 0 else min(n_test_eval, data.x_test.shape[0])
    frames, importances = [], []
    per_chunk = _slots_per_chunk(name, data.x_train.shape[0], settings)
    for c, idx in enumerate(_chunks(len(rep_idx), per_chunk)):
        reps = rep_idx[idx]
        model, val_auc, best_epoch = train_slots(name, data, reps, np.nan_to_num(lam_all[idx]), settings,
                                                 seed=seed + 1000 * c, progress=progress)
        gen = torch.Generator().manual_seed(seed + 1000 * c + 1)
        imp = global_importance_eg(model, data.x_train[:, reps], settings.eval_k, gen)
        with torch.no_grad():
            device = next(model.parameters()).device
            test_auc = roc_auc_columns(model(data.x_test[:n_te, reps].to(device)).cpu().numpy(),
                                       data.y_test[:n_te, reps].numpy())
        frames.append(pd.DataFrame({
            "model": name, "replicate": reps, "seed": [data.seeds[r] for r in reps], "lam": lam_all[idx],
            "val_auc": val_auc, "test_auc": test_auc, "gini": [gini_coefficient(v) for v in imp],
            "best_epoch": best_epoch}))
        importances.append(imp)
    return pd.concat(frames, ignore_index=True), np.concatenate(importances)


# --------------------------------------------------------------------------- analysis
def select_best(slots: pd.DataFrame) -> pd.DataFrame:
    """Per (model, replicate): the slot with the highest validation ROC-AUC (smallest λ on ties)."""
    ordered = slots.reset_index().sort_values(["model", "replicate", "val_auc", "lam"],
                                              ascending=[True, True, False, True])
    return ordered.groupby(["model", "replicate"], sort=False).head(1).set_index("index").sort_index()


def paired_tests(best: pd.DataFrame, metric: str, reference: str = "gini_eg") -> pd.DataFrame:
    """Two-sided paired t-tests (by replicate) of ``reference`` against every other model on ``metric``."""
    wide = best.pivot(index="replicate", columns="model", values=metric)
    rows = []
    for other in [m for m in MODELS if m in wide.columns and m != reference]:
        diff = wide[reference] - wide[other]
        t = stats.ttest_rel(wide[reference], wide[other]) if len(diff) > 1 else None
        rows.append({"model": other, "mean_diff": float(diff.mean()),
                     "sd_diff": float(diff.std(ddof=1)) if len(diff) > 1 else float("nan"),
                     "T": float(t.statistic) if t is not None else float("nan"),
                     "p": float(t.pvalue) if t is not None else float("nan"), "n": int(len(diff))})
    return pd.DataFrame(rows).set_index("model")


def tradeoff(slots: pd.DataFrame) -> pd.DataFrame:
    """Mean validation ROC-AUC and Gini per (model, λ) over replicates (the paper's scatter)."""
    return slots.groupby(["model", "lam"], dropna=False)[["val_auc", "gini"]].mean().reset_index()


def mean_lorenz(importances: np.ndarray) -> np.ndarray:
    """Lorenz curve of the replicate-averaged sorted importances (paper, Methods 6.4), ``[p + 1]``."""
    return lorenz_curve(np.sort(np.asarray(importances), axis=1).mean(0))


__all__ = [
    "LABELS", "MODELS", "NhanesSettings", "PAPER_GRID", "PAPER_MEDIAN_LAMBDA", "PAPER_TESTS", "Replicates",
    "attribution_penalty", "gini_coefficient", "lambda_grid",
    "global_importance_eg", "load_binary", "lorenz_curve", "make_replicates", "mean_lorenz", "paired_tests",
    "penalty", "roc_auc_columns", "run_all", "run_model", "select_best", "standardize", "subsample",
    "tradeoff", "train_slots", "weight_penalty",
]
