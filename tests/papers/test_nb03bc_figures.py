"""The committed-run figures of notebooks 03b and 03c draw what their tables hold."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from attrprior.papers.nb03b_mnist_tv_prior import figures as F3b  # noqa: E402
from attrprior.papers.nb03c_nhanes_sparsity import figures as F3c  # noqa: E402


def _noise_table() -> pd.DataFrame:
    rows = [{"method": m, "seed": s, "sigma": sg, "acc": 0.9 - sg / 2 + 0.01 * s + 0.1 * i}
            for i, m in enumerate(("baseline", "expected_gradients")) for s in (2, 0, 1) for sg in (0.0, 0.3, 0.6)]
    return pd.DataFrame(rows)


def test_noise_series_is_seed_by_sigma_per_labelled_method():
    series = F3b.noise_series(_noise_table())
    assert list(series) == ["baseline", "EG prior"]  # the gradient prior is absent from the table: left out
    assert series["baseline"].shape == (3, 3)
    np.testing.assert_allclose(series["EG prior"][:, 0], [1.0, 1.01, 1.02])  # seeds sorted, σ = 0 column
    picked = F3b.noise_series(_noise_table(), sigmas=[0.6, 0.0], seeds=[2])
    np.testing.assert_allclose(picked["baseline"], [[0.9 - 0.3 + 0.02, 0.92]])


def test_committed_noise_panel_draws_one_curve_per_method_and_the_paper_line():
    final = pd.DataFrame({"method": ["baseline"] * 3, "test_acc": [0.99, 0.98, 0.985]})
    ax = F3b.committed_noise_panel(_noise_table(), final, title="t")
    assert len(ax.containers) == 2  # one error-bar curve per method
    assert any(np.allclose(line.get_ydata(), F3b.PAPER_MNIST_ACCURACY["baseline"]) for line in ax.get_lines())
    assert "0.9850" in ax.get_title()
    plt.close("all")


def test_auc_and_sparsity_bars_are_the_per_model_means():
    best = pd.DataFrame({"model": ["a"] * 4 + ["b"] * 4, "test_auc": [0.7, 0.72, 0.74, 0.76, 0.8, 0.8, 0.8, 0.8],
                         "gini": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]})
    fig = F3c.auc_and_sparsity(best, ["a", "b"], {"a": "model A", "b": "model B"}, suptitle="s")
    auc_ax, gini_ax = fig.axes
    heights = [p.get_height() for p in auc_ax.patches]
    np.testing.assert_allclose(heights, [0.73, 0.8])
    np.testing.assert_allclose([p.get_height() for p in gini_ax.patches], [0.25, 0.65])
    assert [t.get_text() for t in gini_ax.get_xticklabels()] == ["model A", "model B"]
    plt.close(fig)
