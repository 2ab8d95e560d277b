"""Figures for image attribution priors: attribution-map comparisons, noise-robustness curves and the
TV–accuracy trade-off over λ (Erion et al. Fig. 1 / Supplement Figs. 5–6)."""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from attrprior.core.plotting.layout import MAX_WIDTH, panel_grid
from .verdicts import PAPER_MNIST_ACCURACY


def _to_hw(img: np.ndarray) -> np.ndarray:
    img = np.asarray(img, dtype=float)
    return img.sum(0) if img.ndim == 3 else img  # channels summed for display


def attribution_comparison(images: np.ndarray, maps: Mapping[str, np.ndarray], titles: Sequence[str] = (),
                           suptitle: str = "", size: float = 1.4):
    """Row 0: the input images (grey); one further row per model: its attribution maps on a diverging
    colour map centred at 0, scaled per map (red = pushes towards the explained class)."""
    n, rows = len(images), 1 + len(maps)
    size = min(size, (MAX_WIDTH - 1.2) / n)
    fig, axes = plt.subplots(rows, n, figsize=(size * n + 1.2, size * rows + 0.4), squeeze=False)
    for j in range(n):
        axes[0, j].imshow(_to_hw(images[j]), cmap="gray")
        if j < len(titles):
            axes[0, j].set_title(titles[j], fontsize=8, wrap=True)
    for r, (label, m) in enumerate(maps.items(), start=1):
        for j in range(n):
            a = _to_hw(m[j])
            lim = float(np.abs(a).max()) or 1.0
            axes[r, j].imshow(a, cmap="RdBu_r", vmin=-lim, vmax=lim)
        axes[r, 0].text(-0.08, 0.5, label, transform=axes[r, 0].transAxes, ha="right", va="center", fontsize=8)
    axes[0, 0].text(-0.08, 0.5, "input", transform=axes[0, 0].transAxes, ha="right", va="center", fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    if suptitle:
        fig.suptitle(suptitle, fontsize=9, wrap=True)
    fig.tight_layout()
    return fig


def noise_curves(sigmas: Sequence[float], series: Mapping[str, np.ndarray], ax=None, title: str = "",
                 xlabel: str = "σ of added Gaussian noise", ylabel: str = "test accuracy"):
    """Mean ± sd over seeds of accuracy vs noise σ; each series is ``[n_seeds, len(sigmas)]``."""
    ax = ax or plt.subplots(figsize=(5, 3.4))[1]
    for i, (name, arr) in enumerate(series.items()):
        arr = np.atleast_2d(np.asarray(arr, dtype=float))
        mean = arr.mean(0)
        sd = arr.std(0, ddof=1) if arr.shape[0] > 1 else np.zeros_like(mean)
        x = np.asarray(sigmas, float) + (i - (len(series) - 1) / 2) * 0.004  # tiny dodge so bars stay visible
        ax.errorbar(x, mean, yerr=sd, marker="o", ms=3, capsize=2, label=f"{name} (n={arr.shape[0]})")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9, wrap=True)
    ax.legend(fontsize=7)
    return ax


def tradeoff_panels(sweeps: Mapping[str, dict], suptitle: str = "", tolerance: float | None = None):
    """One panel per attribution method: accuracy (left axis) and mean TV of the penalised attribution
    (right axis) against λ, baseline as dashed lines and the selected λ marked. Each sweep is
    ``{'lam': [...], 'acc': [...], 'tv': [...], 'base_acc': a, 'base_tv': t, 'selected': λ, 'tv_label': s}``."""
    fig, axes = panel_grid(len(sweeps), 3.7, 3.2)
    for ax, (name, s) in zip(axes, sweeps.items()):
        lam = np.asarray(s["lam"], float)
        ax.plot(lam, s["acc"], "o-", color="C0", label="accuracy")
        ax.axhline(s["base_acc"], color="C0", ls="--", lw=1, label="baseline accuracy")
        if tolerance is not None:
            ax.axhspan(s["base_acc"] - tolerance, s["base_acc"], color="C0", alpha=0.08)
        ax.set_xscale("log")
        ax.set_xlabel("λ")
        ax.set_ylabel("validation accuracy", color="C0")
        ax2 = ax.twinx()
        ax2.plot(lam, s["tv"], "s-", color="C3", label="TV")
        ax2.axhline(s["base_tv"], color="C3", ls="--", lw=1)
        ax2.set_ylabel(s.get("tv_label", "mean TV of standardised maps"), color="C3", fontsize=8)
        if s.get("selected") is not None:
            ax.axvline(s["selected"], color="k", lw=0.8, ls=":")
        ax.set_title(name, fontsize=9, wrap=True)
    if suptitle:
        fig.suptitle(suptitle, fontsize=9, wrap=True)
    fig.tight_layout()
    return fig


METHOD_LABELS = {"baseline": "baseline", "expected_gradients": "EG prior", "gradients": "gradient prior"}


def noise_series(noise: pd.DataFrame, sigmas: Sequence[float] | None = None,
                 seeds: Sequence[int] | None = None) -> dict[str, np.ndarray]:
    """Accuracy arrays ``[n_seeds, n_sigmas]`` per method of a noise table (columns method, seed, sigma, acc),
    keyed by the readable labels of ``METHOD_LABELS``; methods the table lacks are left out."""
    sigmas = list(sigmas) if sigmas is not None else sorted(noise.sigma.unique())
    series = {}
    for m, label in METHOD_LABELS.items():
        table = noise[noise.method == m].pivot(index="seed", columns="sigma", values="acc")
        if len(table):
            series[label] = table.loc[list(seeds) if seeds is not None else table.index, sigmas].to_numpy()
    return series


def committed_noise_panel(noise: pd.DataFrame, final: pd.DataFrame, title: str = ""):
    """Accuracy under Gaussian noise, mean ± sd over seeds, of a committed run's final models (its
    ``noise_accuracy`` and ``final_models`` tables), with the baseline's clean accuracy beside the paper's."""
    sigmas = sorted(noise.sigma.unique())
    series = noise_series(noise, sigmas)
    base = final.loc[final.method == "baseline", "test_acc"]
    paper = PAPER_MNIST_ACCURACY["baseline"]
    ax = noise_curves(sigmas, series, title=f"{title}\nbaseline clean test accuracy {base.mean():.4f} ± "
                      f"{base.std(ddof=1) if len(base) > 1 else 0:.4f} over {len(base)} seed(s); paper: "
                      f"{paper} (Supplement Fig. 6 caption)")
    ax.axhline(paper, color="grey", lw=0.8, ls=":", label="paper's baseline, σ = 0")
    ax.legend(fontsize=7)
    return ax


__all__ = ["METHOD_LABELS", "attribution_comparison", "committed_noise_panel", "noise_curves", "noise_series",
           "tradeoff_panels"]
