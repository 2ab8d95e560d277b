"""Figure helpers used by several notebooks (boxplots per setting, image grids, mean ± SE lines, forest plots of
paired differences)."""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from .layout import MAX_WIDTH


def boxplot_by_group(values: Mapping[str, Sequence[float]], ax=None, ylabel: str = "", title: str = "",
                     points: bool = True):
    """One box per group (e.g. per λ) with the individual runs (seeds) drawn on top."""
    ax = ax or plt.subplots(figsize=(4, 3))[1]
    labels = list(values)
    data = [np.asarray(values[k], dtype=float) for k in labels]
    ax.boxplot(data, showfliers=False)
    ax.set_xticks(range(1, len(labels) + 1), labels)
    if points:
        for i, d in enumerate(data, start=1):
            ax.scatter(np.full(len(d), i) + np.linspace(-0.08, 0.08, len(d)), d, s=12, alpha=0.7, zorder=3)
    ax.set_ylabel(ylabel)
    ax.set_title(title, wrap=True)
    return ax


def image_grid(images: np.ndarray, nrows: int, ncols: int, titles: Sequence[str] | None = None,
               cmap: str = "gray", symmetric: bool = False, figsize_per: float = 1.3, row_labels=None):
    """Show ``images`` ([n, H, W]) in a grid; ``symmetric`` centres a diverging colour map on 0. Cells shrink so
    the grid fits the book's column (:data:`attrprior.core.plotting.layout.MAX_WIDTH`)."""
    figsize_per = min(figsize_per, MAX_WIDTH / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(figsize_per * ncols, figsize_per * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= len(images):
            continue
        img = np.asarray(images[i])
        if symmetric:
            lim = float(np.abs(img).max()) or 1.0
            ax.imshow(img, cmap="RdBu_r", vmin=-lim, vmax=lim)
        else:
            ax.imshow(img, cmap=cmap)
        if titles is not None and i < len(titles):
            ax.set_title(titles[i], fontsize=8, wrap=True)
    if row_labels is not None:
        for r, label in enumerate(row_labels):
            axes[r, 0].text(-0.1, 0.5, label, transform=axes[r, 0].transAxes, ha="right", va="center", fontsize=8)
    fig.tight_layout()
    return fig


def mean_se_lines(x: Sequence[float], series: Mapping[str, np.ndarray], ax=None, xlabel: str = "",
                  ylabel: str = "", title: str = "", logx: bool = False):
    """Lines of the mean over runs with ±1 standard-error bands; each series is ``[n_runs, len(x)]``."""
    ax = ax or plt.subplots(figsize=(4.5, 3))[1]
    for name, arr in series.items():
        arr = np.atleast_2d(np.asarray(arr, dtype=float))
        mean = np.nanmean(arr, 0)
        se = np.nanstd(arr, 0, ddof=1) / np.sqrt(arr.shape[0]) if arr.shape[0] > 1 else np.zeros_like(mean)
        ax.errorbar(x, mean, yerr=se, label=name, marker="o", ms=3, capsize=2)
    if logx:
        ax.set_xscale("symlog", linthresh=min(v for v in x if v > 0) if any(v > 0 for v in x) else 1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, wrap=True)
    ax.legend(fontsize=7)
    return ax


def forest_plot(rows: Mapping[str, object], ax=None, title: str = "", xlabel: str = "paired difference"):
    """One row per comparison: its mean paired difference with the 95 % CI (``Evidence.effect`` / ``.ci``), the
    p-value written beside it; a missing comparison (fewer than two replicates) is left empty."""
    ax = ax or plt.subplots(figsize=(MAX_WIDTH, 0.5 * len(rows) + 1.2), layout="constrained")[1]
    for i, (label, ev) in enumerate(rows.items()):
        if ev is None:
            continue
        lo, hi = ev.ci if ev.ci is not None else (ev.effect, ev.effect)
        colour = "tab:red" if ev.significant() else "tab:gray"
        ax.errorbar(ev.effect, i, xerr=[[ev.effect - lo], [hi - ev.effect]], fmt="o", color=colour, capsize=3)
        p = "p n/a" if ev.p_value is None else ("p < 1e-4" if ev.p_value < 1e-4 else f"p = {ev.p_value:.2g}")
        ax.annotate(p, (hi, i), xytext=(4, 0), textcoords="offset points", va="center", fontsize=7)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_yticks(range(len(rows)), list(rows), fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=9, wrap=True)
    return ax
