"""Figures for the gene-level stand-in and the graph-prior experiment (notebook 03d; reusable by 05)."""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from attrprior.core.plotting.common import boxplot_by_group
from attrprior.core.plotting.layout import MAX_WIDTH, panel_grid


def _short(name: str) -> str:
    return (name.replace("Graph penalty on gradients", "Graph pen.\n(gradients)").replace(" (EG)", "\n(EG)")
            .replace("MLP + fine-tune", "MLP +\nfine-tune").replace("Graph LASSO", "Graph\nLASSO"))


def r2_boxplot(r2: pd.DataFrame, ax=None, title: str = ""):
    """Test R² per model: one box per model, one point per retraining (column ``r2``)."""
    ax = ax or plt.subplots(figsize=(MAX_WIDTH, 3.2))[1]
    values = {_short(m): g.r2.to_numpy() for m, g in r2.groupby("model", sort=False)}
    boxplot_by_group(values, ax=ax, ylabel="test R²", title=title)
    ax.tick_params(axis="x", labelsize=7)
    return ax


def bars_with_points(table: pd.DataFrame, column: str, ax=None, ylabel: str = "", title: str = "",
                     baseline: float | None = None, log: bool = False):
    """Mean ± SE bar per model with each seed's value on top (``table`` has columns model, ``column``)."""
    ax = ax or plt.subplots(figsize=(MAX_WIDTH, 3))[1]
    groups = [(m, g[column].to_numpy(float)) for m, g in table.groupby("model", sort=False)]
    for i, (name, v) in enumerate(groups):
        se = v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else 0.0
        ax.bar(i, v.mean(), yerr=se, color="C1" if name == "Graph prior (EG)" else "C0", alpha=0.6, capsize=3)
        ax.scatter(np.full(len(v), i) + np.linspace(-0.1, 0.1, len(v)), v, s=10, color="k", zorder=3)
    if baseline is not None:
        ax.axhline(baseline, color="grey", ls="--", lw=1)
    ax.set_xticks(range(len(groups)), [_short(m) for m, _ in groups], fontsize=7)
    if log:
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.set_title(title, wrap=True)
    return ax


def enriched_counts(counts: Mapping[str, Sequence[int]], true_hits: Mapping[str, Sequence[int]] | None = None,
                    ax=None, title: str = "", fdr: float = 0.25):
    """Number of enriched pathways per seed and model; ``true_hits`` (optional) the number of those that
    are simulated driver pathways, drawn as a darker inner bar."""
    ax = ax or plt.subplots(figsize=(4, 3))[1]
    for i, (name, c) in enumerate(counts.items()):
        c = np.asarray(c, float)
        ax.bar(i, c.mean(), color=f"C{i}", alpha=0.5, label="all enriched" if i == 0 else None)
        ax.scatter(np.full(len(c), i) + np.linspace(-0.1, 0.1, len(c)), c, s=12, color="k", zorder=3)
        if true_hits is not None:
            ax.bar(i, np.mean(true_hits[name]), width=0.4, color=f"C{i}", alpha=1.0,
                   label="of which driver pathways" if i == 0 else None)
    ax.set_xticks(range(len(counts)), [_short(k) for k in counts], fontsize=8)
    ax.set_ylabel(f"pathways with FDR q < {fdr:g} (NES > 0)")
    ax.set_title(title, wrap=True)
    ax.legend(fontsize=7)
    return ax


def gene_graph_view(adjacency, genes: Sequence[str], driver_mask: np.ndarray, phi: Mapping[str, np.ndarray],
                    n_nodes: int = 60, seed: int = 0, title: str = ""):
    """A subgraph around the drivers, one panel per model: node size/colour = that model's φ̄,
    drivers outlined in red. Nodes: the drivers plus their neighbours, at most ``n_nodes``."""
    import networkx as nx
    import scipy.sparse as sp

    a = sp.csr_matrix(adjacency)
    drivers = np.flatnonzero(driver_mask)
    nodes = list(drivers)
    for d in drivers:
        nodes += list(a[d].indices)
    nodes = list(dict.fromkeys(nodes))[:n_nodes]
    g = nx.from_scipy_sparse_array(a[nodes][:, nodes])
    pos = nx.spring_layout(g, seed=seed)
    fig, axes = panel_grid(len(phi), 3.6, 3.4)
    for ax, (name, f) in zip(axes, phi.items()):
        vals = np.asarray(f)[nodes]
        vals = vals / (vals.max() or 1.0)
        nx.draw_networkx_edges(g, pos, ax=ax, alpha=0.3, width=0.6)
        nx.draw_networkx_nodes(g, pos, ax=ax, node_size=20 + 180 * vals, node_color=vals, cmap="viridis",
                               vmin=0, vmax=1, edgecolors=["red" if driver_mask[n] else "none" for n in nodes],
                               linewidths=1.2)
        ax.set_title(name, fontsize=9, wrap=True)
        ax.axis("off")
    fig.suptitle(title, fontsize=9, wrap=True)
    fig.tight_layout()
    return fig


def driver_probability_plot(propensity: np.ndarray, probability: np.ndarray, driver_mask: np.ndarray,
                            in_active: np.ndarray, ax=None, title: str = ""):
    """P(driver) against the MERGE meta-feature propensity, coloured by membership of a driver pathway."""
    ax = ax or plt.subplots(figsize=(4, 3))[1]
    for mask, label, c in ((~in_active, "other genes", "C0"), (in_active, "in a driver pathway", "C1")):
        ax.scatter(propensity[mask], probability[mask], s=8, c=c, alpha=0.6, label=label)
    ax.scatter(propensity[driver_mask], probability[driver_mask], s=30, facecolors="none", edgecolors="k",
               label="drawn drivers")
    ax.set_xlabel("MERGE meta-feature propensity (z)")
    ax.set_ylabel("P(driver)")
    ax.set_title(title, wrap=True)
    ax.legend(fontsize=7)
    return ax


__all__ = ["bars_with_points", "driver_probability_plot", "enriched_counts", "gene_graph_view", "r2_boxplot"]
