"""Every notebook follows the contract in CONTRIBUTING.md (checked statically, no kernel)."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from attrprior.experiments import get_spec

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9]*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_contract(path: Path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    spec = get_spec(path.stem)
    assert spec.name == path.stem, f"{path.name}: spec name {spec.name!r} must equal the file name"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and "parameters" in code[0]["metadata"].get("tags", []), \
        f"{path.name}: the first code cell must be tagged 'parameters'"
    tree = ast.parse("".join(code[0]["source"]))
    assigned = {t.id: n.value for n in tree.body if isinstance(n, ast.Assign) for t in n.targets
                if isinstance(t, ast.Name)}
    assert "profile" in assigned, f"{path.name}: the parameters cell must set profile"
    for p in spec.params:
        assert p.name in assigned, f"{path.name}: parameter {p.name!r} missing from the parameters cell"
        assert isinstance(assigned[p.name], ast.Constant) and assigned[p.name].value is None, \
            f"{path.name}: {p.name} must be None in the parameters cell (values come from the profile)"
    extra = set(assigned) - {"profile"} - {p.name for p in spec.params}
    assert not extra, f"{path.name}: parameters cell sets undeclared names {sorted(extra)}"
    dirty = [i for i, c in enumerate(nb["cells"]) if c.get("outputs") or c.get("execution_count")]
    assert not dirty, f"{path.name}: outputs must be stripped before committing (cells {dirty})"
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown" and "".join(first["source"]).startswith("# "), \
        f"{path.name}: the first cell must be a Markdown '# Title' (the book's chapter title)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_section_labels_are_linkable(path: Path):
    """MyST labels must start with a letter: docutils strips leading digits from HTML ids, which
    would break the scoreboard's links to a claim's section."""
    import re

    nb = json.loads(path.read_text(encoding="utf-8"))
    labels = [m for c in nb["cells"] if c["cell_type"] == "markdown"
              for m in re.findall(r"^\(([^)]+)\)=\s*$", "".join(c["source"]), flags=re.M)]
    bad = [label for label in labels if not re.match(r"^[a-z][a-z0-9-]*$", label)]
    assert not bad, f"{path.name}: labels must match [a-z][a-z0-9-]*: {bad}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_papermill_reads_every_parameter(path: Path):
    """papermill's own parser (used by `papermill --help-notebook`) sees every parameter: a comment holding
    '=' makes it skip the line with an 'Unable to parse' warning."""
    import papermill

    found = set(papermill.inspect_notebook(str(path)))
    assert found == {"profile"} | {p.name for p in get_spec(path.stem).params}, \
        f"{path.name}: papermill cannot parse the parameters cell lines for {sorted({'profile'} ^ found)}"
