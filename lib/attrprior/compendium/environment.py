"""The environment variables a run depends on, checked before any kernel starts.

* ``ATTRPRIOR_DEVICE`` — ``cpu``, ``cuda`` or ``cuda:N`` (unset: CUDA when available). Part of the cache key,
  so a CPU result is never served for a GPU run or the other way round.
* ``ATTRPRIOR_THREADS`` — torch threads per process on CPU, an integer >= 1.
* ``ATTRPRIOR_DATA_DIR`` — where the shipped data are; a relative path is made absolute here (against the
  directory the runner was started from) before kernels start in ``notebooks/``, so both see the same folder.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from attrprior.compendium.params import ParameterError

DEVICE_ENV = "ATTRPRIOR_DEVICE"
THREADS_ENV = "ATTRPRIOR_THREADS"
DATA_ENV = "ATTRPRIOR_DATA_DIR"


class EnvironmentSettingError(ParameterError):
    """An ``ATTRPRIOR_*`` environment variable has a value the compendium cannot use."""


def check_threads() -> None:
    value = os.environ.get(THREADS_ENV)
    if value is None:
        return
    try:
        ok = int(value) >= 1
    except ValueError:
        ok = False
    if not ok:
        raise EnvironmentSettingError(f"{THREADS_ENV}={value!r}: expected a whole number >= 1 (torch threads)")


def device_name() -> str:
    """The device the notebooks will train on, as the cache key records it: ``cpu`` or ``cuda[:N]``.

    Raises EnvironmentSettingError for a malformed ``ATTRPRIOR_DEVICE`` or a CUDA device that is not there."""
    wanted = os.environ.get(DEVICE_ENV, "").strip()
    if wanted and not re.fullmatch(r"cpu|cuda(:\d+)?", wanted):
        raise EnvironmentSettingError(f"{DEVICE_ENV}={wanted!r}: expected cpu, cuda or cuda:N")
    if wanted == "cpu":
        return "cpu"
    import torch

    if wanted.startswith("cuda"):
        index = int(wanted.split(":")[1]) if ":" in wanted else 0
        if not torch.cuda.is_available() or index >= torch.cuda.device_count():
            raise EnvironmentSettingError(f"{DEVICE_ENV}={wanted!r}: no such CUDA device on this machine "
                                          f"({torch.cuda.device_count()} visible); unset it or use cpu")
        return wanted
    return "cuda" if torch.cuda.is_available() else "cpu"


def absolute_data_dir() -> None:
    """Make a relative ``ATTRPRIOR_DATA_DIR`` absolute (against the current directory), in place."""
    value = os.environ.get(DATA_ENV)
    if value and not Path(value).expanduser().is_absolute():
        os.environ[DATA_ENV] = str(Path(value).expanduser().resolve())


def prepare() -> str:
    """Check every variable, normalise the data folder and return the device name (for the cache key)."""
    check_threads()
    absolute_data_dir()
    return device_name()


__all__ = ["DATA_ENV", "DEVICE_ENV", "EnvironmentSettingError", "THREADS_ENV", "absolute_data_dir",
           "check_threads", "device_name", "prepare"]
