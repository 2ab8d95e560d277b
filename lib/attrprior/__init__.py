"""attrprior: one attribution core and one prior API for five attribution-prior papers.

The public API is the core's: attribution methods with one signature (``method(model, inputs, ...)``),
priors as callables ``prior(attributions) -> scalar``, and one training loop (``fit`` over ``Step``s)::

    from attrprior import expected_gradients, TotalVariation, Step, fit, prior_loss

Names are imported on first use, so ``import attrprior`` stays cheap for the runner's command line.
Paper code lives in :mod:`attrprior.papers`, the runner, claims and book in :mod:`attrprior.compendium`.
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, tuple[str, ...]] = {
    "attrprior.core.attributions": (
        "attribute", "gradients", "input_x_gradient", "integrated_gradients", "expected_gradients",
        "gradient_shap", "latent_attributions", "label_free", "latent_saliency", "mean_abs_attribution",
        "completeness_gap", "METHODS", "ALL_OUTPUTS",
    ),
    "attrprior.core.priors": (
        "Prior", "PRIORS", "make_prior", "TotalVariation", "LatentEntropy", "LatentPearson", "GraphLaplacian",
        "GiniSparsity", "L1Attribution", "MetaFeaturePrior", "laplacian", "gini",
    ),
    "attrprior.core.training": (
        "Step", "fit", "History", "EarlyStopping", "NonFiniteLossError", "make_loader", "prior_loss",
        "prior_only_loss", "seed_everything", "setup_device", "default_device",
    ),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'attrprior' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
