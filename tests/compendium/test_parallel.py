"""process_map: results in task order, identical to the serial path, errors surface, bad arguments refused."""
from __future__ import annotations

import pytest
import torch

from attrprior.compendium.parallel import process_map


def _seeded_draw(task: int, shared: dict) -> tuple[int, float, int]:
    """A job that seeds itself: the same numbers whichever process runs it."""
    torch.manual_seed(task)
    return task, float(torch.randn(()) * shared["scale"]), torch.get_num_threads()


def _fail_on_two(task: int, shared: dict) -> int:
    if task == 2:
        raise RuntimeError(f"job {task} failed")
    return task


def test_serial_and_processes_agree_in_task_order():
    tasks = [3, 1, 4, 1, 5]
    serial = process_map(_seeded_draw, tasks, 1, {"scale": 2.0}, progress=False)
    parallel = process_map(_seeded_draw, tasks, 2, {"scale": 2.0}, threads=1, order=[4, 3, 2, 1, 0],
                           progress=False)
    assert [r[:2] for r in parallel] == [r[:2] for r in serial]
    assert [r[0] for r in parallel] == tasks
    assert all(r[2] == 1 for r in parallel)  # workers use the requested thread count


def test_job_error_is_raised():
    with pytest.raises(RuntimeError, match="job 2 failed"):
        process_map(_fail_on_two, [0, 1, 2, 3], 2, progress=False)
    with pytest.raises(RuntimeError, match="job 2 failed"):
        process_map(_fail_on_two, [0, 1, 2, 3], 1, progress=False)


@pytest.mark.parametrize("kwargs, match", [({"workers": 0}, "workers"), ({"workers": 1.5}, "workers"),
                                           ({"threads": 0}, "threads"), ({"order": [0, 0]}, "permutation")])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        process_map(_seeded_draw, [1, 2], **{"workers": 1, **kwargs})
