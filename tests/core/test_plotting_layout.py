"""Figures fit the book's text column: panels wrap onto rows instead of widening the figure."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from attrprior.core.plotting.common import image_grid  # noqa: E402
from attrprior.core.plotting.layout import MAX_WIDTH, fit_width, panel_grid  # noqa: E402


@pytest.mark.parametrize("n, width", [(1, 3.7), (2, 3.7), (3, 3.7), (4, 2.45), (7, 2.45), (5, 9.0)])
def test_panel_grid_wraps_within_the_column(n, width):
    fig, axes = panel_grid(n, width, 3.0)
    try:
        assert len(axes) == n
        assert fig.get_figwidth() <= MAX_WIDTH + 1e-9
        assert len(fig.axes) == n  # cells past n removed
        per_row = max(1, int(MAX_WIDTH // min(width, MAX_WIDTH)))
        rows = sorted({round(ax.get_position().y0, 3) for ax in axes}, reverse=True)
        assert len(rows) == -(-n // per_row)
        # reading order: left to right, then down
        first = axes[0].get_position()
        if n > 1:
            second = axes[1].get_position()
            assert (second.x0 > first.x0) if per_row > 1 else (second.y0 < first.y0)
    finally:
        plt.close(fig)


def test_panel_grid_passes_subplot_options():
    fig, axes = panel_grid(4, 3.7, 3.0, sharey=True)
    try:
        axes[0].set_ylim(0, 7)
        assert axes[3].get_ylim() == (0, 7)
    finally:
        plt.close(fig)


@pytest.mark.parametrize("bad", [dict(n=0, panel_width=3, panel_height=3), dict(n=2, panel_width=0, panel_height=3),
                                 dict(n=2, panel_width=3, panel_height=-1)])
def test_panel_grid_rejects_bad_sizes(bad):
    with pytest.raises(ValueError, match="panel_grid"):
        panel_grid(**bad)


def test_fit_width_caps_and_rejects():
    assert fit_width(3.0) == 3.0
    assert fit_width(30.0) == MAX_WIDTH
    with pytest.raises(ValueError, match="width"):
        fit_width(0)


def test_image_grid_fits_the_column():
    fig = image_grid(np.zeros((12, 8, 8)), 2, 12, figsize_per=1.3)
    try:
        assert fig.get_figwidth() <= MAX_WIDTH + 1e-9
    finally:
        plt.close(fig)


def test_row_starts_are_the_first_panel_of_each_row():
    from attrprior.core.plotting.layout import row_starts

    fig, axes = panel_grid(7, 2.45, 2.0)  # three per row
    try:
        assert row_starts(axes) == [axes[0], axes[3], axes[6]]
    finally:
        plt.close(fig)
