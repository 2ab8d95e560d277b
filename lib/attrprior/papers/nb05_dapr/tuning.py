"""Where the hyper-parameters chosen on validation data fall on their grids (two moons).

A regulariser tuned over a grid whose optimum lands on the grid's edge has not been tuned: the comparison between
DAPr and the weight penalties is fair only where each one's choice is inside its grid.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

GRID_PARAMS = {"DAPr": "moons_lam", "DAPr (noise)": "moons_lam", "MLP + L1": "moons_l1", "MLP + L2": "moons_l2"}


def grid_edges(table: pd.DataFrame, params: Mapping[str, Sequence[float]]) -> pd.DataFrame:
    """Per tuned model: its grid (from the run's ``params``), how many data sets chose each value, and the share
    that chose the lowest and the highest value. ``table`` has one row per (data set, model) with ``hyper``.
    Runs that extended a grid beyond its edge (``hyper_edge`` column) are judged by where the choice lies among
    the strengths that data set tried; older runs by the grid alone."""
    rows = []
    for model, name in GRID_PARAMS.items():
        grid = sorted(float(v) for v in params[name])
        sel = table[table.model == model]
        chosen = sel["hyper"].astype(float).to_numpy()
        if len(grid) < 2 or chosen.size == 0:
            continue
        values = sorted(set(grid) | {float(v) for v in chosen})
        counts = {f"{v:g}": int(np.isclose(chosen, v).sum()) for v in values}
        if "hyper_edge" in sel:
            low, high = (sel["hyper_edge"] == "low").mean(), (sel["hyper_edge"] == "high").mean()
        else:
            low, high = np.isclose(chosen, grid[0]).mean(), np.isclose(chosen, grid[-1]).mean()
        rows.append({"model": model, "grid": ", ".join(f"{v:g}" for v in grid), "data sets": chosen.size,
                     "chosen per value": "; ".join(f"{k}: {n}" for k, n in counts.items()),
                     "at lowest": float(low), "at highest": float(high)})
    return pd.DataFrame(rows)


__all__ = ["GRID_PARAMS", "grid_edges"]
