"""A folder of finished jobs (one trained-and-evaluated model each), so that a long sweep resumes where it
stopped instead of starting over.

Each entry is keyed by sha256 over the job's description *and* a context: everything else that decides
its result (library source, data fingerprint, settings, torch version, device type). A change to any of
them gives new keys, so a stale result is never reused. Entries are written atomically (temp file, then
rename): a job killed mid-write leaves nothing behind.
"""
from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from attrprior.compendium.atomic import write_atomic


def _plain(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """``mapping`` as JSON would give it back (tuples as lists, unknown objects as strings)."""
    return json.loads(json.dumps(dict(mapping), sort_keys=True, default=str))


def fingerprint(*arrays: torch.Tensor | np.ndarray) -> str:
    """sha256 over the shapes, dtypes and bytes of ``arrays`` (e.g. a training and a test set)."""
    digest = hashlib.sha256()
    for a in arrays:
        a = a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
        digest.update(f"{a.shape}{a.dtype}".encode())
        digest.update(np.ascontiguousarray(a).tobytes())
    return digest.hexdigest()


class RunStore:
    """``store.get(job)`` / ``store.put(job, result)`` for JSON-describable jobs under a fixed ``context``."""

    def __init__(self, folder: Path | str, context: Mapping[str, Any]) -> None:
        self.folder = Path(folder)
        self.context = _plain(context)

    def key(self, job: Mapping[str, Any]) -> str:
        payload = json.dumps({"context": self.context, "job": _plain(job)}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()

    def path(self, job: Mapping[str, Any]) -> Path:
        return self.folder / f"{self.key(job)[:32]}.pt"

    def get(self, job: Mapping[str, Any]) -> Any | None:
        """The stored result of ``job``, or None when it has not been stored (or was stored for another
        job: the entry repeats its job and context, which must match)."""
        path = self.path(job)
        if not path.is_file():
            return None
        try:
            entry = torch.load(path, weights_only=False)
        except Exception as err:  # noqa: BLE001 - a damaged entry is recomputed, never trusted
            warnings.warn(f"run store {self.folder}: entry {path.name} cannot be read ({type(err).__name__}: "
                          f"{str(err)[:120]}); the job is run again and the entry replaced", stacklevel=2)
            return None
        if not isinstance(entry, dict):
            return None
        if entry.get("job") != _plain(job) or entry.get("context") != self.context:
            return None
        return entry["result"]

    def put(self, job: Mapping[str, Any], result: Any) -> Path:
        """Store ``result`` for ``job`` (atomic write)."""
        entry = {"job": _plain(job), "context": self.context, "result": result}
        return write_atomic(self.path(job), lambda fh: torch.save(entry, fh), binary=True)

    def __len__(self) -> int:
        return sum(1 for _ in self.folder.glob("*.pt")) if self.folder.is_dir() else 0


__all__ = ["RunStore", "fingerprint"]
