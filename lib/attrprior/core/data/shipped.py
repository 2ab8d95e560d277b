"""Find shipped data files and verify them against ``data/manifest.json``.

The data live outside the repository, in ``../shared/data`` relative to the
repository root, or wherever ``$ATTRPRIOR_DATA_DIR`` points. Every file is
checked against the sha256 recorded in the manifest before anything reads it;
the check is cached per process, keyed by (path, mtime, size).
"""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_ENV = "ATTRPRIOR_DATA_DIR"
MANIFEST_REL = Path("data") / "manifest.json"


class DataError(Exception):
    """Base class of every data-layer error; the message says what to do."""


class DataMissingError(DataError, FileNotFoundError):
    """A shipped file is not where it should be."""


class DataCorruptError(DataError, ValueError):
    """A file exists but its checksum or format is wrong."""


class DataUnavailableError(DataError, ConnectionError):
    """A data set must be downloaded and the download failed (usually: offline)."""


def _looks_like_root(path: Path) -> bool:
    return (path / MANIFEST_REL).is_file()


@lru_cache(maxsize=1)
def repo_root() -> Path:
    """The repository root: found from the package location, else from cwd and its parents."""
    here = Path(__file__).resolve()
    candidates = [here.parents[4]] if len(here.parents) > 4 else []
    cwd = Path.cwd().resolve()
    candidates += [cwd, *cwd.parents]
    for cand in candidates:
        if _looks_like_root(cand):
            return cand
    raise DataMissingError(
        f"cannot find the repository root (a folder holding {MANIFEST_REL}) from {here} or {cwd}; "
        "run from inside the attrprior repository"
    )


def data_dir() -> Path:
    """Where shipped data are read from: ``$ATTRPRIOR_DATA_DIR`` or ``<repo>/../shared/data``."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return (repo_root().parent / "shared" / "data").resolve()


@lru_cache(maxsize=1)
def manifest() -> dict[str, Any]:
    """The parsed ``data/manifest.json``."""
    return json.loads((repo_root() / MANIFEST_REL).read_text())


def manifest_files() -> dict[str, dict[str, Any]]:
    """``{relative path: entry}`` for every shipped file (sha256, size, description, source, obtain)."""
    return dict(manifest()["files"])


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


_VERIFIED: dict[tuple[str, int, int], str] = {}


def _cached_sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    if key not in _VERIFIED:
        _VERIFIED[key] = sha256_file(path)
    return _VERIFIED[key]


def _entry(rel: str) -> dict[str, Any]:
    files = manifest_files()
    if rel not in files:
        raise DataMissingError(f"'{rel}' is not in {MANIFEST_REL}; known files: {', '.join(sorted(files))}")
    return files[rel]


def shipped_path(rel: str, verify: bool = True) -> Path:
    """Absolute path of the shipped file ``rel`` (e.g. ``'mnist/t10k-labels-idx1-ubyte.gz'``),
    after checking its sha256 against the manifest.

    Raises :class:`DataMissingError` when the file is absent and :class:`DataCorruptError`
    when its checksum differs; both name the file, the expected sha256 and how to obtain it.
    """
    entry = _entry(rel)
    path = data_dir() / rel
    how = f"expected sha256 {entry['sha256']}; obtain it from: {entry['obtain']}"
    if not path.is_file():
        raise DataMissingError(
            f"shipped data file '{rel}' is missing (looked for {path}; set ${DATA_ENV} to the data folder). {how}"
        )
    if verify:
        actual = _cached_sha256(path)
        if actual != entry["sha256"]:
            raise DataCorruptError(
                f"shipped data file '{rel}' at {path} is corrupt: sha256 {actual} does not match the manifest. {how}"
            )
    return path


def data_checksums(verify: bool = False) -> dict[str, str]:
    """``{relative path: sha256}`` of every manifest file as found on disk ('missing' if absent).

    With ``verify=True`` a missing or corrupt file raises instead (see :func:`shipped_path`).
    """
    out: dict[str, str] = {}
    for rel in sorted(manifest_files()):
        if verify:
            out[rel] = _cached_sha256(shipped_path(rel))
            continue
        path = data_dir() / rel
        out[rel] = _cached_sha256(path) if path.is_file() else "missing"
    return out


def verify_all() -> dict[str, bool]:
    """``{relative path: True if present and matching the manifest}`` — never raises for a bad file."""
    files = manifest_files()
    found = data_checksums(verify=False)
    return {rel: found[rel] == files[rel]["sha256"] for rel in sorted(files)}
