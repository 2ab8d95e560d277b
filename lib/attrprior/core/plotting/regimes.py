"""The figure of a positive-control sweep: where a method beats its baseline on a simulated stand-in."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .layout import MAX_WIDTH


def regime_figure(rows: pd.DataFrame, level_order: Sequence[str], *, axis: str, measured: str, measured_label: str,
                  gain: str = "gain", detected: Sequence[str] = (), default: str = "",
                  ylabel: str = "gain over the MLP", title: str = ""):
    """Left: mean gain ± 95 % CI per regime (x: the ``axis`` level, one colour per non-linearity w; filled = the
    gain is significant at the sweep's Bonferroni level; ringed = the default stand-in's regime). Right: every
    retraining at its measured coordinates (``measured`` against the linear share of the signal), coloured by its
    gain. ``rows`` has columns setting, level, nonlinearity, linear_share, ``measured`` and ``gain``."""
    from scipy import stats

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(MAX_WIDTH, 3.4), layout="constrained",
                                  gridspec_kw={"width_ratios": [1.25, 1]})
    ws = sorted(rows["nonlinearity"].unique())
    width = 0.7 / max(len(ws), 1)
    for j, w in enumerate(ws):
        colour = plt.cm.tab10(j % 10)
        for i, level in enumerate(level_order):
            sub = rows[(rows["level"] == level) & (rows["nonlinearity"] == w)]
            if sub.empty:
                continue
            g = sub[gain].to_numpy(float)
            half = stats.t.ppf(0.975, len(g) - 1) * g.std(ddof=1) / np.sqrt(len(g)) if len(g) > 1 else 0.0
            x = i - 0.35 + width * (j + 0.5)
            label = sub["setting"].iloc[0]
            ax.errorbar(x, g.mean(), yerr=half, fmt="o", color=colour, capsize=3,
                        mfc=colour if label in detected else "white", label=f"w = {w:g}" if i == 0 else None)
            if label == default:
                ax.scatter([x], [g.mean()], s=220, facecolors="none", edgecolors="k", lw=1.2, zorder=4)
    ax.axhline(0, color="0.4", lw=0.8)
    ax.set_xticks(range(len(level_order)), [f"{c}\n{axis}" for c in level_order], fontsize=8)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7, title="non-linearity", title_fontsize=7)
    ax.set_title("mean ± 95 % CI; filled: significant; ringed: default stand-in", fontsize=8, wrap=True)
    lim = float(np.nanmax(np.abs(rows[gain]))) or 1.0
    sc = ax2.scatter(rows[measured], rows["linear_share"], c=rows[gain], cmap="coolwarm_r",
                     vmin=-lim, vmax=lim, s=18, edgecolors=np.where(rows["setting"] == default, "k", "none"))
    fig.colorbar(sc, ax=ax2, label=ylabel, shrink=0.85)
    ax2.set_xlabel(measured_label)
    ax2.set_ylabel("linear share of the signal")
    ax2.set_ylim(-0.05, 1.05)
    ax2.set_title("each retraining (black edge: default stand-in)", fontsize=8, wrap=True)
    if title:
        fig.suptitle(title, fontsize=9, wrap=True)
    return fig


__all__ = ["regime_figure"]
