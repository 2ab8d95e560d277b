"""The NHANES sweep as jobs: one model type on one block of replicates per job, on the project's sweep executor.

Blocks make a 200-replicate run resumable (each finished block is kept in the run store, and can be carried into
the next session) and keep two workers busy; a block's seeds depend only on its index.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from . import experiment as N

REPLICATES_PER_JOB = 25  # a job trains one model type on ≤ this many replicates: balanced, resumable, stored
JOB_SEED_STRIDE = 1_000_000  # job b seeds its chunks from seed + b × stride (block 0 keeps the unsplit seeds)


def replicate_block(data: N.Replicates, start: int, stop: int) -> N.Replicates:
    """Replicates ``start`` … ``stop − 1`` (clipped to those present) as their own
    :class:`~attrprior.papers.nb03c_nhanes_sparsity.experiment.Replicates`."""
    if not 0 <= start < len(data.seeds) or stop <= start:
        raise ValueError(f"replicate block [{start}, {stop}) must start in 0..{len(data.seeds) - 1} and be "
                         "non-empty")
    cut = lambda t: t[:, start:stop]  # noqa: E731
    return N.Replicates(data.seeds[start:stop], cut(data.x_train), cut(data.y_train), cut(data.x_valid),
                        cut(data.y_valid), cut(data.x_test), cut(data.y_test), data.features)


def _model_job(task: tuple[str, tuple[float, ...] | None, int], shared: dict) -> tuple[pd.DataFrame, np.ndarray]:
    """One model type's slots on one block of replicates (a :func:`attrprior.compendium.sweep.run_jobs` job; it
    seeds itself from the block, so the result does not depend on which worker ran it or when)."""
    name, lambdas, block = task
    start = block * REPLICATES_PER_JOB
    part = replicate_block(shared["data"], start, start + REPLICATES_PER_JOB)
    frame, importances = N.run_model(name, part, shared["settings"],
                                     seed=shared["seed"] + JOB_SEED_STRIDE * block,
                                     n_test_eval=shared["n_test_eval"], lambdas=lambdas)
    return frame.assign(replicate=frame["replicate"] + start), importances


def run_all(data: N.Replicates, settings: N.NhanesSettings = N.NhanesSettings(), seed: int = 0,
            n_test_eval: int = 0, progress: bool = True, grids: dict[str, tuple[float, ...]] | None = None,
            workers: int = 1, store_dir: Path | str | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`~attrprior.papers.nb03c_nhanes_sparsity.experiment.run_model` for every model type in ``settings.models`` (λ grid ``grids[name]`` if given), one job
    per model type and block of :data:`REPLICATES_PER_JOB` replicates on the sweep executor (``workers``
    processes, or ``ATTRPRIOR_SCHEDULER``), costliest first: the results do not depend on where the jobs ran, and
    an interrupted run keeps its finished blocks in the store. Importances are row-aligned with the table."""
    from attrprior.compendium.sweep import run_jobs

    blocks = range(math.ceil(len(data.seeds) / REPLICATES_PER_JOB))
    tasks = [(name, None if grids is None else grids.get(name), b) for name in settings.models for b in blocks]

    def cost(task: tuple[str, tuple[float, ...] | None, int]) -> int:
        name, lambdas, _ = task
        per_slot = settings.eg_k if name == "gini_eg" else (2 if name.endswith("_grad") else 1)
        return per_slot * (1 if name == "unregularized" else len(lambdas or settings.lambdas))

    order = sorted(range(len(tasks)), key=lambda i: -cost(tasks[i]))
    shared = {"data": data, "settings": settings, "seed": seed, "n_test_eval": n_test_eval}
    out = run_jobs(_model_job, tasks, workers, shared, order=order, desc="NHANES models", progress=progress,
                   describe=lambda t: f"NHANES model {t[0]}, replicate block {t[2]}", store_dir=store_dir)
    return pd.concat([df for df, _ in out], ignore_index=True), np.concatenate([imp for _, imp in out])


__all__ = ["JOB_SEED_STRIDE", "REPLICATES_PER_JOB", "replicate_block", "run_all"]
