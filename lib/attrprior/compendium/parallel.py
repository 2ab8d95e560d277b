"""Independent jobs (one model each) in worker processes: CPU parallelism for sweeps.

``process_map(fn, tasks, workers, shared=...)`` returns ``[fn(task, shared) for task in tasks]`` in task
order. With ``workers > 1`` the tasks run in ``spawn``-ed processes that each receive ``shared`` once (large
tensors such as a training set travel once per worker, not once per task) and use ``threads`` torch threads.
Jobs that seed themselves (as :func:`attrprior.core.training.seed_everything` does at the start of every run)
give bit-identical results whichever process runs them.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Callable, Sequence, TypeVar

import torch
from tqdm.auto import tqdm

T = TypeVar("T")
R = TypeVar("R")
_SHARED: dict[str, Any] = {}


def _init_worker(threads: int, shared: dict[str, Any]) -> None:
    torch.set_num_threads(threads)
    _SHARED.clear()
    _SHARED.update(shared)


def _call(fn: Callable[[T, dict], R], task: T) -> R:
    return fn(task, _SHARED)


def process_map(fn: Callable[[T, dict], R], tasks: Sequence[T], workers: int = 1, shared: dict | None = None,
                threads: int = 1, order: Sequence[int] | None = None, desc: str = "jobs",
                progress: bool = True) -> list[R]:
    """``[fn(task, shared) for task in tasks]``, run by ``workers`` processes (1 = in this process).

    ``fn`` must be a module-level function (it is pickled by reference). ``order`` is the order in which
    tasks are handed out (e.g. longest first, so that no worker is left with a long job at the end); results
    always come back in task order. The first exception raised by a job cancels the jobs not yet started
    and is re-raised here."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be an int >= 1, got {threads!r}")
    tasks = list(tasks)
    order = list(range(len(tasks))) if order is None else list(order)
    if sorted(order) != list(range(len(tasks))):
        raise ValueError("order must be a permutation of the task indices")
    shared = dict(shared or {})
    results: list[Any] = [None] * len(tasks)
    if workers == 1 or len(tasks) <= 1:
        for i in tqdm(order, desc=desc, disable=not progress):
            results[i] = fn(tasks[i], shared)
        return results
    pool = ProcessPoolExecutor(min(workers, len(tasks)), mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker, initargs=(threads, shared))
    try:
        futures = {pool.submit(_call, fn, tasks[i]): i for i in order}
        for fut in tqdm(as_completed(futures), total=len(futures), desc=f"{desc} ({workers} processes)",
                        disable=not progress):
            results[futures[fut]] = fut.result()
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return results


__all__ = ["process_map"]
