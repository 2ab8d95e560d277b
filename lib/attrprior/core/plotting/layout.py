"""Figure sizes that fit the book's text column, so no figure is shrunk until its labels cannot be read.

Notebook figures are drawn at 100 dpi. At a 1,280 px window the book's text column is ≈ 750 px wide, so a figure
wider than :data:`MAX_WIDTH` inches is scaled down in the browser, and with it every tick label. Multi-panel figures
therefore wrap their panels onto rows (:func:`panel_grid`) instead of growing sideways, and single figures are
capped (:func:`fit_width`).
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import matplotlib.pyplot as plt

MAX_WIDTH = 7.4  # inches at 100 dpi: the text column at a 1,280 px window


def fit_width(width: float, max_width: float = MAX_WIDTH) -> float:
    """``width`` (inches), capped at the column width."""
    if not width > 0:
        raise ValueError(f"fit_width: width must be > 0, got {width!r}")
    return min(float(width), max_width)


def panel_grid(n: int, panel_width: float, panel_height: float, max_width: float = MAX_WIDTH,
               max_cols: int | None = None, **subplots: Any):
    """``n`` panels of ``panel_width`` × ``panel_height`` inches, as many per row as fit ``max_width``.

    Returns ``(fig, axes)`` with ``axes`` a flat list of the ``n`` panels in reading order; grid cells past ``n``
    are removed. Extra keyword arguments go to :func:`matplotlib.pyplot.subplots` (``sharey``, ``layout`` …).
    A panel wider than ``max_width`` is narrowed to it."""
    if n < 1:
        raise ValueError(f"panel_grid: need at least one panel, got n={n}")
    if not (panel_width > 0 and panel_height > 0):
        raise ValueError(f"panel_grid: panel size must be > 0, got {panel_width!r} × {panel_height!r}")
    panel_width = min(panel_width, max_width)
    ncols = max(1, min(n, int(max_width // panel_width), max_cols or n))
    nrows = math.ceil(n / ncols)
    fig, grid = plt.subplots(nrows, ncols, figsize=(panel_width * ncols, panel_height * nrows), squeeze=False,
                             **subplots)
    cells = list(grid.flat)
    for extra in cells[n:]:
        extra.remove()
    return fig, cells[:n]


def row_starts(axes: Sequence) -> list:
    """The panels of :func:`panel_grid` (or any subplots) that begin a row: where a shared y label goes."""
    return [ax for ax in axes if ax.get_subplotspec().is_first_col()]


__all__ = ["MAX_WIDTH", "fit_width", "panel_grid", "row_starts"]
