"""The cache key changes with what matters and ignores what does not."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from attrprior import cache
from tests.conftest import write_notebook

DATA = {"a.csv": "0" * 64, "b.gz": "1" * 64}


@pytest.fixture
def setup(tmp_path: Path):
    nb = write_notebook(tmp_path / "nb.ipynb", [("markdown", "# T", []), ("code", "x = None", ["parameters"]),
                                               ("code", "print(x)", [])])
    lib = tmp_path / "lib"
    (lib / "sub").mkdir(parents=True)
    (lib / "a.py").write_text("A = 1\n")
    (lib / "sub" / "b.py").write_text("B = 2\n")
    return nb, lib


def key(nb, lib, profile="smoke", params=None, data=None):
    return cache.cache_key(nb, profile, params or {"x": 1}, lib, data or DATA)


def test_key_is_stable(setup):
    nb, lib = setup
    assert key(nb, lib) == key(nb, lib)
    assert len(key(nb, lib)) == 64


def test_key_ignores_outputs_and_metadata(setup):
    nb, lib = setup
    before = key(nb, lib)
    doc = json.loads(nb.read_text())
    doc["cells"][2]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["1\n"]}]
    doc["cells"][2]["execution_count"] = 7
    doc["cells"][2]["metadata"]["execution"] = {"iopub.status.busy": "2024-01-01"}
    doc["metadata"]["language_info"] = {"name": "python", "version": "3.11.9"}
    nb.write_text(json.dumps(doc, indent=1))
    assert key(nb, lib) == before


def test_key_changes_with_notebook_code_and_tags(setup):
    nb, lib = setup
    before = key(nb, lib)
    doc = json.loads(nb.read_text())
    doc["cells"][2]["source"] = "print(x + 1)"
    nb.write_text(json.dumps(doc))
    changed = key(nb, lib)
    assert changed != before
    doc["cells"][1]["metadata"]["tags"] = []
    nb.write_text(json.dumps(doc))
    assert key(nb, lib) != changed


def test_key_changes_with_params_and_profile(setup):
    nb, lib = setup
    base = key(nb, lib)
    assert key(nb, lib, params={"x": 2}) != base
    assert key(nb, lib, profile="default") != base
    assert key(nb, lib, params={"x": 1, "y": [1, 2]}) != base
    assert key(nb, lib, params={"x": 1.0}) != base  # 1 and 1.0 are different parameter values


def test_key_changes_with_lib_source(setup):
    nb, lib = setup
    base = key(nb, lib)
    (lib / "sub" / "b.py").write_text("B = 3\n")
    edited = key(nb, lib)
    assert edited != base
    (lib / "c.py").write_text("")
    assert key(nb, lib) != edited
    (lib / "__pycache__").mkdir()
    (lib / "__pycache__" / "junk.py").write_text("ignored")
    (lib / "notes.txt").write_text("not python")
    added = key(nb, lib)
    (lib / "notes.txt").write_text("changed")
    assert key(nb, lib) == added


def test_key_changes_with_data(setup):
    nb, lib = setup
    assert key(nb, lib, data={**DATA, "a.csv": "2" * 64}) != key(nb, lib)
    assert key(nb, lib, data={**DATA, "c.txt": "missing"}) != key(nb, lib)


def test_key_parts_and_combine(setup):
    nb, lib = setup
    parts = cache.key_parts(nb, "smoke", {"x": 1}, lib, DATA)
    assert set(parts) == {"version", "notebook", "params", "lib", "data", "committed"}
    assert cache.combine(parts) == key(nb, lib)


def test_default_data_digest_reads_manifest():
    from attrprior.data import data_checksums, manifest_files

    assert set(data_checksums()) == set(manifest_files())
    assert cache.data_digest() == cache.data_digest(data_checksums())


def test_lib_digest_ignores_build_tooling_but_not_library_code(tmp_path):
    from attrprior.cache import TOOLING, lib_digest

    (tmp_path / "priors.py").write_text("a = 1\n")
    for name in TOOLING:
        (tmp_path / name).write_text("x = 1\n")
    before = lib_digest(tmp_path)
    (tmp_path / "book.py").write_text("x = 2\n")
    assert lib_digest(tmp_path) == before
    (tmp_path / "priors.py").write_text("a = 2\n")
    assert lib_digest(tmp_path) != before


def test_key_follows_committed_paper_results(tmp_path):
    nb = write_notebook(tmp_path / "notebooks" / "nb.ipynb", [("code", "x = None", ["parameters"])])
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "a.py").write_text("A = 1\n")
    before = key(nb, lib)
    committed = tmp_path / "results" / "paper" / "nb"
    committed.mkdir(parents=True)
    (committed / "runs.csv").write_text("a\n1\n")
    with_results = key(nb, lib)
    (committed / "runs.csv").write_text("a\n2\n")
    assert len({before, with_results, key(nb, lib)}) == 3
