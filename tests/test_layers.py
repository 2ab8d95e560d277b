"""The library's three layers stay apart: the core imports no paper and no compendium module, a paper never
imports another paper, and no module grows past the size a reader can hold in mind."""
from __future__ import annotations

from pathlib import Path

import pytest

import attrprior
from attrprior.compendium.cache import LIB_ROOT, _imports

FILES = sorted(p for p in LIB_ROOT.rglob("*.py") if "__pycache__" not in p.parts)


def _module(path: Path) -> str:
    parts = ["attrprior", *path.relative_to(LIB_ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> tuple[str, str]:
    """(layer, paper package or '') of an ``attrprior`` module name."""
    parts = module.split(".")
    layer = parts[1] if len(parts) > 1 else ""
    return layer, (parts[2] if layer == "papers" and len(parts) > 2 else "")


@pytest.mark.parametrize("path", FILES, ids=[p.relative_to(LIB_ROOT).as_posix() for p in FILES])
def test_layering(path: Path):
    layer, paper = _layer(_module(path))
    for target in _imports(path, _module(path)):
        t_layer, t_paper = _layer(target)
        if layer == "core":
            assert t_layer == "core", f"{path.name}: the core must not import {target}"
        if layer == "papers" and t_layer == "papers" and paper and t_paper:
            assert t_paper == paper, f"{path.name} ({paper}) imports another paper: {target}"
        if layer == "compendium" and t_paper:
            pytest.fail(f"{path.name}: the compendium finds papers by discovery, it must not import {target}")


def test_every_notebook_has_one_paper_package():
    notebooks = {p.stem for p in (LIB_ROOT.parents[1] / "notebooks").glob("[0-9]*.ipynb")}
    packages = {p.name[2:] for p in (LIB_ROOT / "papers").iterdir() if p.is_dir() and p.name.startswith("nb")}
    assert notebooks == packages


@pytest.mark.parametrize("path", FILES, ids=[p.relative_to(LIB_ROOT).as_posix() for p in FILES])
def test_modules_stay_small(path: Path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 400, f"{path.relative_to(LIB_ROOT)} has {lines} lines; split it by concept"


def test_public_api_resolves():
    for name in attrprior.__all__:
        assert getattr(attrprior, name) is not None, name
    assert {"expected_gradients", "TotalVariation", "fit", "Step"} <= set(attrprior.__all__)
    with pytest.raises(AttributeError, match="no attribute"):
        attrprior.not_a_name  # noqa: B018
