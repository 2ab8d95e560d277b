"""The experiment layer of notebook 03b: the grid of trained models (baseline, EG prior, gradient prior × λ × seed)
as jobs on the sweep executor, the λ sweep table and rule, and the test-set evaluation of the final models."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from torch import Tensor, nn
from tqdm.auto import tqdm

from attrprior.compendium.sweep import run_jobs
from attrprior.core.training import History
from .cnn import MnistCNN
from .experiment import (ATTRIBUTIONS, ImageData, TrainConfig, _check_sigmas, accuracy, eg_maps, gradient_maps,
                         noise_accuracy, select_lambda, train_image_model, tv_per_image)


@dataclass
class Run:
    """One trained model and where it came from."""

    method: str  # "baseline", "expected_gradients" or "gradients"
    lam: float
    seed: int
    model: nn.Module
    history: History
    val_acc: float
    test_acc: float


def _train_job(task: tuple[str, float, int], shared: dict) -> Run:
    """Train and score one ``(method, λ, seed)`` (a :func:`attrprior.compendium.sweep.run_jobs` job; it seeds
    itself through :func:`train_image_model`)."""
    method, lam, seed = task
    data: ImageData = shared["data"]
    model, hist = train_image_model(data.train_x, data.train_y, None if method == "baseline" else method,
                                    0.0 if method == "baseline" else lam, shared["cfg"], seed,
                                    model_fn=shared["model_fn"], augment=shared["augment"], device=shared["device"])
    return Run(method, lam, seed, model, hist, accuracy(model, data.val_x, data.val_y),
               accuracy(model, data.test_x, data.test_y))


def train_runs(data: ImageData, grid: Sequence[tuple[str, float, int]], cfg: TrainConfig,
               model_fn: Callable[[], nn.Module] = MnistCNN, augment=None, device=None,
               progress: bool = True, done: dict | None = None, workers: int = 1,
               store_dir: Path | str | None = None
               ) -> dict[tuple[str, float, int], Run]:
    """Train every ``(method, λ, seed)`` in ``grid`` not already in ``done`` ('baseline' has λ = 0), one job per
    model on the sweep executor (``workers`` processes, or ``ATTRPRIOR_SCHEDULER``): the models do not depend
    on where they were trained. ``model_fn`` and ``augment`` must pickle (module-level or functools.partial)."""
    runs = dict(done or {})
    todo = list(dict.fromkeys((m, float(lam), int(s)) for m, lam, s in grid if (m, float(lam), int(s)) not in runs))
    shared = {"data": data, "cfg": cfg, "model_fn": model_fn, "augment": augment, "device": device}
    out = run_jobs(_train_job, todo, workers, shared, desc="models", progress=progress,
                   describe=lambda t: f"{t[0]} λ={t[1]:g} seed {t[2]}", store_dir=store_dir)
    runs.update(zip(todo, out))
    return runs


def penalised_tv(run: Run, x: Tensor, y: Tensor, refs: Tensor, eg_samples: int, seed: int = 0,
                 method: str | None = None) -> np.ndarray:
    """Per-image TV of the standardised maps of the attribution a run penalises (EG: ``eg_samples``
    draws from ``refs``; gradients: plain gradients). ``method`` overrides which attribution."""
    method = method or run.method
    if method == "gradients":
        return tv_per_image(gradient_maps(run.model, x, y))
    return tv_per_image(eg_maps(run.model, x, y, refs, eg_samples, seed=seed))


def sweep_table(runs: dict, data: ImageData, n_images: int, eg_samples: int, seed: int = 0):
    """One row per run: validation/test accuracy and mean TV of EG and of gradients on the first
    ``n_images`` validation images (selection data, never the test set)."""
    import pandas as pd

    x, y = data.val_x[:n_images], data.val_y[:n_images]
    rows = []
    for (method, lam, s), run in tqdm(sorted(runs.items()), desc="sweep TV", leave=False):
        row = {"method": method, "lam": lam, "seed": s, "val_acc": run.val_acc, "test_acc": run.test_acc}
        for att in ATTRIBUTIONS:
            if method in ("baseline", att):
                row[f"tv_{att}"] = float(penalised_tv(run, x, y, data.ref_x, eg_samples, seed, att).mean())
        rows.append(row)
    return pd.DataFrame(rows)


def choose_lambdas(table, tolerance: float = 0.01, seed: int | None = None) -> dict[str, dict]:
    """Apply :func:`select_lambda` per attribution method on the sweep table (validation accuracy)."""
    t = table if seed is None else table[table.seed == seed]
    base = float(t[t.method == "baseline"].val_acc.mean())
    out = {}
    for att in ATTRIBUTIONS:
        sub = t[t.method == att].sort_values("lam")
        if len(sub) == 0:
            raise ValueError(f"no sweep runs for {att}: the λ grid is empty")
        lam, ok = select_lambda(sub.lam.tolist(), sub.val_acc.tolist(), sub[f"tv_{att}"].tolist(), base, tolerance)
        out[att] = {"lam": lam, "within_tolerance": ok, "baseline_val_acc": base}
    return out


def evaluate_runs(runs: dict, data: ImageData, sigmas: Sequence[float], n_images: int, eg_samples: int,
                  seed: int = 0) -> tuple:
    """Test-set evaluation: a long table (run × σ → accuracy under noise, same noise for every run) and
    per-image TV of 100-sample-style EG maps on the first ``n_images`` test images ``{key: array}``."""
    import pandas as pd

    sigmas = _check_sigmas(sigmas)
    x, y = data.test_x[:n_images], data.test_y[:n_images]
    rows, tvs = [], {}
    for key, run in tqdm(sorted(runs.items()), desc="evaluate", leave=False):
        accs = noise_accuracy(run.model, data.test_x, data.test_y, sigmas, seed=seed)
        rows += [{"method": run.method, "lam": run.lam, "seed": run.seed, "sigma": s, "acc": a}
                 for s, a in zip(sigmas, accs)]
        tvs[key] = penalised_tv(run, x, y, data.ref_x, eg_samples, seed, "expected_gradients")
    return pd.DataFrame(rows), tvs


__all__ = ["Run", "choose_lambdas", "evaluate_runs", "penalised_tv", "sweep_table", "train_runs"]
