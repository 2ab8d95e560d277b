"""Figures of notebook 02 (SHAP of VAE latents vs sparse loadings). Every function takes a
``caption`` string that should say which data (simulated) and which profile/scale were used."""
from __future__ import annotations

import textwrap
from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from attrprior.core.plotting.common import mean_se_lines
from attrprior.core.plotting.layout import MAX_WIDTH, fit_width, panel_grid, row_starts


def _suptitle(fig, caption: str) -> None:
    """A figure-wide caption wrapped to the figure's width."""
    if caption:
        fig.suptitle(textwrap.fill(caption, width=max(40, int(fig.get_figwidth() * 15))), fontsize=9, wrap=True)


def poster_histograms(rows: Sequence[tuple[str, np.ndarray, np.ndarray]], on: int = 150, off: int = 600,
                      caption: str = "", bins: int = 30):
    """The poster's Fig. 4: per row (label, attributions of feature ``on``, of feature ``off``) two
    histograms on a shared x axis, so a wider distribution is visibly wider."""
    fig, axes = plt.subplots(len(rows), 2, figsize=(MAX_WIDTH, 2.2 * len(rows) + 0.6), squeeze=False, sharey="row")
    for r, (label, v_on, v_off) in enumerate(rows):
        lim = float(max(np.abs(v_on).max(), np.abs(v_off).max(), 1e-12)) * 1.05
        edges = np.linspace(-lim, lim, bins + 1)
        for c, (feat, v, colour) in enumerate(((on, v_on, "tab:red"), (off, v_off, "tab:blue"))):
            ax = axes[r, c]
            ax.hist(v, bins=edges, color=colour, alpha=0.85)
            ax.set_xlim(-lim, lim)
            ax.set_title(f"{label}: feature {feat} (sd {np.std(v, ddof=1):.3g})", fontsize=9, wrap=True)
            ax.set_xlabel("SHAP value of the latent matched to factor 1", fontsize=8)
        axes[r, 0].set_ylabel("samples")
    _suptitle(fig, caption)
    fig.tight_layout()
    return fig


def loading_heatmaps(true_L: np.ndarray, panels: Mapping[str, np.ndarray], caption: str = ""):
    """True |L| (features × factors) beside each method's estimate (already permuted so column j is
    the latent/component matched to factor j), each column scaled to max 1."""
    mats = {"true |L|": np.abs(true_L), **panels}
    fig, axes = plt.subplots(1, len(mats), figsize=(fit_width(2.1 * len(mats) + 1.2), 4.6), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, (name, mat) in zip(axes, mats.items()):
        mat = np.asarray(mat, dtype=float)
        mat = mat / np.maximum(mat.max(0, keepdims=True), 1e-300)
        im = ax.imshow(mat, aspect="auto", cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(textwrap.fill(name, 14), fontsize=8, wrap=True)
        ax.set_xticks(range(mat.shape[1]), [str(j + 1) for j in range(mat.shape[1])], fontsize=7)
        ax.set_xlabel("factor", fontsize=8)
    axes[0].set_ylabel("feature")
    fig.subplots_adjust(top=0.8)
    fig.colorbar(im, ax=list(axes), shrink=0.8, label="column-scaled |loading| / mean |SHAP|")
    _suptitle(fig, caption)
    return fig


def auroc_bars(scores: pd.DataFrame, methods: Sequence[str], labels: Mapping[str, str] | None = None,
               metric: str = "auroc", threshold: float | None = None, caption: str = "", ax=None):
    """Grouped bars: mean ``metric`` per factor and method over seeds, ±1 SE, seeds as dots."""
    labels = labels or {}
    ax = ax or plt.subplots(figsize=(MAX_WIDTH, 3.4))[1]
    factors = sorted(scores["factor"].unique())
    width = 0.8 / len(methods)
    for i, method in enumerate(methods):
        sub = scores[scores["method"] == method]
        x = np.arange(len(factors)) + (i - (len(methods) - 1) / 2) * width
        per = [sub.loc[sub["factor"] == f, metric].to_numpy() for f in factors]
        mean = np.array([v.mean() for v in per])
        se = np.array([v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else 0.0 for v in per])
        ax.bar(x, mean, width, yerr=se, capsize=2, label=labels.get(method, method), alpha=0.85)
        for xi, v in zip(x, per):
            ax.scatter(np.full(len(v), xi), v, s=8, color="k", zorder=3)
    if threshold is not None:
        ax.axhline(threshold, color="k", ls="--", lw=1, label=f"threshold {threshold:g}")
    ax.set_xticks(range(len(factors)), [f"factor {f}" for f in factors])
    ax.set_ylabel(metric.upper())
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7, ncol=3, loc="lower right")
    ax.set_title(textwrap.fill(caption, 100), fontsize=9, wrap=True)
    return ax


def match_heatmap(abs_corr: np.ndarray, latent_of: np.ndarray, title: str = "", ax=None):
    """|corr(latent, factor)| with the Hungarian assignment boxed."""
    ax = ax or plt.subplots(figsize=(3.2, 3))[1]
    ax.imshow(abs_corr, cmap="magma", vmin=0, vmax=1)
    for j, lat in enumerate(latent_of):
        ax.add_patch(plt.Rectangle((j - 0.5, lat - 0.5), 1, 1, fill=False, ec="cyan", lw=2))
    for (i, j), v in np.ndenumerate(abs_corr):
        ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6, color="w" if v < 0.6 else "k")
    ax.set_xticks(range(abs_corr.shape[1]), [str(j + 1) for j in range(abs_corr.shape[1])])
    ax.set_yticks(range(abs_corr.shape[0]))
    ax.set_xlabel("true factor")
    ax.set_ylabel("latent / component")
    ax.set_title(title, fontsize=8, wrap=True)
    return ax


def agreement_scatter(imp_a: np.ndarray, imp_b: np.ndarray, rho: np.ndarray, name_a: str, name_b: str,
                      caption: str = ""):
    """Per latent, features' mean |attribution| by two explainers against each other (log–log)."""
    d = imp_a.shape[0]
    fig, axes = panel_grid(d, 2.4, 2.6)
    for j, ax in enumerate(axes):
        ax.scatter(imp_a[j], imp_b[j], s=3, alpha=0.5)
        lo = max(min(imp_a[j].min(), imp_b[j].min()), 1e-12)
        hi = max(imp_a[j].max(), imp_b[j].max())
        ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"latent {j}: ρ = {rho[j]:.3f}", fontsize=8, wrap=True)
        ax.set_xlabel(name_a, fontsize=7)
    for ax in row_starts(axes):
        ax.set_ylabel(name_b, fontsize=7)
    _suptitle(fig, caption)
    fig.tight_layout()
    return fig


def sweep_panels(axes_data: Mapping[str, tuple[Sequence[float], Mapping[str, np.ndarray]]], ylabel: str = "AUROC",
                 threshold: float | None = None, caption: str = ""):
    """One ``mean_se_lines`` panel per swept simulator argument."""
    fig, axes = panel_grid(len(axes_data), 3.7, 3.2)
    for ax, (axis, (xs, series)) in zip(axes, axes_data.items()):
        mean_se_lines(xs, series, ax=ax, xlabel=axis, ylabel=ylabel, title=f"sweep over {axis}")
        if threshold is not None:
            ax.axhline(threshold, color="k", ls=":", lw=0.8)
    _suptitle(fig, caption)
    fig.tight_layout()
    return fig


__all__ = ["agreement_scatter", "auroc_bars", "loading_heatmaps", "match_heatmap", "poster_histograms",
           "sweep_panels"]
