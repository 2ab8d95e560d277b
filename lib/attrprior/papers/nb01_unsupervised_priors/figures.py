"""Figures for latent-saliency experiments (notebook 01): metric boxplots per λ, saliency maps per
latent, the reconstruction-vs-metric trade-off and the effect of λ under two gradient modes."""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from attrprior.core.plotting.common import boxplot_by_group, mean_se_lines
from attrprior.core.plotting.layout import MAX_WIDTH, panel_grid

LABELS = {
    "recon": "reconstruction error (BCE / image)", "tv": "saliency TV / image", "tv_rel": "TV / total saliency",
    "entropy": "attribution entropy (nats)", "pearson": "Pearson correlation", "top_share": "top latent share",
    "kl": "KL / image", "mu_rms": "RMS of μ", "active_latents": "active latents per pixel",
}


SHORT_NAMES = {"total_variation": "TV", "entropy": "entropy", "pearson": "Pearson", "beta_vae": "β-VAE",
               "beta_tcvae": "β-TCVAE"}  # priors and disentangling losses, as figure labels


def _fmt(lam: float) -> str:
    return f"{lam:g}"


def grouped_boxplots(groups: Mapping[str, pd.DataFrame], metrics: Sequence[str], title: str = "",
                     xlabel: str = "", panel_width: float = 3.4):
    """One panel per metric, one box per group (its ok runs, one point per seed)."""
    if not groups:
        raise ValueError("grouped_boxplots needs at least one group")
    fig, axes = panel_grid(len(metrics), panel_width, 3.2)
    for ax, metric in zip(axes, metrics):
        values = {k: rows.loc[rows.status == "ok", metric].tolist() for k, rows in groups.items()}
        boxplot_by_group(values, ax=ax, ylabel=LABELS.get(metric, metric))
        ax.set_xlabel(xlabel)
        ax.tick_params(axis="x", labelsize=7)
    fig.suptitle(title, fontsize=9, wrap=True)
    fig.tight_layout()
    return fig


def lambda_groups(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """``{"0": baseline rows, "λ\\nmode": rows, ...}`` from per-mode tables that each hold the λ = 0 rows."""
    groups: dict[str, pd.DataFrame] = {}
    for mode, table in tables.items():
        for lam, rows in table.groupby("lam"):
            groups.setdefault("0" if lam == 0 else f"{_fmt(lam)}\n{mode}", rows)
    return dict(sorted(groups.items(), key=lambda kv: (kv[0] != "0", float(kv[0].split("\n")[0]), kv[0])))


def configuration_groups(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """One group of rows per configuration of an :func:`attrprior.papers.nb01_unsupervised_priors.sweep.run_sweep` frame: the λ = 0
    VAE, each prior × λ × mode, each β model (labels fit a box plot's x axis)."""
    groups = {"VAE\nλ=0": frame[frame.kind == "vae"]}
    priors = frame[frame.kind == "prior"]
    present = set(priors.prior)
    for prior in [p for p in SHORT_NAMES if p in present] + sorted(present - set(SHORT_NAMES)):
        for (lam, mode), rows in priors[priors.prior == prior].groupby(["lam", "mode"]):
            groups[f"{SHORT_NAMES.get(prior, prior)} λ={_fmt(lam)}\n{mode}"] = rows
    for kind in ("beta_vae", "beta_tcvae"):
        for beta, rows in frame[frame.kind == kind].groupby("beta"):
            groups[f"{SHORT_NAMES[kind]}\nβ={_fmt(beta)}"] = rows
    return groups


def metric_boxplots(tables: Mapping[str, pd.DataFrame], metrics: Sequence[str], title: str = ""):
    """Boxes per (λ, mode) for each metric; ``tables`` maps a mode to its rows incl. the λ = 0 baselines
    (see :func:`attrprior.papers.nb01_unsupervised_priors.sweep.prior_table`)."""
    if not tables:
        raise ValueError("metric_boxplots needs at least one table")
    return grouped_boxplots(lambda_groups(tables), metrics, title=title, xlabel="λ (mode)")


def saliency_comparison(images: np.ndarray, maps: Mapping[str, np.ndarray], n_show: int, title: str = "",
                        size: float = 1.1):
    """Rows = held-out digits; columns = the input, then each model's d saliency maps.

    ``images``: ``[N, H, W]``; ``maps``: name -> ``[N, d, H, W]``. The d maps of one model for one digit
    share a colour scale (0 to their joint maximum), so a latent that holds little saliency looks dark.
    """
    if not maps:
        raise ValueError("saliency_comparison needs at least one model's maps")
    names = list(maps)
    d = np.asarray(maps[names[0]]).shape[1]
    n = min(n_show, len(images), *(len(m) for m in maps.values()))
    ncols = 1 + d * len(names)
    size = min(size, MAX_WIDTH / ncols)
    fig, axes = plt.subplots(n, ncols, figsize=(size * ncols, size * n + 0.6), squeeze=False)
    for i in range(n):
        axes[i, 0].imshow(np.asarray(images[i]), cmap="gray")
        for k, name in enumerate(names):
            sal = np.asarray(maps[name][i])
            top = float(sal.max()) or 1.0
            for j in range(d):
                axes[i, 1 + k * d + j].imshow(sal[j], cmap="hot", vmin=0.0, vmax=top)
                if i == 0:
                    axes[0, 1 + k * d + j].set_title(f"{name}\nlatent {j + 1}", fontsize=7, wrap=True)
    axes[0, 0].set_title("input", fontsize=7, wrap=True)
    for ax in axes.flat:
        ax.axis("off")
    fig.suptitle(title, fontsize=9, wrap=True)
    fig.tight_layout()
    return fig


def tradeoff(summary: pd.DataFrame, metric: str, ax=None, title: str = "", y: str = "recon_change"):
    """Mean change of reconstruction error vs the same seed's λ = 0 model (%, paired by seed) against
    the mean of ``metric`` per configuration (±1 SD over seeds); one colour per family (prior × mode,
    β-VAE, β-TCVAE), λ or β written next to each point. ``y="recon"`` plots the raw error instead."""
    ax = ax or plt.subplots(figsize=(4.6, 3.6))[1]
    scale = 100.0 if y.endswith("_change") else 1.0
    fam = summary.apply(lambda r: r.kind if r.kind != "prior" else f"{r.prior} ({r['mode']})", axis=1)
    for name in dict.fromkeys(fam):
        rows = summary[fam == name]
        ax.errorbar(rows[f"{metric}_mean"], scale * rows[f"{y}_mean"], xerr=rows[f"{metric}_std"].fillna(0),
                    yerr=scale * rows[f"{y}_std"].fillna(0), fmt="o", ms=4, capsize=2, label=name)
        for _, r in rows.iterrows():
            tag = "" if r.kind == "vae" else (f"λ={_fmt(r.lam)}" if r.kind == "prior" else f"β={_fmt(r.beta)}")
            ax.annotate(tag, (r[f"{metric}_mean"], scale * r[f"{y}_mean"]), fontsize=6, xytext=(3, 3),
                        textcoords="offset points")
    ax.set_xlabel(LABELS.get(metric, metric))
    ax.set_ylabel("reconstruction error change vs λ=0 (%)" if y == "recon_change" else LABELS.get(y, y))
    ax.set_title(title, fontsize=9, wrap=True)
    ax.legend(fontsize=6)
    return ax


def tradeoff_panels(summary: pd.DataFrame, title: str = "", metrics: Sequence[str] = ("tv", "entropy", "pearson")):
    """One :func:`tradeoff` panel per saliency metric (two per row)."""
    fig, axes = panel_grid(len(metrics), 3.7, 3.4)
    for ax, metric in zip(axes, metrics):
        tradeoff(summary, metric, ax=ax)
    fig.suptitle(title, fontsize=9, wrap=True)
    fig.tight_layout()
    return fig


def mode_effects(effects: Mapping[str, Mapping[str, np.ndarray]], lambdas: Mapping[str, Sequence[float]],
                 ylabel: str = "relative change vs λ = 0", title: str = ""):
    """One panel per prior: the relative change of its target metric against λ, one line per mode.

    ``effects[prior][mode]`` is ``[n_seeds, len(lambdas[prior])]``; lines show mean ± SE over seeds.
    """
    fig, axes = panel_grid(len(effects), 3.7, 3.1)
    for ax, (prior, by_mode) in zip(axes, effects.items()):
        mean_se_lines(list(lambdas[prior]), dict(by_mode), ax=ax, xlabel="λ", ylabel=ylabel, title=prior,
                      logx=len(lambdas[prior]) > 1)
        ax.axhline(0, color="grey", lw=0.8, ls=":")
    fig.suptitle(title, fontsize=9, wrap=True)
    fig.tight_layout()
    return fig


__all__ = ["LABELS", "grouped_boxplots", "lambda_groups", "metric_boxplots", "mode_effects", "saliency_comparison", "tradeoff"]
