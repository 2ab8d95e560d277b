"""The runner's cache key: what must be unchanged for a notebook run to be reused.

key = sha256 over
  * the notebook's cells with outputs, execution counts and metadata other than tags stripped
    (so re-saving a notebook with new outputs does not invalidate its cache),
  * the profile and the fully resolved parameters,
  * every ``lib/attrprior/**/*.py`` source file (path and bytes) except the build tooling in
    :data:`TOOLING` (runner, cache, book builder), which cannot change what a notebook computes,
  * the sha256 of every data file in the manifest as found on disk,
  * the committed paper-profile results of the notebook (``results/paper/<notebook>/``), which a
    notebook may display next to its own run.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Mapping

KEY_VERSION = "attrprior-cache-v1"
LIB_ROOT = Path(__file__).resolve().parent
TOOLING = frozenset({"run.py", "cache.py", "book.py", "scoreboard.py"})


def _sha(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


def notebook_digest(path: Path) -> str:
    """Hash of a notebook's cell types, sources and tags; outputs and other metadata are ignored."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = []
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        tags = sorted(cell.get("metadata", {}).get("tags", []))
        cells.append([cell.get("cell_type", ""), source, tags])
    return _sha(json.dumps(cells, sort_keys=True))


def params_digest(profile: str, params: Mapping[str, Any]) -> str:
    """Hash of the profile and the resolved parameter values (order-independent)."""
    return _sha(json.dumps({"profile": profile, "params": dict(params)}, sort_keys=True, default=repr))


def lib_digest(root: Path = LIB_ROOT) -> str:
    """Hash of every ``*.py`` file under ``root`` (relative path + bytes); ``__pycache__`` and the
    top-level build tooling (:data:`TOOLING`) are excluded."""
    digest = hashlib.sha256()
    root = Path(root)
    files = (p for p in root.rglob("*.py") if "__pycache__" not in p.parts
             and not (p.parent == root and p.name in TOOLING))
    for path in sorted(files):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(_sha(path.read_bytes()).encode() + b"\n")
    return digest.hexdigest()


def data_digest(checksums: Mapping[str, str] | None = None) -> str:
    """Hash of ``{relative path: sha256}`` of the data files (default: :func:`attrprior.data.data_checksums`)."""
    if checksums is None:
        from .data import data_checksums

        checksums = data_checksums()
    return _sha(json.dumps(dict(checksums), sort_keys=True))


def key_parts(
    notebook: Path,
    profile: str,
    params: Mapping[str, Any],
    lib_root: Path = LIB_ROOT,
    checksums: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The component hashes of a cache key, for ``meta.json`` and debugging."""
    from .committed import committed_digest

    notebook = Path(notebook)
    return {
        "version": KEY_VERSION,
        "notebook": notebook_digest(notebook),
        "params": params_digest(profile, params),
        "lib": lib_digest(lib_root),
        "data": data_digest(checksums),
        "committed": committed_digest(notebook.stem, notebook.resolve().parent.parent),
    }


def cache_key(
    notebook: Path,
    profile: str,
    params: Mapping[str, Any],
    lib_root: Path = LIB_ROOT,
    checksums: Mapping[str, str] | None = None,
) -> str:
    """sha256 cache key of one notebook run (see the module docstring for what goes in)."""
    return combine(key_parts(notebook, profile, params, lib_root, checksums))


def combine(parts: Mapping[str, str]) -> str:
    """Fold component hashes into one key."""
    return _sha(json.dumps(dict(parts), sort_keys=True))
