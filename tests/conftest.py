"""Shared fixtures: a tiny registered notebook spec and helpers to write notebooks."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from attrprior.compendium import params as experiments
from attrprior.compendium.params import NotebookSpec, Param, get_spec
from attrprior.core.data import data_dir

TINY = NotebookSpec(
    name="99_tiny",
    title="tiny test notebook",
    params=(Param("x", int, "a number", low=0, high=10), Param("fail", bool, "raise in the notebook")),
    profiles={p: {"x": 1, "fail": False} for p in ("smoke", "default", "paper")},
)

TINY_CODE = """import json, os
from pathlib import Path
out = Path(os.environ["ATTRPRIOR_RESULTS_DIR"])
x = 1 if x is None else x  # the profile value (real notebooks call configure() for this)
(out / "claims.json").write_text(json.dumps({"x": x, "profile": profile}))
if fail:
    raise RuntimeError("boom: the notebook failed on purpose")"""


def cell_namespace(notebook: str, profile: str = "smoke", **values) -> dict:
    """What a notebook's parameters cell defines: ``profile`` and every parameter (None unless given)."""
    return {"profile": profile, **{p.name: None for p in get_spec(notebook).params}, **values}


def write_notebook(path: Path, cells: list[tuple[str, str, list[str]]]) -> Path:
    """Write a notebook from (cell_type, source, tags) triples."""
    nb = nbformat.v4.new_notebook()
    for kind, source, tags in cells:
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        nb.cells.append(make(source, metadata={"tags": tags} if tags else {}))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture
def tiny_notebook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """notebooks/99_tiny.ipynb in a temp folder, with its spec registered."""
    monkeypatch.setitem(experiments.specs(), TINY.name, TINY)
    return write_notebook(tmp_path / "notebooks" / "99_tiny.ipynb", [
        ("markdown", "# Tiny", []),
        ("code", 'profile = "default"\nx = None\nfail = None', ["parameters"]),
        ("code", TINY_CODE, []),
    ])


def shipped_data_available() -> bool:
    try:
        return (data_dir() / "mnist" / "t10k-labels-idx1-ubyte.gz").is_file()
    except Exception:
        return False


needs_data = pytest.mark.skipif(not shipped_data_available(), reason="shipped data (../shared/data) not present")
