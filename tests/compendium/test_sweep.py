"""The Dask sweep executor: the same results serially, on a LocalCluster and on a scheduler started from the
command line; a killed worker does not lose the sweep; a failing job is named; a stored sweep resumes."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from attrprior.compendium.store import RunStore
from attrprior.compendium.sweep import SweepJobError, run_jobs, seeded_draw

TASKS = list(range(8))
SHARED = {"offset": 3}
DASK = Path(sys.executable).with_name("dask")


def _flaky(task: int, shared: dict) -> int:
    """Fails on its first call for task 2 in each process (a transient error), and always for task 5."""
    if task == 5:
        raise RuntimeError("task 5 is broken")
    marker = Path(shared["tmp"]) / f"seen-{task}-{os.getpid()}"
    if task == 2 and not marker.exists():
        marker.touch()
        raise RuntimeError("transient")
    return task


def _stored(task: int, shared: dict) -> tuple[list[float], bool]:
    store = RunStore(shared["store"], {"code": "test"})
    if (hit := store.get({"task": task})) is not None:
        return hit, True
    result = seeded_draw(task, shared)
    store.put({"task": task}, result)
    return result, False


def test_serial_local_cluster_and_order_agree():
    serial = run_jobs(seeded_draw, TASKS, 1, SHARED, progress=False)
    local = run_jobs(seeded_draw, TASKS, 2, SHARED, order=TASKS[::-1], progress=False)
    assert local == serial and len(serial) == len(TASKS)
    assert serial[0] == seeded_draw(0, SHARED)  # task order, whatever the hand-out order


def test_external_scheduler_from_the_command_line(tmp_path):
    """`dask scheduler` and `dask worker` started as separate processes; the sweep is sent to the address."""
    sched_file = tmp_path / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    procs = [subprocess.Popen([str(DASK), "scheduler", "--scheduler-file", str(sched_file), "--no-dashboard",
                               "--port", "0"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        for _ in range(600):
            if sched_file.is_file() and sched_file.stat().st_size:
                break
            time.sleep(0.1)
        address = json.loads(sched_file.read_text())["address"]
        procs.append(subprocess.Popen([str(DASK), "worker", address, "--nthreads", "1", "--no-dashboard"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        remote = run_jobs(seeded_draw, TASKS, 2, SHARED, scheduler=address, progress=False)
    finally:
        for p in procs[::-1]:
            p.terminate()
            p.wait(timeout=30)
    assert remote == run_jobs(seeded_draw, TASKS, 1, SHARED, progress=False)


def test_a_killed_worker_does_not_lose_the_sweep():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        pids = list(client.run(os.getpid).values())

        def kill_one() -> None:
            time.sleep(4.0)
            os.kill(pids[0], signal.SIGKILL)

        killer = threading.Thread(target=kill_one)
        killer.start()
        shared = {**SHARED, "sleep": 1.0}
        result = run_jobs(seeded_draw, TASKS, 2, shared, scheduler=cluster.scheduler_address, progress=False)
        killer.join()
    assert result == run_jobs(seeded_draw, TASKS, 1, SHARED, progress=False)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_transient_error_is_retried_and_a_broken_job_named(tmp_path, workers):
    assert run_jobs(_flaky, [0, 1, 2], workers, {"tmp": str(tmp_path)}, progress=False) == [0, 1, 2]
    with pytest.raises(SweepJobError, match=r"job <task 5> failed twice: RuntimeError: task 5 is broken"):
        run_jobs(_flaky, [4, 5], workers, {"tmp": str(tmp_path)}, progress=False, describe=lambda t: f"<task {t}>")


def test_a_stored_sweep_resumes(tmp_path):
    shared = {**SHARED, "store": str(tmp_path / "store")}
    first = run_jobs(_stored, TASKS[:3], 1, shared, progress=False)  # "interrupted" after 3 jobs
    whole = run_jobs(_stored, TASKS, 2, shared, progress=False)
    assert [hit for _, hit in first] == [False] * 3
    assert [hit for _, hit in whole] == [True] * 3 + [False] * 5
    assert [r for r, _ in whole] == run_jobs(seeded_draw, TASKS, 1, SHARED, progress=False)


@pytest.mark.parametrize("kwargs, match", [({"workers": 0}, "workers"), ({"workers": 1.5}, "workers"),
                                           ({"threads": 0}, "threads"), ({"order": [0, 0]}, "permutation")])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        run_jobs(seeded_draw, [1, 2], **{"workers": 1, **kwargs})


def test_workers_use_the_requested_threads():
    assert run_jobs(_threads, [0, 1], 2, {}, threads=1, progress=False) == [1, 1]


def _threads(task: int, shared: dict) -> int:
    return torch.get_num_threads()


def _logged(task: int, shared: dict) -> list[float]:
    """seeded_draw that records each call in a log file, and fails while a 'broken-<task>' marker exists."""
    folder = Path(shared["tmp"])
    with open(folder / "calls.log", "a") as fh:
        fh.write(f"{task}\n")
    if (folder / f"broken-{task}").exists():
        raise RuntimeError(f"task {task} cannot run yet")
    return seeded_draw(task, shared)


@pytest.mark.parametrize("workers", [1, 2])
def test_run_jobs_store_dir_resumes_an_interrupted_sweep(tmp_path, workers):
    shared = {**SHARED, "tmp": str(tmp_path)}
    log = tmp_path / "calls.log"
    (tmp_path / "broken-5").touch()
    with pytest.raises(SweepJobError, match="task 5"):  # the sweep stops at a job that fails twice
        run_jobs(_logged, TASKS, workers, shared, progress=False, store_dir=tmp_path / "store")
    stored = len(list((tmp_path / "store").glob("*.pt")))
    assert 0 < stored < len(TASKS), "jobs that finished before the failure were stored"
    (tmp_path / "broken-5").unlink()
    log.unlink()
    out = run_jobs(_logged, TASKS, workers, shared, progress=False, store_dir=tmp_path / "store")
    rerun = [int(t) for t in log.read_text().split()]
    assert 5 in rerun and len(rerun) == len(TASKS) - stored  # only what had not finished runs again
    assert out == run_jobs(seeded_draw, TASKS, 1, SHARED, progress=False)  # stored results are the same results
    log.unlink()
    assert run_jobs(_logged, TASKS, workers, shared, progress=False, store_dir=tmp_path / "store") == out
    assert not log.exists()  # everything came from the store


def test_run_jobs_store_is_keyed_by_shared_content_and_job(tmp_path):
    shared = {**SHARED, "tmp": str(tmp_path)}
    log = tmp_path / "calls.log"
    run_jobs(_logged, [0, 1], 1, shared, progress=False, store_dir=tmp_path / "store")
    log.unlink()
    other = run_jobs(_logged, [0, 1], 1, {**shared, "offset": 4}, progress=False, store_dir=tmp_path / "store")
    assert log.read_text().split() == ["0", "1"]  # other shared data: nothing reused
    assert other == run_jobs(seeded_draw, [0, 1], 1, {"offset": 4}, progress=False)
    log.unlink()
    keyed = run_jobs(_logged, [0, 1], 1, shared, progress=False, store_dir=tmp_path / "store",
                     job_key=lambda t: {"draw": t, "note": "described differently"})
    assert log.read_text().split() == ["0", "1"] and keyed[0] == seeded_draw(0, SHARED)


def test_content_digest_follows_content():
    import functools

    import numpy as np

    from attrprior.compendium.store import content_digest

    a = {"x": np.arange(6.0).reshape(2, 3), "cfg": (1, "b"), "fn": functools.partial(seeded_draw, 3)}
    b = {"cfg": (1, "b"), "fn": functools.partial(seeded_draw, 3), "x": np.arange(6.0).reshape(2, 3)}
    assert content_digest(a) == content_digest(b)  # key order does not matter, content does
    assert content_digest(a) != content_digest({**a, "x": np.arange(6.0).reshape(3, 2)})
    assert content_digest(a) != content_digest({**a, "fn": functools.partial(seeded_draw, 4)})
    assert content_digest(torch.nn.Linear(2, 1).requires_grad_(False)) != content_digest(torch.nn.Linear(2, 1))
