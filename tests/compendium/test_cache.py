"""The cache key changes with what matters and ignores what does not."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from attrprior.compendium import cache
from tests.conftest import write_notebook

DATA = {"a.csv": "0" * 64, "b.gz": "1" * 64}


@pytest.fixture
def setup(tmp_path: Path):
    nb = write_notebook(tmp_path / "nb.ipynb", [("markdown", "# T", []), ("code", "x = None", ["parameters"]),
                                               ("code", "print(x)", [])])
    return nb, fake_lib(tmp_path / "lib")


def fake_lib(lib: Path) -> Path:
    """A library tree with the three layers and two papers; ``nb.ipynb``'s paper is ``papers/nbnb``."""
    files = {
        "__init__.py": "", "core/__init__.py": "", "core/a.py": "A = 1\n", "core/sub/b.py": "B = 2\n",
        "compendium/claims.py": "C = 1\n", "compendium/params.py": "P = 1\n", "compendium/runner.py": "R = 1\n",
        "compendium/book.py": "K = 1\n", "compendium/store.py": "S = 1\n", "papers/__init__.py": "",
        "papers/nbnb/__init__.py": "", "papers/nbnb/experiment.py": "from attrprior.core.a import A\n",
        "papers/nbnb/verdicts.py": "V = 1\n", "papers/nbother/experiment.py": "O = 1\n",
    }
    for rel, text in files.items():
        (lib / rel).parent.mkdir(parents=True, exist_ok=True)
        (lib / rel).write_text(text)
    return lib


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


def test_key_changes_with_core_own_paper_and_result_shaping_compendium(setup):
    nb, lib = setup
    seen = {key(nb, lib)}
    for rel in ("core/sub/b.py", "papers/nbnb/verdicts.py", "compendium/claims.py", "compendium/params.py",
                "__init__.py"):
        (lib / rel).write_text((lib / rel).read_text() + "# edited\n")
        seen.add(key(nb, lib))
    (lib / "core" / "c.py").write_text("")  # a new core module
    seen.add(key(nb, lib))
    assert len(seen) == 7


def test_key_ignores_other_papers_tooling_and_non_python(setup):
    nb, lib = setup
    base = key(nb, lib)
    for rel in ("papers/nbother/experiment.py", "compendium/runner.py", "compendium/book.py", "compendium/store.py"):
        (lib / rel).write_text("changed = True\n")
    (lib / "core" / "__pycache__").mkdir()
    (lib / "core" / "__pycache__" / "junk.py").write_text("ignored")
    (lib / "core" / "notes.txt").write_text("not python")
    assert key(nb, lib) == base


def test_changed_parts_names_the_layer(setup):
    nb, lib = setup
    before = cache.key_parts(nb, "smoke", {"x": 1}, lib, DATA)
    (lib / "papers" / "nbnb" / "experiment.py").write_text("A = 2\n")
    after = cache.key_parts(nb, "smoke", {"x": 1}, lib, DATA)
    assert cache.changed_parts(before, after) == ["paper"]
    assert cache.changed_parts(None, after) == []


def test_code_digest_follows_the_import_closure_only(tmp_path):
    """The run store's key: a job module, what it imports from the core and its paper; not verdicts,
    not other papers, not the compendium."""
    lib = fake_lib(tmp_path / "lib")
    (lib / "papers" / "nbnb" / "experiment.py").write_text(
        "from attrprior.core.a import A\nfrom .helper import h\nfrom attrprior.compendium.store import S\n"
        "def f():\n    from attrprior.core.sub import b\n")
    (lib / "papers" / "nbnb" / "helper.py").write_text("h = 1\n")
    module = "attrprior.papers.nbnb.experiment"
    closure = {p.relative_to(lib).as_posix() for p in cache.import_closure(module, lib)}
    assert closure == {"core/__init__.py", "core/a.py", "core/sub/b.py", "papers/__init__.py",
                       "papers/nbnb/__init__.py", "papers/nbnb/experiment.py", "papers/nbnb/helper.py"}
    base = cache.code_digest(module, lib)
    for rel in ("papers/nbnb/verdicts.py", "papers/nbother/experiment.py", "compendium/store.py"):
        (lib / rel).write_text("changed = True\n")
    assert cache.code_digest(module, lib) == base
    (lib / "papers" / "nbnb" / "helper.py").write_text("h = 2\n")
    assert cache.code_digest(module, lib) != base


def test_key_changes_with_data(setup):
    nb, lib = setup
    assert key(nb, lib, data={**DATA, "a.csv": "2" * 64}) != key(nb, lib)
    assert key(nb, lib, data={**DATA, "c.txt": "missing"}) != key(nb, lib)


def test_key_parts_and_combine(setup):
    nb, lib = setup
    parts = cache.key_parts(nb, "smoke", {"x": 1}, lib, DATA)
    assert set(parts) == {"version", "notebook", "params", "core", "compendium", "paper", "data", "committed",
                          "device"}
    # a CPU result is never served for a GPU run (or the other way round)
    assert cache.cache_key(nb, "smoke", {"x": 1}, lib, DATA, device="cuda") != key(nb, lib)
    assert cache.combine(parts) == key(nb, lib)


def test_default_data_digest_reads_manifest():
    from attrprior.core.data import data_checksums, manifest_files

    assert set(data_checksums()) == set(manifest_files())
    assert cache.data_digest() == cache.data_digest(data_checksums())


def test_key_follows_committed_paper_results(tmp_path):
    nb = write_notebook(tmp_path / "notebooks" / "nb.ipynb", [("code", "x = None", ["parameters"])])
    lib = fake_lib(tmp_path / "lib")
    before = key(nb, lib)
    committed = tmp_path / "results" / "paper" / "nb"
    committed.mkdir(parents=True)
    (committed / "runs.csv").write_text("a\n1\n")
    with_results = key(nb, lib)
    (committed / "runs.csv").write_text("a\n2\n")
    assert len({before, with_results, key(nb, lib)}) == 3
