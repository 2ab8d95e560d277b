"""Helpers for tests that hold a notebook's hand-written prose to the committed results it quotes."""
import json
import math
from pathlib import Path

import pytest

from attrprior.compendium.committed import CommittedRun, load_committed

ROOT = Path(__file__).resolve().parents[2]


def cell_text(notebook: str, cell_id: str) -> str:
    """The source of one markdown cell of ``notebooks/<notebook>.ipynb``, whitespace collapsed to single spaces."""
    cells = json.loads((ROOT / "notebooks" / f"{notebook}.ipynb").read_text())["cells"]
    [cell] = [c for c in cells if c.get("id") == cell_id]
    return " ".join("".join(cell["source"]).split())


def committed_run(notebook: str) -> tuple[CommittedRun, dict[str, dict]]:
    """The committed paper run of ``notebook`` and its claims by id; skips the test when none is committed."""
    run = load_committed(notebook)
    if run is None:
        pytest.skip(f"no committed paper run of notebook {notebook}")
    return run, {c["id"]: c for c in run.claims}


def run_meta(run: CommittedRun) -> dict:
    """The runner's ``meta.json`` of a committed run (its wall time and parameters)."""
    return json.loads((run.path / "meta.json").read_text())


def superscript(n: int) -> str:
    """-6 -> '⁻⁶'."""
    return str(n).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))


def p_text(p: float) -> str:
    """4.1e-05 -> '4·10⁻⁵', the notebooks' way of writing a p value."""
    mantissa, exponent = f"{p:.0e}".split("e")
    return f"{mantissa}·10{superscript(int(exponent))}"


def power_of_ten(x: float) -> str:
    """1e-06 -> '10⁻⁶': x's nearest power of ten, as the notebooks write λ grids and p ≈ 10⁻⁹."""
    return "10" + superscript(round(math.log10(x)))


def assert_quotes(notebook: str, cell_id: str, expected: list[str]) -> None:
    """Fail, naming every phrase missing, unless the cell contains each phrase recomputed from the committed run."""
    text = cell_text(notebook, cell_id)
    missing = [e for e in expected if e not in text]
    assert not missing, f"notebook {notebook}, cell {cell_id}, no longer matches its committed run: {missing}"
