"""The Table 1 grid of notebook 04: every (configuration, seed) is one model, trained and evaluated as a job on
the sweep executor (:func:`attrprior.compendium.sweep.run_jobs`); each job seeds itself, so the grid's numbers
do not depend on how many workers ran it or where."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
import time
from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from attrprior.compendium.sweep import run_jobs
from .experiment import Model, RunConfig, adapter, evaluate, invariance_test, train_model


@dataclass
class GridResult:
    """``records``: one row per (config, seed) with Table 1 metrics and the invariance curve;
    ``models`` and ``details`` (per-image correctness, R, invariance; training history) by (label, seed)."""

    records: list[dict]
    models: dict[tuple[str, int], Model]
    details: dict[tuple[str, int], dict[str, np.ndarray]]


def _grid_job(task: tuple[RunConfig, int], shared: dict) -> tuple[dict, Model, dict]:
    """Train one (config, seed) and evaluate its Table 1 metrics and invariance test: ``(record, model on CPU,
    details)``. Every random draw comes from ``seed`` (training through ``train_model``, evaluation from
    ``10_000 + seed``)."""
    cfg, seed = task
    test = shared["test"]
    start = time.time()
    model, hist = train_model(cfg, *shared["train"], seed=seed, epochs=shared["epochs"],
                              batch_size=shared["batch_size"], lr=shared["lr"], device=shared["device"],
                              val=(test[0][:500], test[1][:500]), **shared["arch"])
    train_s = time.time() - start
    model = model.cpu()
    gen = torch.Generator().manual_seed(10_000 + seed)
    metrics = evaluate(model, *test, n_mc=shared["n_mc"], generator=gen, per_image=True)
    kept = invariance_test(adapter(model, n_mc=0), shared["invariance_x"], shared["sigmas"], generator=gen)
    record = {"model": cfg.label, "kind": cfg.kind, "alpha": cfg.alpha,
              "beta": cfg.beta if cfg.beta is not None else float("nan"), "seed": seed,
              **{k: v for k, v in metrics.items() if not k.endswith("per_image")},
              "invariance": kept.mean(1).tolist(), "train_s": train_s,
              "final_train_loss": hist.last().get("elbo_loss", float("nan"))}
    details = {"correct": metrics["correct_per_image"], "R": metrics["R_per_image"], "kept": kept,
               "history": hist.to_frame()}
    return record, model, details


def run_grid(configs: Sequence[RunConfig], seeds: Sequence[int], train: tuple[Tensor, Tensor],
             test: tuple[Tensor, Tensor], invariance_x: Tensor, sigmas: Sequence[float], *, epochs: int,
             batch_size: int, lr: float, n_mc: int, arch: dict[str, int], device: torch.device | str | None = None,
             progress: bool = True, workers: int = 1, store_dir: Path | str | None = None) -> GridResult:
    """Train every configuration under every seed; evaluate Table 1 metrics and the invariance test. One job
    per model on the sweep executor (``workers`` processes, or ``ATTRPRIOR_SCHEDULER``); records come back in
    (seed, configuration) order."""
    tasks = [(c, int(s)) for s in seeds for c in configs]
    shared = {"train": train, "test": test, "invariance_x": invariance_x, "sigmas": list(sigmas), "epochs": epochs,
              "batch_size": batch_size, "lr": lr, "n_mc": n_mc, "arch": dict(arch), "device": device}
    out = run_jobs(_grid_job, tasks, workers, shared, desc="Table 1 grid", progress=progress,
                   describe=lambda t: f"{t[0].label} seed {t[1]}", store_dir=store_dir)
    res = GridResult([], {}, {})
    for (cfg, seed), (record, model, details) in zip(tasks, out):
        res.records.append(record)
        res.models[(cfg.label, seed)] = model
        res.details[(cfg.label, seed)] = details
    return res


__all__ = ["GridResult", "run_grid"]
