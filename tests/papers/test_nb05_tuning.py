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


def _fake_fit(best: float):
    """A validation score that peaks at strength ``best`` (log scale): what a tuned regulariser looks like."""
    import math

    def fit(h: float):
        return h, None, -abs(math.log10(h) - math.log10(best))
    return fit


def test_extension_walks_past_the_upper_edge_until_the_optimum_is_inside():
    from attrprior.papers.nb05_dapr.runs import _extend_at_edge

    fit = _fake_fit(1000.0)
    runs = [fit(h) for h in (0.1, 1.0, 10.0)]
    assert _extend_at_edge(runs, fit, rounds=1) == "high"  # one round reaches 100: still the edge
    assert [r[0] for r in runs] == [0.1, 1.0, 10.0, 100.0]
    runs = [fit(h) for h in (0.1, 1.0, 10.0)]
    assert _extend_at_edge(runs, fit, rounds=5) == "inside"  # 100, 1000, 10000: the optimum is bracketed
    assert [r[0] for r in runs][3:] == [100.0, 1000.0, 10000.0]


def test_extension_goes_down_too_and_leaves_an_inside_choice_alone():
    from attrprior.papers.nb05_dapr.runs import _extend_at_edge

    fit = _fake_fit(1e-6)
    runs = [fit(h) for h in (1e-4, 1e-3)]
    assert _extend_at_edge(runs, fit, rounds=2) == "low" and [r[0] for r in runs][2:] == [1e-5, 1e-6]
    fit = _fake_fit(1.0)
    runs = [fit(h) for h in (0.1, 1.0, 10.0)]
    assert _extend_at_edge(runs, fit, rounds=3) == "inside" and len(runs) == 3
    assert _extend_at_edge([fit(1.0)], fit, rounds=3) == ""  # a one-value grid is not tuned


def test_edges_of_an_extended_run_come_from_what_each_data_set_tried():
    table = pd.DataFrame({"model": ["DAPr"] * 3, "hyper": [10.0, 100.0, 1.0], "hyper_edge": ["inside", "high", "inside"]})
    out = grid_edges(table, PARAMS).set_index("model")
    assert out.loc["DAPr", "at highest"] == pytest.approx(1 / 3) and out.loc["DAPr", "at lowest"] == 0.0
    assert out.loc["DAPr", "chosen per value"] == "0.1: 0; 1: 1; 10: 1; 100: 1"


def test_run_moons_refuses_a_bad_extend():
    from attrprior.papers.nb05_dapr.dapr import TrainConfig
    from attrprior.papers.nb05_dapr.runs import run_moons

    with pytest.raises(ValueError, match="extend"):
        run_moons([10], 1, cfg=TrainConfig(max_epochs=1), extend=-1, progress=False)
