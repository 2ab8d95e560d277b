"""Figures of the NHANES sparsity experiment (notebook 03c): bars over replicates, Lorenz curves, trade-offs."""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from attrprior.core.plotting.common import forest_plot

MODEL_COLORS = {"unregularized": "tab:gray", "l1_first": "tab:olive", "l1_all": "tab:green", "sgl": "tab:purple",
                "gini_eg": "tab:red", "gini_grad": "tab:orange", "l1_grad": "tab:brown"}


def bars_with_se(best: pd.DataFrame, metric: str, models: Sequence[str], labels: Mapping[str, str], ax=None,
                 ylabel: str = "", title: str = "", highlight: str = "gini_eg"):
    """Mean ± 2 SE over replicates of ``metric`` for each model (the paper's Fig. 4 bars), replicates as dots."""
    ax = ax or plt.subplots(figsize=(5, 3))[1]
    for i, m in enumerate(models):
        v = best.loc[best["model"] == m, metric].to_numpy(dtype=float)
        se = v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else 0.0
        ax.bar(i, v.mean(), yerr=2 * se, color=MODEL_COLORS.get(m, "tab:blue"), alpha=0.85, capsize=3,
               edgecolor="k" if m == highlight else None, linewidth=1.5 if m == highlight else 0)
        ax.scatter(np.full(len(v), i) + np.linspace(-0.15, 0.15, len(v)), v, s=8, color="k", zorder=3)
    lo = float(np.nanmin(best[metric].to_numpy(dtype=float)))
    ax.set_ylim(max(0.0, lo - 0.05), None)
    ax.set_xticks(range(len(models)), [labels.get(m, m) for m in models], rotation=35, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9, wrap=True)
    return ax


def auc_and_sparsity(best: pd.DataFrame, models: Sequence[str], labels: Mapping[str, str], suptitle: str = ""):
    """The paper's Fig. 4 pair: test ROC-AUC and Gini of the λ chosen on validation, mean ± 2 SE per model."""
    fig, axes = plt.subplots(1, 2, figsize=(7.4, 3.4), layout="constrained")
    bars_with_se(best, "test_auc", models, labels, ax=axes[0], ylabel="test ROC-AUC",
                 title="Test ROC-AUC of the λ chosen on validation (mean ± 2 SE)")
    bars_with_se(best, "gini", models, labels, ax=axes[1], ylabel="Gini of mean |EG|",
                 title="Sparsity of the same models (mean ± 2 SE)")
    fig.suptitle(suptitle, fontsize=10, wrap=True)
    return fig


def lorenz_plot(curves: Mapping[str, np.ndarray], labels: Mapping[str, str], ax=None, title: str = ""):
    """Lorenz curves: cumulative share of importance held by the q least important features."""
    ax = ax or plt.subplots(figsize=(4, 3.6))[1]
    for m, c in curves.items():
        q = np.arange(len(c))
        ax.plot(q, c, marker="o", ms=2.5, color=MODEL_COLORS.get(m), label=labels.get(m, m),
                lw=2.2 if m == "gini_eg" else 1.2)
    ax.plot([0, len(c) - 1], [0, 1], color="k", ls="--", lw=0.7, label="all features equal")
    ax.set_xlabel("q least important features")
    ax.set_ylabel("cumulative share of mean |EG|")
    ax.set_title(title, fontsize=9, wrap=True)
    ax.legend(fontsize=7)
    return ax


def tradeoff_scatter(trade: pd.DataFrame, labels: Mapping[str, str], ax=None, title: str = ""):
    """Mean validation ROC-AUC (x) vs mean Gini sparsity (y) per (model, λ), λ points joined per model."""
    ax = ax or plt.subplots(figsize=(5, 3.8))[1]
    for m, sub in trade.groupby("model", sort=False):
        sub = sub.sort_values("lam")
        ax.plot(sub["val_auc"], sub["gini"], marker="o", ms=4, lw=0.8, color=MODEL_COLORS.get(m),
                label=labels.get(m, m))
    ax.set_xlabel("validation ROC-AUC (mean over replicates)")
    ax.set_ylabel("Gini of mean |EG| (mean over replicates)")
    ax.set_title(title, fontsize=9, wrap=True)
    ax.legend(fontsize=7)
    return ax


__all__ = ["bars_with_se", "forest_plot", "lorenz_plot", "tradeoff_scatter", "MODEL_COLORS"]
