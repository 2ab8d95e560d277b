"""Every notebook follows the contract in CONTRIBUTING.md (checked statically, no kernel)."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from attrprior.compendium.params import get_spec

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


def _text(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


SETUP_CALLS = ("configure(", "ClaimRecorder(", "setup_device(")


TEMPLATE = NOTEBOOKS[0].parent / "_template.ipynb"


@pytest.mark.parametrize("path", [*NOTEBOOKS, TEMPLATE], ids=[p.stem for p in [*NOTEBOOKS, TEMPLATE]])
def test_notebook_skeleton(path: Path):
    """The cell order of CONTRIBUTING.md and notebooks/_template.ipynb: title -> parameters -> one set-up cell ->
    data -> protocol -> one labelled section per claim (rule before the judgement) -> the claims table."""
    import re

    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    name = "NN_name" if path == TEMPLATE else path.stem
    assert "parameters" in cells[1]["metadata"].get("tags", []), f"{path.name}: cell 2 must be the parameters cell"
    setup = _text(cells[2])
    assert cells[2]["cell_type"] == "code" and f'configure("{name}", globals())' in setup, \
        f"{path.name}: cell 3 must be the set-up cell calling configure(\"{name}\", globals())"
    for call in SETUP_CALLS:
        assert call in setup, f"{path.name}: the set-up cell must call {call}...)"
        later = [i for i, c in enumerate(cells[3:], 3) if c["cell_type"] == "code" and call in _text(c)]
        assert not later, f"{path.name}: {call}...) belongs in the set-up cell only (also in cells {later})"
    sections = []  # (heading, label, markdown so far, code cells)
    for cell in cells[3:]:
        text = _text(cell)
        if cell["cell_type"] == "markdown" and re.search(r"^## ", text, flags=re.M):
            label = re.search(r"^\(([a-z][a-z0-9-]*)\)=", text, flags=re.M)
            sections.append({"heading": re.search(r"^## (.*)$", text, flags=re.M).group(1),
                             "label": label and label.group(1), "text": text, "claims": 0})
            continue
        assert sections, f"{path.name}: every cell after the set-up belongs to a '## ' section"
        if cell["cell_type"] == "markdown":
            sections[-1]["text"] += text
        elif "claims.add(" in text or "claims.judge(" in text:
            sec = sections[-1]
            assert sec["label"], f"{path.name}: section {sec['heading']!r} records a claim but has no (label)="
            assert re.search(r"\brules?\b", sec["text"], flags=re.I), \
                f"{path.name}: section {sec['heading']!r} must state its rule before the judgement"
            sec["claims"] += 1
    assert sections and sections[0]["claims"] == 0, \
        f"{path.name}: data and protocol come before the first claim (section {sections[0]['heading']!r})"
    assert sections[-1]["heading"].strip() == "Claims" and sections[-1]["claims"] == 0, \
        f"{path.name}: the last section is '## Claims' with the table"
    last = _text(cells[-1])
    assert "claims.save()" in last and "claims.table()" in last, f"{path.name}: the last cell saves and shows the claims"


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
