"""Where tuned hyper-parameters fall on their grids (notebook 05's two moons)."""
from __future__ import annotations

import pandas as pd
import pytest

from attrprior.papers.nb05_dapr.tuning import grid_edges

PARAMS = {"moons_lam": [10.0, 0.1, 1.0], "moons_l1": [1e-5, 1e-4, 1e-3], "moons_l2": [1e-4, 1e-3, 1e-2]}


def _table(choices: dict[str, list[float]]) -> pd.DataFrame:
    return pd.DataFrame([{"model": m, "hyper": h} for m, hs in choices.items() for h in hs])


def test_counts_and_edge_shares_follow_the_choices():
    table = _table({"DAPr": [0.1, 1.0, 10.0, 10.0], "MLP + L1": [1e-3] * 3, "MLP": [0.0] * 4})
    out = grid_edges(table, PARAMS).set_index("model")
    assert list(out.index) == ["DAPr", "MLP + L1"]  # untuned models and models without rows are left out
    assert out.loc["DAPr", "grid"] == "0.1, 1, 10"  # sorted, whatever order the run listed it in
    assert out.loc["DAPr", "chosen per value"] == "0.1: 1; 1: 1; 10: 2"
    assert out.loc["DAPr", "at lowest"] == pytest.approx(0.25) and out.loc["DAPr", "at highest"] == pytest.approx(0.5)
    assert out.loc["MLP + L1", "at highest"] == 1.0 and out.loc["MLP + L1", "at lowest"] == 0.0


def test_a_one_point_grid_has_no_edges_to_report():
    table = _table({"DAPr": [1.0, 1.0]})
    assert grid_edges(table, {**PARAMS, "moons_lam": [1.0]}).empty
