"""A folder of finished jobs (one trained-and-evaluated model each), so that a long sweep resumes where it
stopped instead of starting over.

Each entry is keyed by sha256 over the job's description *and* a context: everything else that decides
its result (library source, data fingerprint, settings, torch version, device type). A change to any of
them gives new keys, so a stale result is never reused. Entries are written atomically (temp file, then
rename): a job killed mid-write leaves nothing behind.

A session's ``build/`` folder does not outlive it, so a paper-scale sweep that takes longer than a session carries its
finished jobs over in git: ``python -m attrprior.compendium.store harvest <notebook>`` copies the entries of
``build/store/paper/<notebook>/`` to ``results/paper/<notebook>/carried_store/`` (commit it), and a store under
``<repo>/build/store/<profile>/<notebook>`` also reads entries from ``<repo>/results/<profile>/<notebook>/carried_store``
(:func:`carried_folder`). The same keys apply there, so an entry made by other code or data is never reused. Once the
run's results are committed, ``harvest <notebook> --clear`` removes the carried entries.
"""
from __future__ import annotations

import argparse
import dataclasses
import functools
import hashlib
import json
import shutil
import sys
import warnings
from pathlib import Path
from typing import Any, Mapping, Sequence

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


CARRIED = "carried_store"


def carried_folder(folder: Path | str) -> Path | None:
    """The committed folder a store at ``<repo>/build/store/<profile>/<notebook>[/…]`` reads too:
    ``<repo>/results/<profile>/<notebook>/carried_store[/…]``; None for a store anywhere else."""
    parts = Path(folder).resolve().parts
    for i in range(len(parts) - 3):
        if parts[i:i + 2] == ("build", "store"):
            profile, notebook, rest = parts[i + 2], parts[i + 3], parts[i + 4:]
            return Path(*parts[:i], "results", profile, notebook, CARRIED, *rest)
    return None


class RunStore:
    """``store.get(job)`` / ``store.put(job, result)`` for JSON-describable jobs under a fixed ``context``.

    ``carried`` (default :func:`carried_folder` of ``folder``) is a read-only folder of entries harvested in an
    earlier session; ``get`` looks there when ``folder`` lacks the entry."""

    def __init__(self, folder: Path | str, context: Mapping[str, Any], carried: Path | str | None = "auto") -> None:
        self.folder = Path(folder)
        self.context = _plain(context)
        self.carried = carried_folder(self.folder) if carried == "auto" else (Path(carried) if carried else None)

    def key(self, job: Mapping[str, Any]) -> str:
        payload = json.dumps({"context": self.context, "job": _plain(job)}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()

    def path(self, job: Mapping[str, Any]) -> Path:
        return self.folder / f"{self.key(job)[:32]}.pt"

    def get(self, job: Mapping[str, Any]) -> Any | None:
        """The stored result of ``job``, or None when it has not been stored (or was stored for another
        job: the entry repeats its job and context, which must match)."""
        path = self.path(job)
        if not path.is_file() and self.carried is not None:
            path = self.carried / path.name
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


def harvest(folder: Path | str, max_entry_mb: float = 5.0) -> tuple[list[Path], list[str]]:
    """Copy the entries of the store ``folder`` (and its sub-folders) that its :func:`carried_folder` lacks into it.
    Entries over ``max_entry_mb`` stay behind (they would bloat the repository); returns (copied, skipped)."""
    folder = Path(folder)
    target = carried_folder(folder)
    if target is None:
        raise ValueError(f"{folder} is not a run store under <repo>/build/store/<profile>/<notebook>")
    if not folder.is_dir():
        raise FileNotFoundError(f"no run store at {folder}: nothing has been run there in this checkout")
    copied, skipped = [], []
    for entry in sorted(folder.rglob("*.pt")):
        dest = target / entry.relative_to(folder)
        if dest.is_file():
            continue
        size_mb = entry.stat().st_size / 2**20
        if size_mb > max_entry_mb:
            skipped.append(f"{entry.relative_to(folder)} ({size_mb:.1f} MiB)")
            continue
        with entry.open("rb") as src:
            write_atomic(dest, lambda fh: shutil.copyfileobj(src, fh), binary=True)
        copied.append(dest)
    return copied, skipped


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m attrprior.compendium.store harvest <notebook> [--profile paper] [--clear]``."""
    ap = argparse.ArgumentParser(prog="attrprior.compendium.store",
                                 description="carry a notebook's finished jobs over to the next session (commit them)")
    ap.add_argument("command", choices=("harvest",))
    ap.add_argument("notebook", help="notebook name, e.g. 05_dapr")
    ap.add_argument("--profile", default="paper")
    ap.add_argument("--clear", action="store_true",
                    help="remove results/<profile>/<notebook>/carried_store (once the run's results are committed)")
    ap.add_argument("--max-entry-mb", type=float, default=5.0)
    args = ap.parse_args(argv)
    from attrprior.core.data import repo_root

    root = repo_root()
    folder = root / "build" / "store" / args.profile / args.notebook
    target = carried_folder(folder)
    if args.clear:
        if target is not None and target.is_dir():
            shutil.rmtree(target)
            print(f"removed {target.relative_to(root)}")
        return 0
    try:
        copied, skipped = harvest(folder, args.max_entry_mb)
    except (ValueError, FileNotFoundError) as err:
        print(f"harvest: {err}", file=sys.stderr)
        return 1
    total = sum(p.stat().st_size for p in target.rglob("*.pt")) / 2**20 if target.is_dir() else 0.0
    print(f"harvest: {len(copied)} new entries -> {target.relative_to(root)} ({total:.1f} MiB in all); commit it")
    for item in skipped:
        print(f"harvest: left behind (over {args.max_entry_mb:g} MiB): {item}")
    return 0


__all__ = ["CARRIED", "RunStore", "carried_folder", "content_digest", "fingerprint", "harvest"]

if __name__ == "__main__":
    sys.exit(main())
