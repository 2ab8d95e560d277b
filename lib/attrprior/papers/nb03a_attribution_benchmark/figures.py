"""Figures of the attribution benchmark (notebook 03a): metric curves, paper vs measured, ranks."""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from attrprior.core.plotting.layout import MAX_WIDTH, panel_grid, row_starts

METHOD_COLORS = {"expected_gradients": "tab:red", "integrated_gradients": "tab:blue", "gradients": "tab:green",
                 "random": "tab:gray"}


def metric_curves(curves: Mapping[tuple, tuple[np.ndarray, np.ndarray]], key: str, codes: Sequence[str],
                  methods: Sequence[str], labels: Mapping[str, str] | None = None,
                  titles: Mapping[str, str] | None = None, suptitle: str = ""):
    """One panel per metric: the oriented curve vs the fraction of features, mean over seeds ± SE per method.
    ``curves`` maps ``(key, seed, method, code)`` to ``(counts, values)``."""
    fig, axes = panel_grid(len(codes), 2.45, 2.5, layout="constrained")
    for ax, code in zip(axes, codes):
        for method in methods:
            runs = [v for (k, _, m, c), v in curves.items() if k == key and m == method and c == code]
            if not runs:
                continue
            counts = runs[0][0]
            vals = np.stack([r[1] for r in runs])
            mean = vals.mean(0)
            se = vals.std(0, ddof=1) / np.sqrt(len(runs)) if len(runs) > 1 else np.zeros_like(mean)
            frac = counts / counts[-1]
            ax.plot(frac, mean, marker="o", ms=3, color=METHOD_COLORS.get(method),
                    label=(labels or {}).get(method, method))
            ax.fill_between(frac, mean - se, mean + se, color=METHOD_COLORS.get(method), alpha=0.2)
        ax.set_title((titles or {}).get(code, code), fontsize=9, wrap=True)
        ax.set_xlabel("fraction of features kept / removed")
    for ax in row_starts(axes):
        ax.set_ylabel("metric (larger = better)")
    axes[-1].legend(fontsize=7)
    fig.suptitle(suptitle, fontsize=10, wrap=True)
    return fig


def paper_vs_measured(ours: Mapping[str, pd.DataFrame], paper: Mapping[str, pd.DataFrame],
                      labels: Mapping[str, str] | None = None, titles: Mapping[str, str] | None = None,
                      suptitle: str = ""):
    """Scatter of every (method, metric) cell: the paper's value (x) against ours (y), one panel per data set."""
    keys = list(ours)
    fig, axes = panel_grid(len(keys), 3.7, 3.4, layout="constrained")
    for ax, key in zip(axes, keys):
        mine, theirs = ours[key], paper[key]
        lo = min(mine.min().min(), theirs.min().min()) - 0.1
        hi = max(mine.max().max(), theirs.max().max()) + 0.1
        ax.plot([lo, hi], [lo, hi], color="k", lw=0.7, ls="--")
        for method in mine.index:
            ax.scatter(theirs.loc[method, mine.columns], mine.loc[method], s=16, color=METHOD_COLORS.get(method),
                       label=(labels or {}).get(method, method), alpha=0.8)
        ax.set_xlabel("paper (Erion et al.)")
        ax.set_ylabel("this run (mean over seeds)")
        ax.set_title((titles or {}).get(key, key), fontsize=9, wrap=True)
    axes[0].legend(fontsize=7)
    fig.suptitle(suptitle, fontsize=10, wrap=True)
    return fig


def rank_heatmap(ranks: Mapping[str, pd.DataFrame], labels: Mapping[str, str] | None = None,
                 titles: Mapping[str, str] | None = None, suptitle: str = ""):
    """Methods × metrics heat map of the rank (1 = best), one panel per data set, ranks written in cells."""
    keys = list(ranks)
    fig, axes = plt.subplots(len(keys), 1, figsize=(MAX_WIDTH, 1.6 + 1.1 * len(keys) * 1.4), squeeze=False,
                             layout="constrained")
    for ax, key in zip(axes[:, 0], keys):
        r = ranks[key]
        im = ax.imshow(r.to_numpy(dtype=float), cmap="RdYlGn_r", vmin=1, vmax=len(r.index), aspect="auto")
        ax.set_xticks(range(r.shape[1]), r.columns, fontsize=8)
        ax.set_yticks(range(r.shape[0]), [(labels or {}).get(m, m) for m in r.index], fontsize=8)
        for i in range(r.shape[0]):
            for j in range(r.shape[1]):
                ax.text(j, i, f"{r.iat[i, j]:.3g}", ha="center", va="center", fontsize=7)
        ax.set_title((titles or {}).get(key, key), fontsize=9, wrap=True)
    fig.colorbar(im, ax=axes[:, 0].tolist(), label="rank (1 = best)", shrink=0.8)
    fig.suptitle(suptitle, fontsize=10, wrap=True)
    return fig


def paired_difference_bars(scores: pd.DataFrame, a: str, b: str, keys: Sequence[str], codes: Sequence[str],
                           titles: Mapping[str, str] | None = None, suptitle: str = ""):
    """Per metric: mean over seeds of score(a) − score(b) with ±1 SE bars (positive = ``a`` better).
    ``scores`` is the long table of :func:`attrprior.papers.nb03a_attribution_benchmark.experiment.run_benchmark`."""
    fig, axes = plt.subplots(len(keys), 1, figsize=(MAX_WIDTH, 2.3 * len(keys)), squeeze=False, layout="constrained")
    for ax, key in zip(axes[:, 0], keys):
        sub = scores[scores["key"] == key].pivot_table(index=["seed", "metric"], columns="method", values="value")
        diff = (sub[a] - sub[b]).unstack("metric").reindex(columns=list(codes))
        mean = diff.mean(0)
        se = diff.std(0, ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else 0 * mean
        ax.bar(range(len(codes)), mean, yerr=se, capsize=2,
               color=["tab:red" if v > 0 else "tab:blue" for v in mean])
        ax.axhline(0, color="k", lw=0.7)
        ax.set_xticks(range(len(codes)), codes, fontsize=8)
        ax.set_ylabel(f"{a[:2].upper()} − {b[:2].upper()}")
        ax.set_title((titles or {}).get(key, key), fontsize=9, wrap=True)
    fig.suptitle(suptitle, fontsize=10, wrap=True)
    return fig


__all__ = ["metric_curves", "paired_difference_bars", "paper_vs_measured", "rank_heatmap", "METHOD_COLORS"]
