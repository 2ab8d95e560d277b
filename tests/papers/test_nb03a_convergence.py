"""Supplement C.1 of Erion et al.: EG's Monte-Carlo error against the number of background draws."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from attrprior.papers.nb03a_attribution_benchmark import convergence as C


@pytest.fixture(scope="module")
def linear():
    torch.manual_seed(0)
    model = torch.nn.Linear(6, 1)
    X = np.random.default_rng(0).standard_normal((200, 6)).astype(np.float32)
    return model, X


def test_reference_matches_the_exact_expectation_of_a_linear_model(linear):
    model, X = linear
    w = model.weight.detach().numpy()[0]
    exact = w * (X - X.mean(0))  # EG of a linear model: w ⊙ (x − E[x'])
    curve = C.eg_convergence(model, X, counts=(1, 10, 100), reference_draws=1000, seed=0)
    assert list(curve.draws) == [1, 10, 100]
    # the error falls with the draws, roughly as 1/√n
    assert curve.rel_error.is_monotonic_decreasing
    assert curve.rel_error.iloc[-1] < 0.2 * curve.rel_error.iloc[0]
    # and a 100-draw estimate is close to the exact expectation
    Xt = torch.as_tensor(X)
    from attrprior.core.attributions import expected_gradients
    est = expected_gradients(model, Xt, references=Xt, n_samples=2000,
                             generator=torch.Generator().manual_seed(1)).detach().numpy()
    assert np.abs(est - exact).mean() / np.abs(exact).mean() < 0.05


def test_deterministic_under_a_seed(linear):
    model, X = linear
    a = C.eg_convergence(model, X, counts=(1, 5), reference_draws=50, seed=3)
    b = C.eg_convergence(model, X, counts=(1, 5), reference_draws=50, seed=3)
    pd.testing.assert_frame_equal(a, b)


def test_bad_counts_raise(linear):
    model, X = linear
    with pytest.raises(ValueError, match="counts"):
        C.eg_convergence(model, X, counts=(0, 5), reference_draws=50)
    with pytest.raises(ValueError, match="counts"):
        C.eg_convergence(model, X, counts=(5, 50), reference_draws=50)


def _curve(values):
    return pd.DataFrame({"seed": 0, "draws": list(values), "rel_error": list(values.values())})


def test_rule():
    mc = {n: 1 / np.sqrt(n) for n in (1, 100, 200, 500)}  # Monte-Carlo rate: 0.071 at 200, flat after
    assert C.converged(_curve(mc))[0] == "reproduced"
    slow = {n: 3 / np.sqrt(n) for n in (1, 100, 200, 500)}  # flat in shape but 21 % error at 200
    assert C.converged(_curve(slow))[0] == "partly reproduced"
    stuck = {1: 1.0, 100: 0.9, 200: 0.8, 500: 0.4}  # large, and still falling fast after 200
    assert C.converged(_curve(stuck))[0] == "not reproduced"
    with pytest.raises(ValueError, match="lacks"):
        C.converged(_curve({1: 1.0, 200: 0.1}))
    claim = C.convergence_claim(_curve(mc))
    assert claim["verdict"] == "reproduced" and claim["measured"] == pytest.approx(1 / np.sqrt(200))
