"""The runner's cache key: what must be unchanged for a notebook run to be reused.

key = sha256 over named parts (kept in ``meta.json``, so ``--dry-run`` can say which one changed):

* ``notebook``  — the notebook's cells with outputs, execution counts and metadata other than tags stripped
  (so re-saving a notebook with new outputs does not invalidate its cache);
* ``params``    — the profile and the fully resolved parameters;
* ``core``      — every ``attrprior/core/**/*.py`` and ``attrprior/__init__.py``;
* ``compendium``— the compendium modules that shape a notebook's results (:data:`RESULT_SHAPING`: parameters,
  claims, committed results) — not the runner, cache, book or scoreboard, which cannot change what a notebook
  computes;
* ``paper``     — the notebook's own subpackage ``attrprior/papers/nb<notebook>/`` (and the papers package's
  ``__init__``), never another paper's, so editing one paper re-runs one notebook;
* ``data``      — the sha256 of every data file in the manifest as found on disk;
* ``committed`` — the notebook's committed paper-profile results (``results/paper/<notebook>/``);
* ``device``    — where the notebook trains (``cpu``, ``cuda``...; :func:`attrprior.compendium.environment.device_name`).

:func:`code_digest` is the finer key of the run store: the source of a module and of every ``attrprior``
module it imports (transitively) from the core and its own paper, so a trained model stays reusable while
verdict rules, figures or the compendium change.
"""
from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path
from typing import Any, Iterable, Mapping

KEY_VERSION = "attrprior-cache-v2"
LIB_ROOT = Path(__file__).resolve().parents[1]  # lib/attrprior
RESULT_SHAPING = ("compendium/__init__.py", "compendium/params.py", "compendium/claims.py",
                  "compendium/committed.py")
PART_LABELS = {
    "version": "cache format", "notebook": "notebook cells", "params": "parameters or profile",
    "core": "core library", "compendium": "claims/parameter machinery", "paper": "its paper's code",
    "data": "data files", "committed": "committed paper-scale results", "device": "device",
}


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


def files_digest(files: Iterable[Path], root: Path) -> str:
    """Hash of the given files' paths relative to ``root`` and their bytes (sorted; missing files skipped)."""
    digest = hashlib.sha256()
    for path in sorted({Path(p) for p in files}):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(_sha(path.read_bytes()).encode() + b"\n")
    return digest.hexdigest()


def _py(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*.py") if "__pycache__" not in p.parts] if folder.is_dir() else []


def paper_package(notebook: str) -> str:
    """The paper subpackage of a notebook: ``'05_dapr'`` -> ``'nb05_dapr'``."""
    return f"nb{notebook}"


def layer_digests(notebook: str, root: Path = LIB_ROOT) -> dict[str, str]:
    """The ``core``, ``compendium`` and ``paper`` parts of a notebook's key, from the sources under ``root``."""
    root = Path(root)
    return {
        "core": files_digest([*_py(root / "core"), root / "__init__.py"], root),
        "compendium": files_digest([root / rel for rel in RESULT_SHAPING], root),
        "paper": files_digest([*_py(root / "papers" / paper_package(notebook)), root / "papers" / "__init__.py"],
                              root),
    }


def data_digest(checksums: Mapping[str, str] | None = None) -> str:
    """Hash of ``{relative path: sha256}`` of the data files (default: :func:`attrprior.core.data.data_checksums`)."""
    if checksums is None:
        from attrprior.core.data import data_checksums

        checksums = data_checksums()
    return _sha(json.dumps(dict(checksums), sort_keys=True))


def key_parts(
    notebook: Path,
    profile: str,
    params: Mapping[str, Any],
    lib_root: Path = LIB_ROOT,
    checksums: Mapping[str, str] | None = None,
    device: str = "cpu",
) -> dict[str, str]:
    """The named component hashes of a cache key (stored in ``meta.json``; compared by ``--dry-run``)."""
    from attrprior.compendium.committed import committed_digest

    notebook = Path(notebook)
    return {
        "version": KEY_VERSION,
        "notebook": notebook_digest(notebook),
        "params": params_digest(profile, params),
        **layer_digests(notebook.stem, lib_root),
        "data": data_digest(checksums),
        "committed": committed_digest(notebook.stem, notebook.resolve().parent.parent),
        "device": device,
    }


def cache_key(
    notebook: Path,
    profile: str,
    params: Mapping[str, Any],
    lib_root: Path = LIB_ROOT,
    checksums: Mapping[str, str] | None = None,
    device: str = "cpu",
) -> str:
    """sha256 cache key of one notebook run (see the module docstring for what goes in)."""
    return combine(key_parts(notebook, profile, params, lib_root, checksums, device))


def combine(parts: Mapping[str, str]) -> str:
    """Fold component hashes into one key."""
    return _sha(json.dumps(dict(parts), sort_keys=True))


def changed_parts(old: Mapping[str, str] | None, new: Mapping[str, str]) -> list[str]:
    """Names of the key parts that differ between a stored run's ``key_parts`` and the current ones."""
    if not old:
        return []
    return [name for name in new if old.get(name) != new[name]]


# --- the run store's key: a module's import closure within the core and its own paper -----------------------

def _module_file(module: str, root: Path) -> Path | None:
    rel = Path(*module.split(".")[1:])
    for cand in (root / rel.with_suffix(".py"), root / rel / "__init__.py"):
        if cand.is_file():
            return cand
    return None


def _imports(path: Path, module: str) -> set[str]:
    """Absolute names of the ``attrprior`` modules (or module-or-attribute candidates) ``path`` imports."""
    is_pkg = path.name == "__init__.py"
    package = module if is_pkg else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            out.add(stem)
            out.update(f"{stem}.{a.name}" for a in node.names)
    return {m for m in out if m == "attrprior" or m.startswith("attrprior.")}


def import_closure(module: str, root: Path = LIB_ROOT, layers: tuple[str, ...] = ("core", "papers")) -> list[Path]:
    """Source files of ``module`` and every ``attrprior`` module it imports, transitively, restricted to the
    given layers (by default the core and the papers; the compendium's executors and stores do not change
    what a job computes). Package ``__init__`` files on the way are included."""
    root = Path(root)
    seen: set[Path] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        if len(parts) < 2 or parts[1] not in layers:
            continue
        path = _module_file(name, root)
        if path is None or path in seen:
            continue
        seen.add(path)
        todo.extend(_imports(path, name))
        for i in range(2, len(parts)):  # parent packages' __init__ run on import
            todo.append(".".join(parts[:i]))
    return sorted(seen)


def code_digest(module: str, root: Path = LIB_ROOT) -> str:
    """Hash of :func:`import_closure` of ``module``: the code a stored job's result depends on."""
    return files_digest(import_closure(module, root), Path(root))
