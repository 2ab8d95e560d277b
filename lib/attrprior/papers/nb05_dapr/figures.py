"""Figures of notebooks/05_dapr.ipynb (DAPr): accuracy vs number of nuisance features, MSE / AUROC per model,
second-order explanations of the prior model g, partial dependence, and pathway enrichment."""
from __future__ import annotations

import textwrap
from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from attrprior.core.plotting.common import boxplot_by_group, mean_se_lines
from attrprior.core.plotting.layout import MAX_WIDTH, panel_grid, row_starts


def caption(fig, text: str, width: int = 100, fontsize: int = 8) -> None:
    """A wrapped figure title saying which data (real / simulated) and which profile made the figure."""
    fig.suptitle(textwrap.fill(text, width), fontsize=fontsize, wrap=True)
    fig.tight_layout()


def accuracy_vs_p(table: pd.DataFrame, models: Sequence[str], ax=None, title: str = ""):
    """Mean ± SE test accuracy over data sets against p, one line per model (paper Fig. 2)."""
    ps = sorted(table["p"].unique())
    series = {}
    for m in models:
        sub = table[table["model"] == m].pivot(index="dataset", columns="p", values="test_acc")
        series[m] = sub.reindex(columns=ps).to_numpy()
    ax = mean_se_lines(ps, series, ax=ax, xlabel="nuisance features p", ylabel="test accuracy", title=title)
    ax.axhline(0.5, color="grey", lw=0.8, ls=":")
    return ax


def prior_split(table: pd.DataFrame, ax=None, title: str = ""):
    """DAPr's learned predicted importance g(M) of the two moon coordinates vs the nuisance features, against p."""
    sub = table[table["model"] == "DAPr"]
    ps = sorted(sub["p"].unique())
    series = {name: sub.pivot(index="dataset", columns="p", values=col).reindex(columns=ps).to_numpy()
              for name, col in (("moon coordinates", "g_informative"), ("nuisance features", "g_nuisance"))}
    return mean_se_lines(ps, series, ax=ax, xlabel="nuisance features p", ylabel="predicted importance g(M)",
                         title=title)


def model_bars(summary: pd.DataFrame, value: str = "mean", err: str = "se", ax=None, xlabel: str = "",
               title: str = "", highlight: str | None = None):
    """Horizontal bars of a per-model summary (mean ± SE), the best-known model highlighted."""
    ax = ax or plt.subplots(figsize=(5, 3))[1]
    y = np.arange(len(summary))
    colors = ["tab:red" if m == highlight else "tab:blue" for m in summary["model"]]
    ax.barh(y, summary[value], xerr=summary[err], color=colors, alpha=0.8, capsize=3)
    ax.set_yticks(y, summary["model"])
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title, wrap=True)
    return ax


def auroc_boxes(table: pd.DataFrame, models: Sequence[str], ax=None, title: str = ""):
    """Driver-recovery AUROC per model over splits, with the chance level."""
    values = {m: table.loc[table["model"] == m, "auroc"].dropna().to_numpy() for m in models}
    ax = ax or plt.subplots(figsize=(MAX_WIDTH, 3))[1]
    boxplot_by_group(values, ax=ax, ylabel="driver AUROC", title=title)
    ax.axhline(0.5, color="grey", lw=0.8, ls=":")
    ax.tick_params(axis="x", labelrotation=35)
    return ax


def meta_attribution_bars(attr: np.ndarray, names: Sequence[str], predicted: np.ndarray, genes: Sequence[str],
                          n_top: int = 15, title: str = ""):
    """Left: mean |EG of g| per meta-feature over all genes. Right: for the ``n_top`` genes with the largest
    |g(M)|, each meta-feature's signed contribution (paper Fig. 3, left)."""
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(MAX_WIDTH, 7.0), gridspec_kw={"height_ratios": [1, 1.6]})
    mean_abs = np.abs(attr).mean(0)
    a1.barh(np.arange(len(names)), mean_abs, color="tab:purple")
    a1.set_yticks(np.arange(len(names)), names)
    a1.invert_yaxis()
    a1.set_xlabel("mean |EG of g| over genes")
    top = np.argsort(-np.abs(predicted), kind="stable")[:n_top]
    left_pos, left_neg = np.zeros(len(top)), np.zeros(len(top))
    for j, name in enumerate(names):
        v = attr[top, j]
        base = np.where(v >= 0, left_pos, left_neg)
        a2.barh(np.arange(len(top)), v, left=base, label=name)
        left_pos, left_neg = left_pos + np.clip(v, 0, None), left_neg + np.clip(v, None, 0)
    a2.set_yticks(np.arange(len(top)), [genes[i] for i in top], fontsize=7)
    a2.invert_yaxis()
    a2.axvline(0, color="black", lw=0.6)
    a2.set_xlabel("EG contribution to g(m) − E[g]")
    a2.legend(fontsize=7, loc="lower right")
    a1.ticklabel_format(axis="x", style="sci", scilimits=(-2, 2))
    caption(fig, title)
    return fig


def pdp_grid(grids: Mapping[str, np.ndarray], curves: Mapping[str, Mapping[str, np.ndarray]], title: str = ""):
    """One panel per meta-feature: partial dependence of g for each prior model in ``curves``."""
    names = list(grids)
    fig, axes = panel_grid(len(names), 2.45, 2.5)
    for ax, name in zip(axes, names):
        for label, per_feature in curves.items():
            ax.plot(grids[name], per_feature[name], label=label)
        ax.set_title(name, fontsize=9, wrap=True)
        ax.set_xlabel("meta-feature (standardised)", fontsize=7)
    for ax in row_starts(axes):
        ax.set_ylabel("mean g(M)")
    axes[-1].legend(fontsize=7)
    caption(fig, title)
    return fig


def enrichment_summary(tables: Mapping[str, pd.DataFrame], fdr: float, n_terms: int = 12, title: str = ""):
    """Left: number of pathways with adjusted p < ``fdr`` per model (paper Fig. 4, left). Right: −log10 adjusted
    p of the best terms of each model."""
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(MAX_WIDTH, 7.0), gridspec_kw={"height_ratios": [1, 2.2]})
    labels = list(tables)
    counts = [int((t["Adjusted P-value"] < fdr).sum()) if len(t) else 0 for t in tables.values()]
    a1.bar(labels, counts, color=["tab:red", "tab:grey", "tab:blue", "tab:orange", "tab:purple"][: len(labels)])
    a1.set_ylabel(f"pathways with adj. p < {fdr:g}")
    a1.tick_params(axis="x", labelrotation=20)
    rows = []
    for label, t in tables.items():
        for _, r in t.head(n_terms).iterrows():
            rows.append((label, r["Term"], -np.log10(max(float(r["Adjusted P-value"]), 1e-300))))
    if rows:
        terms = list(dict.fromkeys(r[1] for r in rows))
        for k, label in enumerate(labels):
            pts = [(terms.index(t), v) for lab, t, v in rows if lab == label]
            if pts:
                a2.scatter([v for _, v in pts], [i + 0.15 * k for i, _ in pts], label=label, s=18)
        a2.set_yticks(np.arange(len(terms)), [t[:45] for t in terms], fontsize=6)
        a2.invert_yaxis()
        a2.legend(fontsize=7)
    a2.axvline(-np.log10(fdr), color="grey", ls=":", lw=0.8)
    a2.set_xlabel("−log10 adjusted p")
    caption(fig, title)
    return fig
