"""The scoreboard's figure: every claim's verdict as a coloured square, per paper, this book's runs beside the
committed paper-scale runs."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

COLORS = {"reproduced": "#2e8540", "partly reproduced": "#e0a800", "not reproduced": "#c0392b",
          "inconclusive": "#3b8fd0", "not tested": "#9e9e9e"}
ClaimsFile = tuple[str, Mapping[str, Any]]


def verdict_matrix(runs: Sequence[ClaimsFile], paper: Sequence[ClaimsFile], path: Path, profile: str = "default"):
    """Draw the matrix to ``path`` (PNG): rows = notebooks, squares = claims; paper claims solid, others faded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from attrprior.core.plotting.layout import MAX_WIDTH

    names = sorted({n for n, _ in runs} | {n for n, _ in paper})
    width = max([len(p.get("claims", [])) for _, p in [*runs, *paper]] or [1])
    # stacked, not side by side: the figure fits the book's text column unscaled
    fig, axes = plt.subplots(2, 1, figsize=(MAX_WIDTH, 0.6 * len(names) + 2.2), sharex=True, layout="constrained")
    for ax, files, title in ((axes[0], runs, f"this book ({profile} profile)"),
                             (axes[1], paper, "committed paper-scale runs")):
        table = dict(files)
        for row, name in enumerate(names):
            for col, claim in enumerate(table.get(name, {}).get("claims", [])):
                solid = claim.get("kind", "paper") == "paper"
                ax.add_patch(plt.Rectangle((col, row), 0.9, 0.8, color=COLORS.get(claim.get("verdict"), "#000"),
                                           alpha=1.0 if solid else 0.35, linewidth=0))
        ax.set_xlim(0, width)
        ax.set_ylim(len(names), -0.2)
        ax.set_yticks([i + 0.4 for i in range(len(names))], names, fontsize=10)
        ax.set_xticks([])
        ax.set_title(title, fontsize=11, wrap=True)
        for side in ("top", "right", "bottom"):
            ax.spines[side].set_visible(False)
    fig.legend(handles=[Patch(color=c, label=v) for v, c in COLORS.items()], loc="outside lower center", ncol=3,
               fontsize=10, frameon=False)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)
