"""The training loop: any prior on any model, alternating steps, seeding, NaN guard, early stopping."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from attrprior.core import attributions as A
from attrprior.core import priors as P
from attrprior.core.training import (EarlyStopping, NonFiniteLossError, Step, fit, make_loader, prior_loss,
                                prior_only_loss, seed_everything)

torch.set_num_threads(1)


def _problem(seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(64, 6, generator=g)
    y = x[:, 0] - 2 * x[:, 1] + 0.1 * torch.randn(64, generator=g)
    return x, y


def _train(lam, seed=0, epochs=3, alternate=False, prior=None):
    seed_everything(seed)
    x, y = _problem()
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 1))
    prior = prior or P.GiniSparsity()
    task = lambda b: nn.functional.mse_loss(model(b[0]).squeeze(1), b[1])  # noqa: E731
    attribute = lambda b: A.expected_gradients(model, b[0], "batch", create_graph=True)  # noqa: E731
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    if alternate:
        steps = [Step("task", opt, task),
                 Step("prior", torch.optim.Adam(model.parameters(), lr=1e-2), prior_only_loss(attribute, prior, lam))]
    else:
        steps = [Step("train", opt, prior_loss(task, attribute, prior, lam))]
    hist = fit(steps, make_loader(x, y, batch_size=16, seed=seed), epochs, model=model, progress=False,
               device="cpu")
    with torch.enable_grad():
        final_prior = prior(A.expected_gradients(model, x, x, n_samples=8,
                                                 generator=torch.Generator().manual_seed(0))).item()
    return model, hist, final_prior


def test_prior_lowers_its_penalty_relative_to_no_prior():
    _, _, without = _train(0.0, epochs=8)
    _, _, with_prior = _train(1.0, epochs=8)
    assert with_prior < without


def test_alternating_optimisers_run_and_log_both_terms():
    _, hist, _ = _train(1.0, alternate=True)
    assert {"task_loss", "prior_loss", "prior"} <= set(hist.last())


def test_same_seed_same_result_different_seed_different_result():
    m1, h1, _ = _train(0.5, seed=3)
    m2, h2, _ = _train(0.5, seed=3)
    m3, _, _ = _train(0.5, seed=4)
    assert h1.series("train_loss") == h2.series("train_loss")
    assert all(torch.equal(a, b) for a, b in zip(m1.state_dict().values(), m2.state_dict().values()))
    assert not all(torch.equal(a, b) for a, b in zip(m1.state_dict().values(), m3.state_dict().values()))


def test_any_prior_applies_to_any_model():
    """A latent prior on a vector-output MLP and a TV prior on a CNN both train through fit()."""
    x = torch.rand(16, 1, 8, 8)
    cnn = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.Tanh(), nn.Flatten(), nn.Linear(128, 3))
    for prior, attribute in [
        (P.TotalVariation(), lambda b: A.gradients(cnn, b[0], target=0, create_graph=True)),
        (P.LatentPearson(), lambda b: A.latent_attributions(cnn, b[0], method="expected_gradients",
                                                            create_graph=True)),
    ]:
        opt = torch.optim.Adam(cnn.parameters(), lr=1e-3)
        loss = prior_loss(lambda b: cnn(b[0]).pow(2).mean(), attribute, prior, 0.1)
        hist = fit([Step("s", opt, loss)], make_loader(x, batch_size=8), 1, model=cnn, progress=False, device="cpu")
        assert "prior" in hist.last()


def test_nan_loss_stops_with_clear_error():
    x, y = _problem()
    model = nn.Linear(6, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    bad = lambda b: model(b[0]).sum() * float("nan")  # noqa: E731
    with pytest.raises(NonFiniteLossError, match="non-finite loss"):
        fit([Step("task", opt, bad)], make_loader(x, y, batch_size=16), 1, progress=False, device="cpu")


def test_early_stopping_restores_best_state():
    x, y = _problem()
    model = nn.Linear(6, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    task = lambda b: nn.functional.mse_loss(model(b[0]).squeeze(1), b[1])  # noqa: E731
    calls = iter([3.0, 2.0, 1.0, 5.0, 6.0, 7.0, 8.0, 9.0])
    states = []

    def validate():
        states.append({k: v.clone() for k, v in model.state_dict().items()})
        return {"loss": next(calls)}

    hist = fit([Step("t", opt, task)], make_loader(x, y, batch_size=16), 8, model=model, validate=validate,
               early_stopping=EarlyStopping("loss", patience=2), progress=False, device="cpu")
    assert hist.stopped_early and hist.best_epoch == 2 and len(hist.epochs) == 5
    assert all(torch.equal(model.state_dict()[k], states[2][k]) for k in states[2])


@pytest.mark.parametrize("call, exc, match", [
    (lambda: prior_loss(lambda b: b, None, None, 1.0), ValueError, "needs both"),
    (lambda: prior_loss(lambda b: b, None, None, -1.0), ValueError, ">= 0"),
    (lambda: seed_everything("1"), ValueError, "seed"),
    (lambda: make_loader(torch.zeros(3), torch.zeros(4), batch_size=2), ValueError, "same number"),
    (lambda: fit([], [], 1), ValueError, "at least one Step"),
])
def test_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_setup_device_sets_cpu_threads_from_argument_or_environment(monkeypatch):
    from attrprior.core.training import setup_device

    monkeypatch.setenv("ATTRPRIOR_DEVICE", "cpu")
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("ATTRPRIOR_THREADS", "2")
        assert setup_device().type == "cpu" and torch.get_num_threads() == 2
        setup_device(1)
        assert torch.get_num_threads() == 1
        with pytest.raises(ValueError, match="threads"):
            setup_device(0)
    finally:
        torch.set_num_threads(before)
