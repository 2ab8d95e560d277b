"""Sweep throughput with 2 workers against 1 on the sweep executor (:func:`attrprior.compendium.sweep.run_jobs`).

Each job trains a small MLP for a fixed number of full-batch steps on one torch thread — the shape of a grid
point in the notebooks' sweeps. The same jobs run serially in-process and on a 2-worker ``LocalCluster``; the
2-worker time includes starting the cluster, as a user's sweep does. Run it on an otherwise idle machine.
"""
from __future__ import annotations

import time

import torch
from torch import nn


def train_job(seed: int, shared: dict) -> float:
    """A fixed amount of training (``shared['steps']`` Adam steps of an MLP on random data); returns the loss."""
    torch.manual_seed(seed)
    x, y = torch.randn(512, 64), torch.randn(512, 1)
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(shared["steps"]):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
    return float(loss.detach())


def _timed_job(steps: int) -> float:
    torch.set_num_threads(1)
    train_job(1, {"steps": 20})  # warm-up: first-call costs are not part of a job
    start = time.perf_counter()
    train_job(0, {"steps": steps})
    return time.perf_counter() - start


def hardware_ceiling(steps: int) -> float:
    """Throughput of two plain processes running one job each at once, relative to one job alone: what two
    workers can gain on this machine at best (1.0 = no gain, 2.0 = two independent cores)."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        alone = min(pool.apply(_timed_job, (steps,)) for _ in range(2))
    with ctx.Pool(2) as pool:
        pair = pool.map(_timed_job, [steps, steps])
    return 2 * alone / max(pair)


def sweep_speedup(n_jobs: int = 12, steps: int = 400) -> dict[str, float]:
    """Seconds for ``n_jobs`` jobs with 1 and with 2 workers, their ratio, whether the results agree, and the
    machine's own ceiling for two processes (:func:`hardware_ceiling`)."""
    from attrprior.compendium.sweep import run_jobs

    seeds = list(range(n_jobs))
    start = time.perf_counter()
    serial = run_jobs(train_job, seeds, 1, {"steps": steps}, progress=False)
    one = time.perf_counter() - start
    start = time.perf_counter()
    parallel = run_jobs(train_job, seeds, 2, {"steps": steps}, progress=False)
    two = time.perf_counter() - start
    return {"jobs": n_jobs, "one_worker_s": one, "two_workers_s": two, "speedup": one / two,
            "identical": serial == parallel, "hardware_ceiling": hardware_ceiling(steps)}


__all__ = ["hardware_ceiling", "sweep_speedup", "train_job"]
