"""EG-prior training step / plain step on the two networks Erion et al. train with priors, three ways.

* **ours** — :func:`attrprior.core.attributions.expected_gradients` inside :func:`attrprior.core.training.prior_loss`;
* **fused** — the shortest correct step we can write by hand (one interpolation, one ``autograd.grad`` with
  ``create_graph=True``), the floor our abstractions should stay within 5 % of;
* **reference** — the authors' PyTorch explainer (``AttributionPriorExplainer`` in ``attributionpriors/pytorch_ops.py``
  of github.com/suinleelab/attributionpriors), loaded from a local clone named by ``ATTRPRIOR_REFERENCE_AP`` (the path
  of that file); it is not on PyPI (the PyPI package is the TensorFlow version) and is never copied here.

All at k = 1 reference per sample, the setting both papers train with.
"""
from __future__ import annotations

import importlib.util
import os
from typing import Callable

import torch
from torch import nn

from attrprior.core import attributions as A
from attrprior.core.priors import GiniSparsity, TotalVariation
from attrprior.core.training import prior_loss

REFERENCE_ENV = "ATTRPRIOR_REFERENCE_AP"


def nhanes_mlp() -> nn.Module:
    """Erion et al. Methods 6: 18 → 512 → 128 → 32 → 1 with ReLUs."""
    return nn.Sequential(nn.Linear(18, 512), nn.ReLU(), nn.Linear(512, 128), nn.ReLU(), nn.Linear(128, 32), nn.ReLU(),
                         nn.Linear(32, 1))


def load_reference():
    """The reference explainer class, or None (with the reason) when ``ATTRPRIOR_REFERENCE_AP`` is unset or wrong."""
    path = os.environ.get(REFERENCE_ENV, "")
    if not path:
        return None, f"{REFERENCE_ENV} is not set (path to attributionpriors/pytorch_ops.py of a clone)"
    if not os.path.isfile(path):
        return None, f"{REFERENCE_ENV}={path} is not a file"
    spec = importlib.util.spec_from_file_location("reference_pytorch_ops", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.AttributionPriorExplainer, ""


def fused_eg(model: nn.Module, x: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
    """Expected gradients with one shifted-batch reference per sample, written out in full."""
    ref = x.roll(1, dims=0)
    alpha = torch.rand((x.shape[0],) + (1,) * (x.dim() - 1), device=x.device)
    point = (ref + alpha * (x - ref)).requires_grad_(True)
    out = model(point)
    out = out.gather(1, target[:, None]) if target is not None else out
    (grad,) = torch.autograd.grad(out.sum(), point, create_graph=True)
    return (x - ref) * grad


def steps(model: nn.Module, x: torch.Tensor, y: torch.Tensor, task, prior, target, reference_cls
          ) -> dict[str, Callable[[], None]]:
    """One optimiser step per variant (plain, ours, fused, reference when available), same model and batch."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    task_loss = lambda: task(model(x), y)  # noqa: E731
    ours = prior_loss(lambda b: task_loss(), lambda b: A.expected_gradients(model, x, "batch", target=target,
                                                                            n_samples=1, create_graph=True),
                      prior, 0.1)
    losses: dict[str, Callable[[], torch.Tensor]] = {
        "plain": task_loss,
        "ours": lambda: ours(None)[0],
        "fused": lambda: task_loss() + 0.1 * prior(fused_eg(model, x, target)),
    }
    if reference_cls is not None:
        explainer = reference_cls(torch.utils.data.TensorDataset(x.detach().clone()), batch_size=x.shape[0], k=1)
        losses["reference"] = lambda: task_loss() + 0.1 * prior(explainer.shap_values(model, x, sparse_labels=target))

    def make(loss_fn: Callable[[], torch.Tensor]) -> Callable[[], None]:
        def run() -> None:
            opt.zero_grad()
            loss_fn().backward()
            opt.step()
        return run

    return {name: make(fn) for name, fn in losses.items()}


def prior_step_ratios(compare, cnn: Callable[[], nn.Module], device: torch.device, repeats: int) -> dict:
    """Per network: seconds per step of each variant and its ratio to the plain step (``compare`` times them
    interleaved). ``cnn`` builds the Erion MNIST CNN."""
    reference_cls, why = load_reference()
    torch.manual_seed(0)
    cases = {
        "NHANES MLP 18-512-128-32-1, full batch 100": (
            nhanes_mlp(), torch.randn(100, 18), torch.randint(2, (100, 1)).float(),
            nn.functional.binary_cross_entropy_with_logits, GiniSparsity(), None),
        "Erion MNIST CNN, batch 50": (
            cnn(), torch.rand(50, 1, 28, 28), torch.randint(10, (50,)), nn.functional.cross_entropy,
            TotalVariation(), torch.randint(10, (50,))),
    }
    out: dict[str, dict] = {"reference_missing": why}
    for name, (model, x, y, task, prior, target) in cases.items():
        model, x, y = model.to(device), x.to(device), y.to(device)
        target = target.to(device) if target is not None else None
        t = compare(steps(model, x, y, task, prior, target, reference_cls), device, repeats)
        out[name] = {f"{k}_s": v for k, v in t.items()} | {f"{k}_ratio": v / t["plain"] for k, v in t.items()}
    return out


__all__ = ["fused_eg", "load_reference", "nhanes_mlp", "prior_step_ratios", "steps"]
