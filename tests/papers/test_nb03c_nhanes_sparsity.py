"""NHANES sparsity protocol (notebook 03c): splits, preprocessing, Gini helpers, penalties, training."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from attrprior.papers.nb03c_nhanes_sparsity import experiment as N
from attrprior.core import priors as P
from attrprior.core.models.mlp import StackedMLP

from tests.conftest import needs_data

torch.set_num_threads(1)


def test_subsample_sizes_disjoint_and_seeded():
    tr, va, te = N.subsample(1000, 100, 100, seed=3)
    assert (len(tr), len(va), len(te)) == (100, 100, 800)
    assert not (set(tr) & set(va) or set(tr) & set(te) or set(va) & set(te))
    assert sorted(np.concatenate([tr, va, te]).tolist()) == list(range(1000))
    again = N.subsample(1000, 100, 100, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip((tr, va, te), again))
    assert not np.array_equal(tr, N.subsample(1000, 100, 100, seed=4)[0])
    with pytest.raises(ValueError):
        N.subsample(150, 100, 100, seed=0)


def test_standardize_uses_training_rows_only():
    rng = np.random.default_rng(0)
    X = rng.normal(5, 3, size=(50, 4))
    X[[1, 7], 2] = np.nan
    rows = np.arange(20)
    Z = N.standardize(X, rows)
    assert not np.isnan(Z).any()
    assert np.allclose(Z[rows].mean(0), 0, atol=1e-12) and np.allclose(Z[rows].std(0), 1)
    assert not np.allclose(Z.mean(0), 0, atol=1e-3)  # the other rows were not used for the statistics


def test_gini_matches_numpy_pairwise_and_prior_gini():
    rng = np.random.default_rng(1)
    for v in (rng.random(18), rng.exponential(size=7), np.array([0.0, 0, 0, 5.0])):
        pairwise = np.abs(v[:, None] - v[None, :]).sum() / (2 * len(v) * v.sum())
        assert N.gini_coefficient(v) == pytest.approx(pairwise)
        assert N.gini_coefficient(v) == pytest.approx(float(P.gini(torch.tensor(v))), rel=1e-6)
    assert N.gini_coefficient(np.ones(10)) == pytest.approx(0.0)
    assert N.gini_coefficient(np.eye(1, 10).ravel()) == pytest.approx(0.9)  # (n - 1) / n for one non-zero
    with pytest.raises(ValueError):
        N.gini_coefficient(np.array([1.0, -1.0]))


def test_lorenz_curve():
    c = N.lorenz_curve(np.array([3.0, 1.0, 0.0, 6.0]))
    assert c[0] == 0 and c[-1] == pytest.approx(1) and np.all(np.diff(c) >= 0)
    assert np.allclose(c, [0, 0, 0.1, 0.4, 1.0])
    assert np.allclose(N.lorenz_curve(np.ones(4)), np.linspace(0, 1, 5))


def test_roc_auc_columns_matches_sklearn():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(2)
    labels = (rng.random((60, 3)) < 0.3).astype(float)
    scores = np.round(rng.normal(size=(60, 3)) + labels, 1)  # rounding creates ties
    ours = N.roc_auc_columns(scores, labels)
    assert np.allclose(ours, [roc_auc_score(labels[:, j], scores[:, j]) for j in range(3)])
    with pytest.raises(ValueError):
        N.roc_auc_columns(scores, np.zeros((60, 3)))


def test_weight_penalties_per_slot():
    s = StackedMLP(2, 5, (6, 3), 1, generator=torch.Generator().manual_seed(0))
    l1 = N.weight_penalty("l1_first", s).detach()
    for j in range(2):
        assert float(l1[j]) == pytest.approx(float(s.member(j)[0].weight.detach().abs().mean()), rel=1e-6)
    assert (N.weight_penalty("sgl", s) > N.weight_penalty("l1_all", s)).all()
    assert torch.equal(N.penalty("unregularized", s, torch.zeros(4, 2, 5)), torch.zeros(2))
    with pytest.raises(ValueError):
        N.penalty("l3", s, torch.zeros(4, 2, 5))


def test_gini_prior_steps_raise_gini_of_mean_abs_eg():
    torch.manual_seed(0)
    x = torch.randn(40, 1, 6)
    model = StackedMLP(1, 6, (16,), 1, generator=torch.Generator().manual_seed(1))
    gen = torch.Generator().manual_seed(2)

    def gini_now() -> float:
        imp = N.global_importance_eg(model, x, k=20, generator=torch.Generator().manual_seed(5))
        return N.gini_coefficient(imp[0])

    before = gini_now()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(30):
        opt.zero_grad()
        N.penalty("gini_eg", model, x, k=4, generator=gen).sum().backward()
        opt.step()
    after = gini_now()
    assert after > before + 0.1, (before, after)


def test_paired_tests_and_selection_match_scipy():
    from scipy.stats import ttest_rel

    rng = np.random.default_rng(3)
    rows = []
    for m in ("gini_eg", "unregularized", "sgl"):
        for r in range(5):
            for lam in (0.1, 1.0):
                rows.append({"model": m, "replicate": r, "lam": lam, "val_auc": rng.random(),
                             "test_auc": rng.random(), "gini": rng.random()})
    slots = pd.DataFrame(rows)
    best = N.select_best(slots)
    assert len(best) == 15
    for (m, r), g in slots.groupby(["model", "replicate"]):
        assert best[(best.model == m) & (best.replicate == r)]["val_auc"].iloc[0] == g["val_auc"].max()
    tests = N.paired_tests(best, "test_auc")
    wide = best.pivot(index="replicate", columns="model", values="test_auc")
    ref = ttest_rel(wide["gini_eg"], wide["sgl"])
    assert tests.loc["sgl", "T"] == pytest.approx(ref.statistic) and tests.loc["sgl", "p"] == pytest.approx(ref.pvalue)


def test_lambda_grids():
    g = N.lambda_grid("sgl", "centred", 4)
    assert len(g) == 4 and g[0] == pytest.approx(1e-5) and g[-1] == pytest.approx(1e-2)
    assert len(N.lambda_grid("gini_eg", "paper")) == 121
    assert np.isnan(N.lambda_grid("unregularized")[0])
    with pytest.raises(ValueError):
        N.lambda_grid("gini_eg", "coarse")


@needs_data
def test_replicates_from_real_data_and_short_training():
    X, y = N.load_binary(10.0)
    assert X.shape[1] == 18 and set(np.unique(y)) == {0, 1}
    settings = N.NhanesSettings(hidden=(16, 8), epochs=3, eg_k=2, eval_k=2)
    reps = N.make_replicates(X, y, [0, 1], settings)
    assert reps.x_train.shape == (100, 2, 18) and reps.x_valid.shape == (100, 2, 18)
    assert reps.x_test.shape == (len(y) - 200, 2, 18) and not torch.isnan(reps.x_test).any()
    df, imp = N.run_model("gini_eg", reps, settings, n_test_eval=300, lambdas=(0.01, 0.1))
    assert len(df) == 4 and imp.shape == (4, 18)
    assert df["val_auc"].between(0, 1).all() and df["gini"].between(0, 1).all()
    again, _ = N.run_model("gini_eg", reps, settings, n_test_eval=300, lambdas=(0.01, 0.1))
    pd.testing.assert_frame_equal(df, again)
