"""03c: the λ grid extension rule and the k = 1 vs larger-k comparison."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attrprior.papers.nb03c_nhanes_sparsity import k_compare as KC
from attrprior.papers.nb03c_nhanes_sparsity import lambda_search as LS


def _best(model: str, lams: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"model": model, "replicate": range(len(lams)), "lam": lams})


def test_edges_and_extension():
    grid = (0.01, 0.1, 1.0, 10.0)
    low = _best("gini_eg", [0.01, 0.01, 1.0, 1.0])            # half on the low edge
    high = _best("sgl", [10.0, 1.0, 1.0, 1.0])                  # a quarter on the high edge
    inside = _best("l1_all", [0.1, 1.0, 1.0, 0.1])
    best = pd.concat([low, high, inside, _best("unregularized", [np.nan] * 4)], ignore_index=True)
    found = LS.edges(best, {"gini_eg": grid, "sgl": grid, "l1_all": grid, "unregularized": (np.nan,)})
    assert found == {"gini_eg": "low", "sgl": "high"}
    np.testing.assert_allclose(LS.extend(grid, "low"), (1e-3, 1e-4))
    np.testing.assert_allclose(LS.extend(grid, "high"), (100.0, 1000.0))
    np.testing.assert_allclose(LS.extend((2.0,), "high", 1), (20.0,))
    with pytest.raises(ValueError, match="side"):
        LS.extend(grid, "middle")


def _k_rows(gini_small, gini_large):
    rows = [{"model": "gini_eg", "replicate": r, "lam": 1.0, "test_auc": 0.8, "gini": g, "k": 1}
            for r, g in enumerate(gini_small)]
    rows += [{"model": "gini_eg", "replicate": r, "lam": 1.0, "test_auc": 0.8, "gini": g, "k": 10}
             for r, g in enumerate(gini_large)]
    return pd.DataFrame(rows)


def test_k_verdict_outcomes():
    rng = np.random.default_rng(1)
    unreg = pd.DataFrame({"model": "unregularized", "replicate": range(8), "lam": np.nan, "test_auc": 0.8,
                          "gini": 0.3 + 0.01 * rng.standard_normal(8)})
    k1 = 0.6 + 0.01 * rng.standard_normal(8)
    # k = 10 no sparser, and the k = 1 prior clearly works: reproduced
    (verdict, _), ev_k, ev_prior = KC.k_verdict(_k_rows(k1, k1 + 0.01 * rng.standard_normal(8)), unreg, 1, 10, 0.05)
    assert verdict == "reproduced" and ev_prior.effect > 0.2
    # k = 10 clearly sparser: not reproduced
    assert KC.k_verdict(_k_rows(k1, k1 + 0.2 + 0.01 * rng.standard_normal(8)), unreg, 1, 10, 0.05)[0][0] == "not reproduced"
    # the k = 1 prior does nothing on these replicates: the null result cannot count
    flat = unreg["gini"].to_numpy() + 0.01 * rng.standard_normal(8)
    assert KC.k_verdict(_k_rows(flat, flat + 0.01 * rng.standard_normal(8)), unreg, 1, 10, 0.05)[0][0] == "inconclusive"


def test_comparison_frame_keeps_the_compared_replicates():
    main = pd.DataFrame({"model": ["unregularized", "gini_grad", "unregularized", "gini_grad"],
                         "replicate": [0, 0, 5, 5], "lam": [np.nan, 1.0, np.nan, 1.0], "test_auc": 0.8, "gini": 0.3})
    frame, labels = KC.comparison_frame(_k_rows([0.5], [0.5]), main)
    assert set(frame["replicate"]) == {0} and list(labels) == ["unregularized", "gini_grad", "gini_eg_k1",
                                                                "gini_eg_k10"]
