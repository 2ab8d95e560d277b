"""Where a simulated stand-in sits: how smooth its true effects are on the gene graph, how linear its response.

A prior can only help where the data have the structure it encodes. These two measured coordinates place a
stand-in (the default one, or a setting of a positive-control sweep) in that space, so a verdict on the
stand-in can say which regime it describes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from attrprior.core.simulate.genes import DrugResponseStandIn


def _dirichlet(values: np.ndarray, adjacency: sp.spmatrix) -> float:
    """Σ over edges (v_i − v_j)², each undirected edge once."""
    a = sp.triu(sp.csr_matrix(adjacency), k=1).tocoo()
    return float(((values[a.row] - values[a.col]) ** 2).sum())


def field_smoothness(values: np.ndarray, adjacency: sp.spmatrix, random_adjacency: sp.spmatrix) -> float:
    """1 − D(v; graph) / D(v; random graph with the same degrees): 0 when ``values`` are no smoother along the
    real graph's edges than along shuffled ones, 1 when they are constant along every real edge."""
    values = np.asarray(values, dtype=np.float64)
    rand = _dirichlet(values, random_adjacency)
    if rand == 0:
        raise ValueError("field_smoothness: the values are constant on the random graph's edges; nothing to compare")
    return 1.0 - _dirichlet(values, adjacency) / rand


def linear_share(data: DrugResponseStandIn) -> float:
    """Share of the noiseless gene signal h (one value per patient) explained by the linear predictor x·β with the
    true effects β: corr(h, x·β)², 1 for a linear response and near 0 for a symmetric (quadratic) one. With more
    genes than patients any h is fitted by *some* linear function in sample, so the direction is fixed to β."""
    first = np.unique(data.patient, return_index=True)[1]
    patients, drugs = data.patient[first], data.drug[first]
    gain = data.drug_gain[drugs].astype(np.float64)
    h = (data.signal[first] - data.drug_offset[drugs]) / np.where(gain == 0, 1.0, gain)
    lin = np.asarray(data.expression, dtype=np.float64)[patients] @ np.asarray(data.effects, dtype=np.float64)
    if np.std(h) == 0 or np.std(lin) == 0:
        raise ValueError("linear_share: the signal or the linear predictor is constant")
    return float(np.corrcoef(h, lin)[0, 1] ** 2)


def regime(data: DrugResponseStandIn) -> dict[str, float]:
    """Both coordinates of a stand-in: smoothness of its true effects on the graph, linear share of its signal."""
    return {"effect_smoothness": field_smoothness(data.effects, data.adjacency, data.random_adjacency),
            "linear_share": linear_share(data)}




@dataclass(frozen=True)
class Regime:
    """One regime of a positive-control sweep: a ``level`` of the structure the method needs (named by ``axis``:
    coherence on the graph, informativeness of meta-features …) and a non-linearity w of the response."""

    axis: str
    level: str
    nonlinearity: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.nonlinearity <= 1.0:
            raise ValueError(f"nonlinearity must lie in [0, 1], got {self.nonlinearity}")

    @property
    def label(self) -> str:
        return f"{self.level} {self.axis}, w = {self.nonlinearity:g}"

    def is_default(self) -> bool:
        return self.level == "default" and self.nonlinearity == 0.0


def regime_grid(axis: str, levels: Sequence[str], nonlinearity: Sequence[float],
                known: Sequence[str] | None = None) -> list[Regime]:
    """Every (level, w) combination, the default stand-in's (level "default", w = 0) first and always included.
    ``known`` lists the valid levels; anything else raises."""
    bad = [lv for lv in levels if known is not None and lv not in known]
    if bad:
        raise ValueError(f"unknown {axis} levels {bad}; choose from {list(known or [])}")
    out = [Regime(axis, lv, float(w)) for w in nonlinearity for lv in levels]
    if not any(r.is_default() for r in out):
        out.insert(0, Regime(axis, "default", 0.0))
    return out


__all__ = ["Regime", "field_smoothness", "linear_share", "regime", "regime_grid"]
