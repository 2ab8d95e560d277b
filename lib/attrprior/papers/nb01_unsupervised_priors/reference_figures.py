"""Figures for notebook 01's paper-scale grid and the authors' own models: metrics over λ (the paper's Figs. 2 and
4–6, our runs beside the authors'), failure counts, the run-by-run metric agreement and the TV-model audit."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from attrprior.core.plotting.layout import MAX_WIDTH, panel_grid

from .figures import LABELS, SHORT_NAMES
from .reference_claims import METRIC_TOLERANCE, vs_baseline
from .trend_claims import failures, lambda_groups, reference_values

OURS, THEIRS = "#1f77b4", "#d62728"
PRIOR_COLORS = {"vae": "#555555", "entropy": "#2ca02c", "pearson": "#9467bd", "total_variation": "#ff7f0e"}


def _their_groups(reference: pd.DataFrame | None, prior: str, metric: str, lams: Sequence[float]) -> dict:
    if reference is None:
        return {}
    values = {lam: reference_values(reference, prior, metric, lam) for lam in lams}
    return {lam: v for lam, v in values.items() if len(v)}


def _boxes_with_dots(ax, positions, values, color: str, rng: np.random.Generator, label: str, width: float,
                     jitter: float, size: float, label_last: bool = False) -> None:
    """A box per group at ``positions`` and its runs as jittered dots; ``label`` on the first (or last) group."""
    ax.boxplot(values, positions=positions, widths=width, showfliers=False, medianprops={"color": color})
    labelled = len(values) - 1 if label_last else 0
    for j, (x, v) in enumerate(zip(positions, values)):
        ax.scatter(x + rng.uniform(-jitter, jitter, len(v)), v, s=size, color=color, zorder=3,
                   label=label if j == labelled else None)


def lambda_boxplots(frame: pd.DataFrame, prior: str, metrics: Sequence[str], reference: pd.DataFrame | None = None,
                    title: str = "", mode: str = "mu_only"):
    """One panel per metric: our runs per λ (box + one dot per seed) and, where the authors trained the same λ, their
    models evaluated the same way (red diamonds, right of each box). λ = 0 is the shared baseline."""
    fig, axes = panel_grid(len(metrics), 3.7, 3.3)
    rng = np.random.default_rng(0)
    for ax, metric in zip(axes, metrics):
        groups = lambda_groups(frame, prior, metric, mode)
        lams = list(groups)
        theirs = _their_groups(reference, prior, metric, lams)
        pos = np.arange(len(lams))
        _boxes_with_dots(ax, pos - 0.12, [groups[l] for l in lams], OURS, rng, "ours (8,000-image split)",
                         width=0.32, jitter=0.08, size=14)
        for p, lam in zip(pos, lams):
            if lam in theirs:
                ax.scatter(np.full(len(theirs[lam]), p + 0.22), theirs[lam], marker="D", s=16, facecolor="none",
                           edgecolor=THEIRS, zorder=3, label="authors' models" if lam == lams[0] else None)
        ax.set_xticks(pos, [f"{l:g}" for l in lams])
        ax.set_xlabel("λ")
        ax.set_ylabel(LABELS.get(metric, metric))
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8, loc="best")
    fig.suptitle(title or f"{SHORT_NAMES.get(prior, prior)} prior: held-out metrics over λ", fontsize=10, wrap=True)
    fig.tight_layout()
    return fig


def mode_boxplots(frame: pd.DataFrame, metrics: Sequence[str] = ("tv_rel", "tv", "mu_rms", "recon"), title: str = ""):
    """TV prior at each λ where both modes ran: μ-only (left box) beside full second-order (right box) per metric,
    one dot per seed; the λ = 0 baselines first. None when no full-mode TV run is in ``frame``."""
    full = lambda_groups(frame, "total_variation", metrics[0], "full")
    lams = [0.0] + [lam for lam in full if lam > 0]
    if len(lams) < 2:
        return None
    fig, axes = panel_grid(len(metrics), 3.7, 3.3)
    rng = np.random.default_rng(0)
    for ax, metric in zip(axes, metrics):
        for shift, mode, color in ((-0.18, "mu_only", OURS), (0.18, "full", PRIOR_COLORS["total_variation"])):
            groups = lambda_groups(frame, "total_variation", metric, mode)
            shown = [i for i, lam in enumerate(lams) if lam in groups and (lam > 0 or mode == "mu_only")]
            _boxes_with_dots(ax, np.asarray(shown) + shift, [groups[lams[i]] for i in shown], color, rng,
                             {"mu_only": "μ-only", "full": "full"}[mode], width=0.3, jitter=0.06, size=10,
                             label_last=True)
        ax.set_xticks(range(len(lams)), [f"{lam:g}" for lam in lams])
        ax.set_xlabel("λ (0: baseline VAEs)")
        ax.set_title(LABELS.get(metric, metric), fontsize=9)
        ax.grid(axis="y", alpha=0.3)
        if metric == "tv":  # raw TV falls by an order of magnitude: both modes stay readable on a log axis
            ax.set_yscale("log")
    axes[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=10, wrap=True)
    fig.tight_layout()
    return fig


def failure_bars(frame: pd.DataFrame, priors: Sequence[str] = ("entropy", "pearson"), mode: str = "mu_only"):
    """Failed runs (diverged, or saliency collapsed onto one latent) out of those trained, per prior and λ."""
    fig, ax = plt.subplots(figsize=(MAX_WIDTH, 3.2))
    labels, failed, trained, colors = ["λ=0"], [], [], [PRIOR_COLORS["vae"]]
    f0 = failures(frame, None)
    failed.append(f0[0]), trained.append(f0[1])
    for prior in priors:
        for lam in [l for l in lambda_groups(frame, prior, "entropy", mode) if l > 0]:
            f = failures(frame, prior, [lam], mode)
            labels.append(f"{SHORT_NAMES.get(prior, prior)}\nλ={lam:g}")
            failed.append(f[0]), trained.append(f[1]), colors.append(PRIOR_COLORS[prior])
    x = np.arange(len(labels))
    ax.bar(x, trained, color="#dddddd", label="trained")
    ax.bar(x, failed, color=colors, label="failed (collapsed or diverged)")
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_ylabel("runs")
    ax.legend(fontsize=8)
    ax.set_title("Training failures per prior and λ (entropy < 0.1 nats or a diverged loss)", fontsize=10, wrap=True)
    fig.tight_layout()
    return fig


def metric_agreement(table: pd.DataFrame):
    """Our metrics of the authors' models (their protocol) against their metrics.csv, one dot per run."""
    metrics = list(METRIC_TOLERANCE)
    fig, axes = panel_grid(len(metrics), 3.7, 3.5)
    for ax, m in zip(axes, metrics):
        x, y = table[f"{m}_theirs"], table[f"{m}_ours"]
        lo, hi = float(min(x.min(), y.min())), float(max(x.max(), y.max()))
        pad = 0.05 * (hi - lo or 1)
        line = np.array([lo - pad, hi + pad])
        ax.fill_between(line, line - METRIC_TOLERANCE[m], line + METRIC_TOLERANCE[m], color="#cccccc", alpha=0.6,
                        label=f"±{METRIC_TOLERANCE[m]} (tolerance)")
        ax.plot(line, line, color="k", lw=0.8)
        for prior, rows in table.groupby("prior"):
            ax.scatter(rows[f"{m}_theirs"], rows[f"{m}_ours"], s=18, color=PRIOR_COLORS.get(prior),
                       label=SHORT_NAMES.get(prior, "VAE λ=0" if prior == "vae" else prior))
        ax.set_xlabel(f"{LABELS.get(m, m)}: their metrics.csv")
        ax.set_ylabel("ours, on their model")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"Our metrics on the authors' {len(table)} models against their own numbers (10,000 test images)",
                 fontsize=10, wrap=True)
    fig.tight_layout()
    return fig


def tv_audit_plot(audit: pd.DataFrame, ours: pd.DataFrame | None = None):
    """The authors' TV models: raw TV, scale-free TV and RMS(μ) as % change from their λ = 0 baselines, over λ; our
    μ-only runs' mean changes beside them where we have the λ."""
    fig, ax = plt.subplots(figsize=(MAX_WIDTH, 3.6))
    lam = audit.lam.replace(0, np.nan)
    for m, style in (("tv", "o-"), ("tv_rel", "s-"), ("mu_rms", "^-")):
        ax.plot(lam, audit[f"{m} vs baseline %"], style, label=f"authors: {LABELS[m]}")
        if ours is not None and len(ours):
            ax.plot(ours.lam, ours[f"{m} vs baseline %"], style.replace("-", ""), mfc="none", ms=9,
                    label=f"ours: {LABELS[m]}")
    ax.axhline(0, color="k", lw=0.7)
    ax.set_xscale("log")
    ax.set_xlabel("TV prior λ")
    ax.set_ylabel("% change from λ = 0")
    ax.legend(fontsize=7, ncol=2)
    ax.set_title("TV prior: does smoothness survive rescaling μ? (authors' models, our protocol)", fontsize=10, wrap=True)
    fig.tight_layout()
    return fig


def ours_tv_changes(frame: pd.DataFrame, mode: str = "mu_only") -> pd.DataFrame:
    """Our TV-prior runs' mean raw TV, scale-free TV and RMS(μ) as % change from our λ = 0 mean, per λ."""
    ok = frame[frame.status == "ok"]
    metrics = ("tv", "tv_rel", "mu_rms")
    rows = ok[(ok.kind == "prior") & (ok.prior == "total_variation") & (ok["mode"] == mode)]
    return vs_baseline(rows.groupby("lam")[list(metrics)].mean().reset_index(), ok[ok.kind == "vae"], metrics)


__all__ = ["failure_bars", "lambda_boxplots", "metric_agreement", "ours_tv_changes", "tv_audit_plot"]
