"""A folder of finished jobs (one trained-and-evaluated model each), so that a long sweep resumes where it
stopped instead of starting over.

Each entry is keyed by sha256 over the job's description *and* a context: everything else that decides
its result (library source, data fingerprint, settings, torch version, device type). A change to any of
them gives new keys, so a stale result is never reused. Entries are written atomically (temp file, then
rename): a job killed mid-write leaves nothing behind.
"""
from __future__ import annotations

import dataclasses
import functools
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


def content_digest(obj: Any) -> str:
    """sha256 over what ``obj`` holds (arrays and tensors by their bytes, data frames by their values, mappings,
    sequences, dataclasses and plain objects by their fields, functions and classes by their qualified name): the
    ``shared`` data of a sweep, so that a stored job is reused only with the same data and settings."""
    digest = hashlib.sha256()
    _feed(digest, obj, 0)
    return digest.hexdigest()


def _feed(digest, obj: Any, depth: int) -> None:  # noqa: C901 - one branch per kind of content
    if depth > 50:
        raise ValueError("content_digest: the object nests more than 50 levels deep")
    put = digest.update
    if obj is None or isinstance(obj, (bool, int, float, str, bytes, complex)):
        put(f"{type(obj).__name__}:{obj!r};".encode())
    elif isinstance(obj, (torch.Tensor, np.ndarray, np.generic)):
        put(b"array:" + fingerprint(obj).encode())
    elif hasattr(obj, "to_numpy") and hasattr(obj, "columns"):  # a pandas DataFrame
        put(f"frame:{list(obj.columns)!r}:{list(obj.index)!r}".encode())
        _feed(digest, obj.to_numpy(), depth + 1)
    elif hasattr(obj, "tocsr") and hasattr(obj, "shape"):  # a scipy sparse matrix
        csr = obj.tocsr()
        put(f"sparse:{csr.shape}".encode())
        for part in (csr.data, csr.indices, csr.indptr):
            _feed(digest, part, depth + 1)
    elif isinstance(obj, torch.nn.Module):
        put(f"module:{type(obj).__qualname__}".encode())
        _feed(digest, dict(obj.state_dict()), depth + 1)
    elif isinstance(obj, torch.device):
        put(f"device:{obj}".encode())
    elif isinstance(obj, Mapping):
        put(f"map{len(obj)}:".encode())
        for key in sorted(obj, key=repr):
            _feed(digest, key, depth + 1)
            _feed(digest, obj[key], depth + 1)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        items = sorted(obj, key=repr) if isinstance(obj, (set, frozenset)) else obj
        put(f"{type(obj).__name__}{len(obj)}:".encode())
        for item in items:
            _feed(digest, item, depth + 1)
    elif isinstance(obj, functools.partial):
        put(b"partial:")
        _feed(digest, (obj.func, obj.args, obj.keywords), depth + 1)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        put(f"dataclass:{type(obj).__qualname__}".encode())
        _feed(digest, {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}, depth + 1)
    elif callable(obj) and hasattr(obj, "__qualname__"):  # functions and classes
        put(f"callable:{getattr(obj, '__module__', '')}.{obj.__qualname__};".encode())
    elif hasattr(obj, "__dict__"):
        put(f"object:{type(obj).__qualname__}".encode())
        _feed(digest, vars(obj), depth + 1)
    else:
        put(f"repr:{obj!r};".encode())


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


__all__ = ["RunStore", "content_digest", "fingerprint"]
