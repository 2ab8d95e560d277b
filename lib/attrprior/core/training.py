"""The one training loop: any model, any task loss, any attribution method, any prior.

A training run is a list of :class:`Step` s, each an optimiser with its own loss closure, executed
in order on every batch (or once per epoch). Plain training is one step; Erion et al.'s alternating
optimisation (task step, then attribution-prior step) and DAPr's f/g alternation are two.
"""
from __future__ import annotations

import copy
import math
import os
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, TensorDataset
from tqdm.auto import tqdm

from attrprior.core.priors import Prior

Batch = Any
LossFn = Callable[[Batch], "Tensor | tuple[Tensor, dict[str, float]]"]


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or inf; training stops instead of silently producing garbage."""


def seed_everything(seed: int) -> torch.Generator:
    """Seed python, numpy and torch (CPU and CUDA); return a torch Generator seeded the same."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ValueError(f"seed must be an int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    return torch.Generator().manual_seed(int(seed))


def default_device() -> torch.device:
    """CUDA when available (and not disabled by ATTRPRIOR_DEVICE=cpu), else CPU."""
    wanted = os.environ.get("ATTRPRIOR_DEVICE", "")
    if wanted:
        return torch.device(wanted)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def setup_device(threads: int | None = None) -> torch.device:
    """The device a notebook trains on. On CPU this also sets torch's intra-op threads to ``threads``,
    else ``ATTRPRIOR_THREADS``, else 1: the compendium's models are small, and several threads on a
    shared 2-core machine were measured 4–10× slower than one."""
    device = default_device()
    if device.type == "cpu":
        wanted = threads if threads is not None else int(os.environ.get("ATTRPRIOR_THREADS", "1"))
        if wanted < 1:
            raise ValueError(f"threads must be >= 1, got {wanted}")
        torch.set_num_threads(wanted)
    return device


def to_device(batch: Batch, device: torch.device | str) -> Batch:
    if isinstance(batch, Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(b, device) for b in batch)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    return batch


def make_loader(*tensors: Tensor, batch_size: int, shuffle: bool = True, seed: int = 0,
                drop_last: bool = False) -> DataLoader:
    """A seeded DataLoader over tensors (same order for the same seed)."""
    if not tensors or any(t.shape[0] != tensors[0].shape[0] for t in tensors):
        raise ValueError("make_loader needs tensors with the same number of rows")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    gen = torch.Generator().manual_seed(seed)
    return DataLoader(TensorDataset(*tensors), batch_size=batch_size, shuffle=shuffle, generator=gen,
                      drop_last=drop_last)


@dataclass
class Step:
    """One optimiser and the loss it minimises. ``loss(batch)`` returns a scalar tensor, or
    ``(scalar, {name: value})`` to log extra terms. ``every='epoch'`` runs it once after each
    epoch on the last batch; ``scheduler`` (if any) is stepped once per epoch."""

    name: str
    optimizer: torch.optim.Optimizer
    loss: LossFn
    every: str = "batch"
    scheduler: Any = None
    clip_grad_norm: float | None = None

    def __post_init__(self) -> None:
        if self.every not in ("batch", "epoch"):
            raise ValueError(f"Step.every must be 'batch' or 'epoch', got {self.every!r}")

    def run(self, batch: Batch, where: str) -> dict[str, float]:
        self.optimizer.zero_grad(set_to_none=True)
        out = self.loss(batch)
        loss, logs = (out if isinstance(out, tuple) else (out, {}))
        if not torch.isfinite(loss.detach()).all():
            raise NonFiniteLossError(f"step '{self.name}' produced a non-finite loss ({loss.item()}) at {where}; "
                                     "lower the learning rate or the prior weight λ")
        loss.backward()
        if self.clip_grad_norm is not None:
            params = [p for g in self.optimizer.param_groups for p in g["params"]]
            torch.nn.utils.clip_grad_norm_(params, self.clip_grad_norm)
        self.optimizer.step()
        return {f"{self.name}_loss": float(loss.detach()), **{k: float(v) for k, v in logs.items()}}


@dataclass
class History:
    """Per-epoch means of every logged value plus validation metrics."""

    epochs: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False

    def series(self, key: str) -> list[float]:
        return [e[key] for e in self.epochs if key in e]

    def last(self) -> dict[str, float]:
        return self.epochs[-1] if self.epochs else {}

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(self.epochs)


@dataclass
class EarlyStopping:
    """Stop when ``metric`` (from the validation function) has not improved for ``patience`` epochs;
    the best model state is restored at the end."""

    metric: str
    patience: int = 10
    mode: str = "min"

    def better(self, new: float, best: float | None) -> bool:
        if best is None:
            return True
        return new < best if self.mode == "min" else new > best


def fit(steps: Sequence[Step], loader: Iterable[Batch], epochs: int, *, model: nn.Module | None = None,
        device: torch.device | str | None = None, validate: Callable[[], dict[str, float]] | None = None,
        early_stopping: EarlyStopping | None = None, progress: bool = True, desc: str = "train") -> History:
    """Train for ``epochs`` passes over ``loader``, running every step on every batch.

    ``model`` is put in train mode for steps and eval mode for ``validate``; with ``early_stopping``
    its best state (by the validation metric) is restored when training ends.
    """
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    if not steps:
        raise ValueError("fit needs at least one Step")
    device = device or default_device()
    history, best, best_state, waited = History(), None, None, 0
    bar = tqdm(range(epochs), desc=desc, disable=not progress, leave=False)
    for epoch in bar:
        start, sums, count, batch = time.time(), {}, 0, None
        if model is not None:
            model.train()
        for i, batch in enumerate(loader):
            batch = to_device(batch, device)
            for step in steps:
                if step.every == "batch":
                    _accumulate(sums, step.run(batch, f"epoch {epoch}, batch {i}"))
            count += 1
        if count == 0:
            raise ValueError("the training loader yielded no batches")
        for step in steps:
            if step.every == "epoch":
                _accumulate(sums, step.run(batch, f"end of epoch {epoch}"))
            if step.scheduler is not None:
                step.scheduler.step()
        record = {"epoch": epoch, **{k: v / count for k, v in sums.items()}, "time_s": time.time() - start}
        if validate is not None:
            if model is not None:
                model.eval()
            with torch.no_grad() if _no_grad_ok(validate) else _nullcontext():
                record.update({f"val_{k}": float(v) for k, v in validate().items()})
        history.epochs.append(record)
        bar.set_postfix({k: f"{v:.4g}" for k, v in record.items() if k.endswith("loss")})
        if early_stopping is not None:
            value = record.get(f"val_{early_stopping.metric}")
            if value is None:
                raise KeyError(f"early stopping metric '{early_stopping.metric}' missing from validate()")
            if early_stopping.better(value, best):
                best, waited, history.best_epoch = value, 0, epoch
                best_state = copy.deepcopy(model.state_dict()) if model is not None else None
            else:
                waited += 1
                if waited >= early_stopping.patience:
                    history.stopped_early = True
                    break
    if best_state is not None and model is not None:
        model.load_state_dict(best_state)
    return history


def _accumulate(sums: dict[str, float], logs: dict[str, float]) -> None:
    for k, v in logs.items():
        if not math.isfinite(v):
            raise NonFiniteLossError(f"logged value '{k}' is not finite ({v})")
        sums[k] = sums.get(k, 0.0) + v


def _no_grad_ok(fn: Callable) -> bool:
    return not getattr(fn, "needs_grad", False)


class _nullcontext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


def needs_grad(fn: Callable) -> Callable:
    """Mark a validation function that computes attributions (so fit() keeps autograd on)."""
    fn.needs_grad = True
    return fn


def prior_loss(task_loss: Callable[[Batch], Tensor], attribute: Callable[[Batch], Tensor] | None = None,
               prior: Prior | None = None, lam: float = 0.0) -> LossFn:
    """Loss closure ``task(batch) + λ·prior(attribute(batch))`` logging both terms.

    ``attribute(batch)`` must return attributions computed with ``create_graph=True`` so the prior's
    gradient reaches the model's parameters. With λ = 0 the attribution is not computed at all.
    """
    if lam < 0 or not math.isfinite(lam):
        raise ValueError(f"prior weight λ must be finite and >= 0, got {lam}")
    if lam > 0 and (prior is None or attribute is None):
        raise ValueError("λ > 0 needs both an attribution function and a prior")

    def loss(batch: Batch) -> tuple[Tensor, dict[str, float]]:
        task = task_loss(batch)
        if lam == 0:
            return task, {"task": float(task.detach())}
        penalty = prior(attribute(batch))
        return task + lam * penalty, {"task": float(task.detach()), "prior": float(penalty.detach())}

    return loss


def prior_only_loss(attribute: Callable[[Batch], Tensor], prior: Prior, lam: float) -> LossFn:
    """λ·prior(attribute(batch)) alone: the second step of Erion et al.'s alternating optimisation."""

    def loss(batch: Batch) -> tuple[Tensor, dict[str, float]]:
        penalty = prior(attribute(batch))
        return lam * penalty, {"prior": float(penalty.detach())}

    return loss


__all__ = [
    "EarlyStopping", "History", "NonFiniteLossError", "Step", "default_device", "fit", "make_loader",
    "needs_grad", "prior_loss", "prior_only_loss", "seed_everything", "setup_device", "to_device",
]
