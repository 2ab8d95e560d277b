"""Figures of notebook 04 (supervised VAE): Table 1 beside the paper, invariance curves (Fig. 2),
diversity, invariant samples and traversals (Fig. 3), attribution maps (Figs. 4-6), counterfactuals (Fig. 7)."""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from attrprior.core.plotting.common import image_grid, mean_se_lines
from attrprior.core.plotting.layout import MAX_WIDTH, panel_grid


def _img(t) -> np.ndarray:
    """[C, H, W] / [H, W] tensor or array → [H, W] (channel mean) or [H, W, 3] for colour."""
    a = t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)
    if a.ndim == 3:
        a = a[0] if a.shape[0] == 1 else np.clip(a.transpose(1, 2, 0), 0, 1)
    return a


def table1_figure(measured: pd.DataFrame, paper: Mapping[str, tuple[float, float]], title: str = ""):
    """Two panels (R, accuracy): bars = mean over seeds with ±1 sd (points: seeds); diamonds = the paper.
    ``measured`` has columns model, R, accuracy (one row per seed); ``paper[model] = (R, accuracy %)``."""
    models = list(dict.fromkeys(measured["model"]))
    fig, axes = plt.subplots(1, 2, figsize=(MAX_WIDTH, 3.4), layout="constrained")
    for ax, col, j, lab in ((axes[0], "R", 0, "reconstruction term R (nats / image)"),
                            (axes[1], "accuracy", 1, "test accuracy (%)")):
        g = measured.groupby("model", sort=False)[col]
        mean, sd = g.mean().reindex(models), g.std(ddof=1).reindex(models).fillna(0)
        pos = np.arange(len(models))
        ax.bar(pos, mean.values, yerr=sd.values, color=["C0" if m.startswith("SVAE") else "C1" for m in models],
               alpha=0.7, capsize=3, label="measured (mean ± sd)")
        for i, m in enumerate(models):
            vals = measured.loc[measured["model"] == m, col].values
            ax.scatter(np.full(len(vals), i), vals, s=10, color="k", zorder=3)
        pv = [paper.get(m, (np.nan, np.nan))[j] for m in models]
        ax.scatter(pos, pv, marker="D", color="C3", zorder=4, label="paper (Table 1)")
        ax.set_xticks(pos, models, rotation=30, ha="right", fontsize=7)
        ax.set_ylabel(lab)
        ax.legend(fontsize=7)
    axes[1].set_ylim(max(0, np.nanmin(np.r_[measured["accuracy"].values, 100]) - 10), 100)
    fig.suptitle(title, fontsize=9, wrap=True)
    return fig


def learning_curves_figure(histories: Mapping[str, pd.DataFrame], title: str = ""):
    """Held-out accuracy after each epoch (``val_accuracy``) and the training terms of each model."""
    fig, axes = plt.subplots(1, 2, figsize=(MAX_WIDTH, 3.2), layout="constrained")
    for label, h in histories.items():
        ls = "-" if label.startswith("SVAE") else "--"
        axes[0].plot(h["epoch"] + 1, h["val_accuracy"], ls=ls, marker="o", ms=3, label=label)
        if "kl_sufficiency" in h:
            axes[1].plot(h["epoch"] + 1, h["kl_sufficiency"], ls=ls, marker="o", ms=3, label=label)
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("held-out accuracy (%)")
    axes[0].legend(fontsize=7)
    axes[1].set_xlabel("epoch")
    axes[1].set_ylabel("KL[q(z|x,y) ‖ q(z|x)] (Eq. 6d, train)")
    axes[1].set_yscale("log")
    fig.suptitle(title, fontsize=9, wrap=True)
    return fig


def invariance_figure(sigmas: Sequence[float], curves: Mapping[str, np.ndarray], title: str = "",
                      sigma_max: float = 2.0):
    """Fig. 2: fraction keeping the label vs σ; SVAE configurations left, SemiVAE right.
    ``curves[label]`` is ``[n_seeds, len(sigmas)]``; lines are means with ±1 SE bands over seeds."""
    fig, axes = plt.subplots(1, 2, figsize=(MAX_WIDTH, 3.4), sharey=True, layout="constrained")
    for ax, prefix, name in ((axes[0], "SVAE", "(a) SVAE"), (axes[1], "SemiVAE", "(b) SemiVAE")):
        sel = {k: v for k, v in curves.items() if k.startswith(prefix + " ")}
        if prefix == "SVAE":  # the SemiVAE curves again, faint, for a direct comparison
            for k, v in curves.items():
                if k.startswith("SemiVAE "):
                    ax.plot(sigmas, np.atleast_2d(v).mean(0), color="0.6", ls="--", lw=1, label=f"{k} (as in b)")
        mean_se_lines(sigmas, sel, ax=ax, xlabel="σ of the resampled nuisance units",
                      ylabel="fraction keeping the label", title=name)
        ax.axvspan(min(sigmas), sigma_max, color="0.9", zorder=0)
        ax.set_ylim(0, 1.02)
    fig.suptitle(title, fontsize=9, wrap=True)
    return fig


def diversity_figure(table: pd.DataFrame, title: str = ""):
    """L2 distance of invariant samples to the original image (the paper's measure) and to the
    model's own reconstruction, vs σ, one line per model. ``table``: model, sigma, l2_original,
    l2_reconstruction, kept."""
    fig, axes = panel_grid(3, 3.7, 3.0, layout="constrained")
    for ax, col, lab in ((axes[0], "l2_original", "‖x̃ − x‖₂ (paper)"),
                         (axes[1], "l2_reconstruction", "‖x̃ − x̂‖₂ (without recon. error)"),
                         (axes[2], "kept", "fraction keeping the label")):
        for m, g in table.groupby("model", sort=False):
            g = g.groupby("sigma")[col].mean()
            ax.plot(g.index, g.values, marker="o", ms=3, label=m, ls="-" if m.startswith("SVAE") else "--")
        ax.set_xlabel("σ")
        ax.set_ylabel(lab)
    axes[0].legend(fontsize=6)
    fig.suptitle(title, fontsize=9, wrap=True)
    return fig


def samples_figure(originals, samples, kept, title: str = ""):
    """One row per original: the original, then its transformed samples (✓ = kept the label)."""
    B, n = samples.shape[:2]
    imgs, titles = [], []
    for b in range(B):
        imgs.append(_img(originals[b]))
        titles.append("original")
        for j in range(n):
            imgs.append(_img(samples[b, j]))
            titles.append("✓" if bool(kept[b, j]) else "✗ label changed")
    fig = image_grid(np.array(imgs), B, n + 1, titles=titles, figsize_per=1.1)
    fig.suptitle(title, fontsize=9, wrap=True)
    fig.tight_layout()
    return fig


def traversal_figure(grid, steps: Sequence[float], dims: tuple[int, int], title: str = ""):
    """Fig. 3: decoded images over a grid of two nuisance units (original code at the centre)."""
    n = grid.shape[0]
    fig = image_grid(np.array([_img(grid[i, j]) for i in range(n) for j in range(n)]), n, n, figsize_per=0.9,
                     row_labels=[f"z2[{dims[0]}]{s:+.1f}" for s in steps])
    fig.suptitle(title + f"\ncolumns: z2[{dims[1]}] shifted by " + ", ".join(f"{s:+.1f}" for s in steps), fontsize=8, wrap=True)
    fig.tight_layout()
    return fig


def maps_figure(images, maps: Mapping[str, np.ndarray], title: str = "", symmetric: bool = True):
    """Rows = images; columns = the image and each attribution map (diverging colours centred on 0)."""
    names = list(maps)
    B = len(images)
    cell = min(1.6, MAX_WIDTH / (len(names) + 1))
    fig, axes = plt.subplots(B, len(names) + 1, figsize=(cell * (len(names) + 1), (cell + 0.1) * B + 0.4),
                             squeeze=False)
    for b in range(B):
        axes[b, 0].imshow(_img(images[b]), cmap="gray")
        for j, name in enumerate(names, start=1):
            m = np.asarray(maps[name][b])
            m = m.sum(0) if m.ndim == 3 else m
            lim = float(np.abs(m).max()) or 1.0
            axes[b, j].imshow(m, cmap="RdBu_r" if symmetric else "magma",
                              vmin=-lim if symmetric else 0, vmax=lim)
            if b == 0:
                axes[b, j].set_title(name, fontsize=8, wrap=True)
    for ax in axes.flat:
        ax.axis("off")
    axes[0, 0].set_title("input", fontsize=8, wrap=True)
    fig.suptitle(title, fontsize=9, wrap=True)
    fig.tight_layout()
    return fig


def kl_figure(original, transformed, attr_k1, attr_k2, d1, d2, title: str = ""):
    """Figs. 5-6: the original, invariant samples x̃, and GradientShap of Eq. (9) for k = 2 (nuisance) and
    k = 1 (class units), each titled with d(x, x̃)."""
    n = len(transformed)
    fig, axes = plt.subplots(3, n + 1, figsize=(min(1.7 * (n + 1), MAX_WIDTH), 5.4), squeeze=False)
    axes[0, 0].imshow(_img(original), cmap="gray")
    axes[0, 0].set_title("original x", fontsize=8, wrap=True)
    for r, (attr, d, k) in enumerate(((None, None, None), (attr_k2, d2, 2), (attr_k1, d1, 1))):
        for j in range(n):
            ax = axes[r, j + 1]
            if attr is None:
                ax.imshow(_img(transformed[j]), cmap="gray")
                ax.set_title(f"x̃{j + 1}", fontsize=8, wrap=True)
            else:
                m = np.asarray(attr[j]).sum(0)
                lim = float(np.abs(m).max()) or 1.0
                ax.imshow(m, cmap="RdBu_r", vmin=-lim, vmax=lim)
                ax.set_title(f"k={k}: d={float(d[j]):.3g}", fontsize=8, wrap=True)
        if r:
            axes[r, 0].text(0.5, 0.5, f"GradientShap of\nEq. 9, k = {k}", ha="center", va="center", fontsize=8)
    for ax in axes.flat:
        ax.axis("off")
    fig.suptitle(title, fontsize=9, wrap=True)
    fig.tight_layout()
    return fig


def counterfactual_figure(originals, images, predicted, t, title: str = ""):
    """Fig. 7: per original (row), the counterfactual decoded toward each class c (columns 0..K-1),
    titled with its new prediction and the step t along the way to c's centroid."""
    B, K = predicted.shape
    imgs, titles = [], []
    for b in range(B):
        imgs.append(_img(originals[b]))
        titles.append("original")
        for c in range(K):
            imgs.append(_img(images[b, c]))
            titles.append(f"→{c}: pred {int(predicted[b, c])}\nt={float(t[b, c]):.1f}")
    fig = image_grid(np.array(imgs), B, K + 1, titles=titles, figsize_per=1.05)
    fig.suptitle(title, fontsize=9, wrap=True)
    fig.tight_layout()
    return fig


__all__ = ["counterfactual_figure", "diversity_figure", "invariance_figure", "learning_curves_figure", "kl_figure", "maps_figure",
           "samples_figure", "table1_figure", "traversal_figure"]
