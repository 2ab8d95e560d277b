"""The sweep executor: independent jobs (one trained model each) on Dask, from one process to a cluster.

``run_jobs(fn, tasks, workers, shared)`` returns ``[fn(task, shared) for task in tasks]`` in task order.

* ``workers == 1`` and no scheduler: in this process, one job after the other.
* ``workers > 1``: a :class:`distributed.LocalCluster` with one single-threaded worker process per job slot.
* ``ATTRPRIOR_SCHEDULER=<address>`` (or ``scheduler=``): the same jobs go to an existing Dask scheduler — a
  ``dask scheduler`` started by hand, or a SLURM/PBS cluster from ``dask-jobqueue`` — with no code change.

Jobs are data and seed themselves (as every paper's training function does through
:func:`attrprior.core.training.seed_everything`), so results do not depend on where or in what order they ran.
``shared`` (e.g. a training set) is sent to each worker once. A job whose worker dies is run again by Dask; a job
that raises is retried once, and a job that fails twice stops the sweep with :class:`SweepJobError` naming it.
With ``store_dir``, each finished job is saved there (a :class:`attrprior.compendium.store.RunStore`, written by this
process as results arrive) and a job found there is not run again, so an interrupted sweep resumes. A stored job
is reused only under the same job description, code (the import closure of ``fn``'s module), ``shared`` content,
torch version and thread count.
"""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")
R = TypeVar("R")
SCHEDULER_ENV = "ATTRPRIOR_SCHEDULER"


class SweepJobError(RuntimeError):
    """A job of a sweep failed twice (or its worker died too often); the message names the job."""


def _call(fn: Callable[[Any, dict], Any], task: Any, shared: dict, threads: int) -> Any:
    """Run one job with ``threads`` torch, BLAS and OpenMP threads wherever it runs (this process, a local worker
    or a worker of an external scheduler), restoring the caller's torch threads after: numpy's BLAS thread count
    alone moves results in the last bits, so every route must use the same."""
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads):
            return fn(task, shared)
    finally:
        torch.set_num_threads(before)


def _check(workers: int, threads: int, n: int, order: Sequence[int] | None) -> list[int]:
    for name, value in (("workers", workers), ("threads", threads)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    order = list(range(n)) if order is None else list(order)
    if sorted(order) != list(range(n)):
        raise ValueError("order must be a permutation of the task indices")
    return order


WORKER_ENVIRON = {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1}


def _client(workers: int, scheduler: str | None):
    """A Dask client: to ``scheduler`` when given, else to a new LocalCluster (closed with the client)."""
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler, timeout="30s")
    import dask

    # Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which makes glibc hand freed memory back to the
    # OS after every training step: PyTorch's per-batch tensors then cost page faults, and a VAE step twice the CPU
    # (measured: 8.4 vs 4.6 CPU-s for 15 steps; far worse when cores are shared). Keep the thread caps only.
    # The worker's statistical profiler samples the running job every 10 ms: with it on, a 10-second training job on
    # a 2-core machine took about 5 % longer (measured: 11.0 vs 10.5 s per job with 2 workers), so it is off.
    with dask.config.set({"distributed.nanny.pre-spawn-environ": WORKER_ENVIRON,
                          "distributed.worker.profile.enabled": False}):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                               silence_logs=logging.ERROR)
    return Client(cluster)


def run_jobs(fn: Callable[[T, dict], R], tasks: Sequence[T], workers: int = 1, shared: dict | None = None,
             threads: int = 1, order: Sequence[int] | None = None, desc: str = "jobs", progress: bool = True,
             scheduler: str | None = None, describe: Callable[[T], str] = repr, store_dir: Path | str | None = None,
             job_key: Callable[[T], Mapping[str, Any]] | None = None) -> list[R]:
    """``[fn(task, shared) for task in tasks]`` (see the module docstring). ``fn`` must be a module-level
    function; ``order`` is the order jobs are handed out (e.g. longest first); ``describe`` names a job in
    error messages; ``store_dir`` keeps finished jobs (described by ``job_key(task)``, default the task itself)."""
    tasks = list(tasks)
    order = _check(workers, threads, len(tasks), order)
    shared = dict(shared or {})
    scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
    results: list[Any] = [None] * len(tasks)
    save = _restore(fn, tasks, shared, threads, store_dir, job_key, results) if store_dir is not None else None
    order = [i for i in order if save is None or i not in save.found]
    if not order:
        return results
    if not scheduler and (workers == 1 or len(order) <= 1):
        for i in tqdm(order, desc=desc, disable=not progress, file=sys.stderr):
            try:
                results[i] = _call(fn, tasks[i], shared, threads)
            except Exception as first:  # noqa: BLE001 - one retry, as on a cluster
                try:
                    results[i] = _call(fn, tasks[i], shared, threads)
                except Exception as err:
                    raise SweepJobError(f"job {describe(tasks[i])} failed twice: {type(err).__name__}: {err}") \
                        from first
            if save is not None:
                save(i)
        return results
    return _run_on_dask(fn, tasks, shared, threads, order, desc, progress, workers, scheduler, describe, results,
                        save)


class _Saver:
    """Puts finished jobs into a run store; ``found`` holds the task indices that were already there."""

    def __init__(self, store, keys: list, results: list) -> None:
        self.store, self.keys, self.results = store, keys, results
        self.found: set[int] = set()
        for i, key in enumerate(keys):
            hit = store.get(key)
            if hit is not None:
                results[i] = hit
                self.found.add(i)

    def __call__(self, i: int) -> None:
        self.store.put(self.keys[i], self.results[i])


def _restore(fn, tasks, shared, threads, store_dir, job_key, results) -> _Saver:
    """The run store of this sweep (its context: ``fn``'s code, ``shared``'s content, torch, threads), with the
    results of the jobs it already holds filled into ``results``."""
    import torch

    from attrprior.compendium.cache import code_digest
    from attrprior.compendium.store import RunStore, content_digest

    context = {"fn": f"{fn.__module__}.{fn.__qualname__}", "code": code_digest(fn.__module__),
               "shared": content_digest(shared), "torch": torch.__version__, "threads": threads}
    keys = [dict(job_key(t)) if job_key is not None else {"task": t} for t in tasks]
    return _Saver(RunStore(store_dir, context), keys, results)


def _run_on_dask(fn, tasks, shared, threads, order, desc, progress, workers, scheduler, describe, results,
                 save=None):
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    client = _client(min(workers, max(1, len(order))), scheduler)
    try:
        if client.dashboard_link and progress:
            print(f"{desc}: Dask dashboard at {client.dashboard_link}", file=sys.stderr)
        (shared_future,) = client.scatter([shared], broadcast=True)  # one object, sent once per worker
        futures = {client.submit(_call, fn, tasks[i], shared_future, threads, pure=False, retries=1,
                                 priority=len(order) - rank): i for rank, i in enumerate(order)}
        where = f"scheduler {scheduler}" if scheduler else f"{workers} local workers"
        for fut in tqdm(as_completed(futures), total=len(futures), desc=f"{desc} ({where})",
                        disable=not progress, file=sys.stderr):
            i = futures[fut]
            try:
                results[i] = fut.result()
            except KilledWorker as err:
                raise SweepJobError(f"job {describe(tasks[i])}: its worker died too often ({err})") from None
            except Exception as err:  # noqa: BLE001 - name the job, keep the cause
                raise SweepJobError(f"job {describe(tasks[i])} failed twice: {type(err).__name__}: {err}") from err
            if save is not None:
                save(i)
    finally:
        cluster = None if scheduler else client.cluster
        client.close()
        if cluster is not None:
            cluster.close()
    return results


def seeded_draw(task: int, shared: dict) -> list[float]:
    """A tiny self-seeding job (a few random numbers from seed ``task + shared['offset']``): checks that a
    cluster runs jobs and returns identical results wherever they ran (``python -m attrprior.compendium.sweep``)."""
    import time

    import torch

    gen = torch.Generator().manual_seed(int(task) + int(shared.get("offset", 0)))
    time.sleep(float(shared.get("sleep", 0.0)))
    return torch.randn(4, generator=gen).tolist()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m attrprior.compendium.sweep [--scheduler ADDRESS] [--workers N]``: run a check sweep there and
    compare it with the same sweep in this process."""
    import argparse

    ap = argparse.ArgumentParser(description="check that a Dask scheduler or local cluster runs compendium jobs")
    ap.add_argument("--scheduler", default=None)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    tasks = list(range(16))
    here = run_jobs(seeded_draw, tasks, 1, {"offset": 7}, progress=False)
    there = run_jobs(seeded_draw, tasks, args.workers, {"offset": 7}, scheduler=args.scheduler, desc="check")
    same = here == there
    print(f"{len(tasks)} jobs: results {'identical to' if same else 'DIFFERENT from'} the in-process run")
    return 0 if same else 1


__all__ = ["SCHEDULER_ENV", "SweepJobError", "run_jobs", "seeded_draw"]

if __name__ == "__main__":
    sys.exit(main())
