"""The attribution core: differentiable path and gradient attributions for any ``nn.Module``.

Every function shares captum's verb shape ``f(model, inputs, baselines/references, target, ...)``
and returns a tensor shaped like ``inputs`` (or ``[B, d, *input_shape]`` for latent attributions).
``create_graph=True`` keeps the graph so a prior on the attributions can be back-propagated
to the model's parameters (a second-order gradient). Attributions are differentiable with
respect to parameters, not inputs: interpolation points are detached leaves.

``target`` selects one scalar per sample from the model output:
  * ``None``          output of shape ``[B]`` or ``[B, 1]`` (regression, single logit);
  * ``int``           the same output column for every sample (class index, latent unit);
  * ``LongTensor[B]`` a column per sample;
  * ``Tensor[B, d]`` (float) weights: the scalar is ``(output * w).sum(-1)`` (label-free form);
  * ``callable``      ``target(output) -> Tensor[B]``;
  * ``ALL_OUTPUTS``   every column of a ``[B, d]`` output at once (latent units): result ``[B, d, ...]``.
"""
from __future__ import annotations

from typing import Callable, Union

import numpy as np
import torch
from torch import Tensor, nn

Target = Union[None, int, Tensor, Callable[[Tensor], Tensor]]
IG_METHODS = ("riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid", "gausslegendre")


# --------------------------------------------------------------------------- checks & helpers
def _check_inputs(inputs: Tensor) -> None:
    if not isinstance(inputs, Tensor):
        raise ValueError(f"inputs must be a torch.Tensor, got {type(inputs).__name__}")
    if inputs.dim() < 1 or inputs.shape[0] == 0:
        raise ValueError(f"inputs must be a non-empty batch, got shape {tuple(inputs.shape)}")
    if not torch.isfinite(inputs).all():
        raise ValueError("inputs contain NaN or inf")


def _check_baselines(baselines: Tensor, inputs: Tensor, name: str) -> None:
    if not isinstance(baselines, Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(baselines).__name__}")
    if baselines.dim() != inputs.dim() or baselines.shape[1:] != inputs.shape[1:]:
        raise ValueError(
            f"{name} of shape {tuple(baselines.shape)} do not match inputs {tuple(inputs.shape)}: "
            "feature dimensions must agree"
        )
    if baselines.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one sample")
    if not torch.isfinite(baselines).all():
        raise ValueError(f"{name} contain NaN or inf")


def _check_count(n: int, name: str) -> None:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {n!r}")


def _expand_target(target: Target, repeats: int) -> Target:
    """Repeat a per-sample target for inputs expanded with ``repeat_interleave(repeats)``."""
    if isinstance(target, Tensor) and target.dim() >= 1 and repeats > 1:
        return target.repeat_interleave(repeats, dim=0)
    return target


def select_output(output: Tensor | tuple, target: Target) -> Tensor:
    """Reduce a model output to one scalar per sample according to ``target``."""
    if callable(target) and not isinstance(target, Tensor):
        selected = target(output)
    elif isinstance(output, (tuple, list)):
        raise ValueError("model returned a tuple: pass a callable target or wrap it with OutputSelect")
    elif target is None:
        if output.dim() == 1:
            selected = output
        elif output.dim() == 2 and output.shape[1] == 1:
            selected = output[:, 0]
        else:
            raise ValueError(f"model output has shape {tuple(output.shape)}: give a target to select one value")
    elif isinstance(target, (int, np.integer)):
        selected = output[:, int(target)]
    elif isinstance(target, Tensor) and target.dtype.is_floating_point:
        if target.shape != output.shape:
            raise ValueError(f"weight target {tuple(target.shape)} must match output {tuple(output.shape)}")
        selected = (output * target).sum(dim=-1)
    elif isinstance(target, Tensor):
        if target.dim() == 0:
            selected = output[:, int(target)]
        else:
            selected = output.gather(1, target.view(-1, 1).to(output.device)).squeeze(1)
    else:
        raise ValueError(f"unsupported target {target!r}")
    if selected.dim() != 1 or selected.shape[0] != output_batch(output):
        raise ValueError(f"target must select one value per sample, got shape {tuple(selected.shape)}")
    return selected


def output_batch(output: Tensor | tuple) -> int:
    return (output[0] if isinstance(output, (tuple, list)) else output).shape[0]


class _AllOutputs:
    """Target sentinel: explain every output column of a ``[N, d]`` model at once."""

    def __repr__(self) -> str:
        return "ALL_OUTPUTS"


ALL_OUTPUTS = _AllOutputs()


def _grad_at(model: nn.Module, points: Tensor, target: Target, create_graph: bool) -> Tensor:
    """d target(model(points)) / d points as ``[T, N, ...]``: T = 1 for an ordinary target, T = d for
    ALL_OUTPUTS, where one forward pass is shared and the d backward passes run as one batched call."""
    points = points.detach().requires_grad_(True)
    with torch.enable_grad():
        output = model(points)
        if target is ALL_OUTPUTS:
            if isinstance(output, (tuple, list)) or output.dim() != 2:
                raise ValueError("explaining all outputs needs a model returning [N, d]")
            d = output.shape[1]
            eye = torch.eye(d, device=output.device, dtype=output.dtype)
            cotangents = eye.unsqueeze(1).expand(d, output.shape[0], d)
            (grad,) = torch.autograd.grad(output, points, grad_outputs=cotangents, is_grads_batched=True,
                                          create_graph=create_graph)
            return grad
        selected = select_output(output, target)
        (grad,) = torch.autograd.grad(selected.sum(), points, create_graph=create_graph)
    return grad.unsqueeze(0)


def _finish(attr: Tensor, target: Target) -> Tensor:
    """[T, B, ...] → [B, ...] for one target, [B, d, ...] for ALL_OUTPUTS."""
    return attr.transpose(0, 1) if target is ALL_OUTPUTS else attr[0]


def _broadcast_alpha(alpha: Tensor, ndim: int) -> Tensor:
    return alpha.view(*alpha.shape, *([1] * (ndim - alpha.dim())))


class OutputSelect(nn.Module):
    """Wrap a model whose forward returns a tuple (e.g. an encoder's ``(mu, logvar)``)."""

    def __init__(self, model: nn.Module, index: int = 0) -> None:
        super().__init__()
        self.model, self.index = model, index

    def forward(self, x: Tensor) -> Tensor:
        return self.model(x)[self.index]


# --------------------------------------------------------------------------- gradient methods
def gradients(model: nn.Module, inputs: Tensor, target: Target = None, absolute: bool = False,
              create_graph: bool = False) -> Tensor:
    """Saliency: ∂f_target/∂x (Simonyan et al.); ``absolute=True`` gives captum Saliency's |∂f/∂x|."""
    _check_inputs(inputs)
    grad = _finish(_grad_at(model, inputs, target, create_graph), target)
    return grad.abs() if absolute else grad


def input_x_gradient(model: nn.Module, inputs: Tensor, target: Target = None,
                     create_graph: bool = False) -> Tensor:
    """Input × gradient: x ⊙ ∂f/∂x."""
    _check_inputs(inputs)
    return _finish(inputs.detach() * _grad_at(model, inputs, target, create_graph), target)


def ig_alphas(n_steps: int, method: str = "gausslegendre") -> tuple[Tensor, Tensor]:
    """Interpolation points α and weights for integrating over [0, 1] (captum's conventions)."""
    _check_count(n_steps, "n_steps")
    n = n_steps
    if method == "gausslegendre":
        x, w = np.polynomial.legendre.leggauss(n)
        alphas, weights = 0.5 * (x + 1), 0.5 * w
    elif method == "riemann_trapezoid":
        if n < 2:
            raise ValueError("riemann_trapezoid needs n_steps >= 2")
        alphas = np.linspace(0, 1, n)
        weights = np.full(n, 1.0 / (n - 1))
        weights[[0, -1]] = 0.5 / (n - 1)
    elif method in ("riemann_left", "riemann_right", "riemann_middle"):
        shift = {"riemann_left": 0.0, "riemann_right": 1.0, "riemann_middle": 0.5}[method]
        alphas = (np.arange(n) + shift) / n
        weights = np.full(n, 1.0 / n)
    else:
        raise ValueError(f"unknown integration method {method!r}; choose from {IG_METHODS}")
    return torch.as_tensor(alphas, dtype=torch.float64), torch.as_tensor(weights, dtype=torch.float64)


def integrated_gradients(model: nn.Module, inputs: Tensor, baselines: Tensor | float | None = None,
                         target: Target = None, n_steps: int = 50, method: str = "gausslegendre",
                         create_graph: bool = False) -> Tensor:
    """Integrated gradients (Sundararajan et al.): (x − x') ⊙ ∫₀¹ ∇f(x' + α(x − x')) dα.

    ``baselines``: None/float (constant), ``[1, ...]`` or ``[B, ...]`` tensor.
    """
    _check_inputs(inputs)
    baselines = _as_baselines(baselines, inputs)
    if baselines.shape[0] not in (1, inputs.shape[0]):
        raise ValueError("integrated_gradients needs one baseline or one per input")
    alphas, weights = ig_alphas(n_steps, method)
    alphas, weights = alphas.to(inputs), weights.to(inputs)
    x, ref = inputs.detach().unsqueeze(1), baselines.detach().expand_as(inputs).unsqueeze(1)
    a = _broadcast_alpha(alphas.view(1, -1), x.dim())
    points = (ref + a * (x - ref)).reshape(-1, *inputs.shape[1:])  # [B*n_steps, ...]
    grads = _grad_at(model, points, _expand_target(target, n_steps), create_graph)
    grads = grads.view(grads.shape[0], inputs.shape[0], n_steps, *inputs.shape[1:])
    avg = (grads * _broadcast_alpha(weights.view(1, 1, -1), grads.dim())).sum(2)
    return _finish((inputs.detach() - baselines.detach().expand_as(inputs)) * avg, target)


def _as_baselines(baselines: Tensor | float | None, inputs: Tensor) -> Tensor:
    if baselines is None or isinstance(baselines, (int, float)):
        return torch.full_like(inputs[:1], float(baselines or 0.0))
    _check_baselines(baselines, inputs, "baselines")
    return baselines.to(inputs.device, inputs.dtype)


# --------------------------------------------------------------------------- expected gradients
def draw_references(n_inputs: int, n_references: int, n_samples: int,
                    generator: torch.Generator | None = None, device: torch.device | str = "cpu"
                    ) -> tuple[Tensor, Tensor]:
    """Uniform reference indices ``[B, k]`` and α ~ U(0, 1) ``[B, k]``."""
    idx = torch.randint(n_references, (n_inputs, n_samples), generator=generator)
    alphas = torch.rand((n_inputs, n_samples), generator=generator)
    return idx.to(device), alphas.to(device)


def shifted_batch_indices(batch_size: int, n_samples: int, generator: torch.Generator | None = None) -> Tensor:
    """The shifted-batch trick: sample i uses batch rows (i + s) mod B, s random in 1..B−1, never itself."""
    if batch_size < 2:
        raise ValueError("the shifted-batch trick needs a batch of at least 2 samples")
    shifts = torch.randint(1, batch_size, (n_samples,), generator=generator)
    return (torch.arange(batch_size).view(-1, 1) + shifts.view(1, -1)) % batch_size


def expected_gradients(model: nn.Module, inputs: Tensor, references: Tensor | str = "batch",
                       target: Target = None, n_samples: int = 1, create_graph: bool = False,
                       generator: torch.Generator | None = None, ref_indices: Tensor | None = None,
                       alphas: Tensor | None = None, stdevs: float = 0.0) -> Tensor:
    """Expected gradients (Erion et al., Eq. 2): E_{x'~D, α~U(0,1)}[(x − x') ⊙ ∇f(x' + α(x − x'))].

    ``references`` is a pool ``[R, ...]`` drawn from uniformly, or ``"batch"`` for the shifted-batch
    trick (references are other rows of ``inputs``). ``n_samples`` = k draws per input. Fixed draws
    can be passed as ``ref_indices``/``alphas`` (``[B, k]``); ``stdevs > 0`` adds Gaussian noise to the
    inputs first, which is captum's GradientShap.
    """
    _check_inputs(inputs)
    _check_count(n_samples, "n_samples")
    B = inputs.shape[0]
    if isinstance(references, str):
        if references != "batch":
            raise ValueError(f"references must be a tensor or 'batch', got {references!r}")
        pool = inputs
        if ref_indices is None:
            ref_indices = shifted_batch_indices(B, n_samples, generator).to(inputs.device)
    else:
        _check_baselines(references, inputs, "references")
        pool = references.to(inputs.device, inputs.dtype)
    if ref_indices is None or alphas is None:
        idx, a = draw_references(B, pool.shape[0], n_samples, generator, inputs.device)
        ref_indices = idx if ref_indices is None else ref_indices
        alphas = a if alphas is None else alphas
    if ref_indices.shape != (B, n_samples) or alphas.shape != (B, n_samples):
        raise ValueError(f"ref_indices and alphas must have shape {(B, n_samples)}")
    x = inputs.detach().unsqueeze(1).expand(B, n_samples, *inputs.shape[1:])
    if stdevs > 0:
        noise = torch.randn(x.shape, generator=generator).to(x) if generator is not None else torch.randn_like(x)
        x = x + stdevs * noise
    ref = pool.detach()[ref_indices.to(pool.device)]  # [B, k, ...]
    a = _broadcast_alpha(alphas.to(inputs), x.dim())
    points = (ref + a * (x - ref)).reshape(B * n_samples, *inputs.shape[1:])
    grads = _grad_at(model, points, _expand_target(target, n_samples), create_graph)
    grads = grads.view(grads.shape[0], *x.shape)
    return _finish(((x - ref) * grads).mean(2), target)


def gradient_shap(model: nn.Module, inputs: Tensor, baselines: Tensor, target: Target = None,
                  n_samples: int = 5, stdevs: float = 0.0, create_graph: bool = False,
                  generator: torch.Generator | None = None) -> Tensor:
    """GradientSHAP with captum's semantics: expected gradients over ``baselines`` after adding
    N(0, stdevs²) noise to each input sample."""
    return expected_gradients(model, inputs, baselines, target=target, n_samples=n_samples,
                              create_graph=create_graph, generator=generator, stdevs=stdevs)


# --------------------------------------------------------------------------- latent attributions
METHODS: dict[str, Callable[..., Tensor]] = {
    "expected_gradients": expected_gradients,
    "integrated_gradients": integrated_gradients,
    "gradient_shap": gradient_shap,
    "gradients": gradients,
    "input_x_gradient": input_x_gradient,
}


def attribute(method: str, model: nn.Module, inputs: Tensor, **kwargs) -> Tensor:
    """Dispatch by name, so notebooks can swap methods with a parameter."""
    if method not in METHODS:
        raise ValueError(f"unknown attribution method {method!r}; choose from {sorted(METHODS)}")
    return METHODS[method](model, inputs, **kwargs)


def latent_attributions(encoder: nn.Module, inputs: Tensor, method: str = "gradient_shap", **kwargs) -> Tensor:
    """Attributions of every latent unit μ_j of a vector-valued encoder, ``[B, d, *input_shape]``.

    All d units are explained together: one forward pass over the interpolation points, and the d
    backward passes batched into one call (no Python loop over latents). The random draws
    (references, α) are shared by the d units of an input. ``encoder(x)`` must return ``[B, d]``
    (wrap tuple outputs with OutputSelect).
    """
    if kwargs.pop("target", None) is not None:
        raise ValueError("latent_attributions explains every latent: do not pass a target")
    return attribute(method, encoder, inputs, target=ALL_OUTPUTS, **kwargs)


def label_free(encoder: nn.Module, inputs: Tensor, method: str = "gradient_shap", **kwargs) -> Tensor:
    """Label-free attribution (Crabbé & van der Schaar): attribution of g_x(x̃) = Σ_j μ_j(x)·μ_j(x̃),
    which by linearity equals Σ_j μ_j(x)·attr_j(x). Returns ``[B, *input_shape]``."""
    _check_inputs(inputs)
    with torch.no_grad():
        weights = encoder(inputs).detach()
    return attribute(method, encoder, inputs, target=weights, **kwargs)


def latent_saliency(encoder: nn.Module, inputs: Tensor, method: str = "gradient_shap", mu_grad: bool = False,
                    **kwargs) -> Tensor:
    """Per-latent saliency |μ_j(x) · attr_j(x)|, ``[B, d, *input_shape]`` (Amad's reference code).

    Three ways to differentiate it: ``create_graph=True`` (in ``kwargs``) keeps the graph of μ and of the
    attribution (a second-order gradient); ``mu_grad=True`` keeps only μ's graph, the attribution being a
    constant (what the reference code trains with); neither: a constant, for evaluation."""
    create_graph = kwargs.get("create_graph", False)
    if mu_grad and create_graph:
        raise ValueError("mu_grad=True keeps only μ's graph; it cannot be combined with create_graph=True")
    attr = latent_attributions(encoder, inputs, method=method, **kwargs)
    attr = attr if create_graph else attr.detach()
    keep = create_graph or mu_grad
    with torch.set_grad_enabled(keep):
        mu = encoder(inputs.detach())
    mu = mu if keep else mu.detach()
    return (mu.view(*mu.shape, *([1] * (inputs.dim() - 1))) * attr).abs()


def mean_abs_attribution(model: nn.Module, inputs: Tensor, references: Tensor, n_samples: int = 1,
                         target: Tensor | None = None, generator: torch.Generator | None = None,
                         batch: int = 256) -> Tensor:
    """Global importance φ̄_i = mean over ``inputs`` of |EG_i| (Erion et al., Methods 3), computed in
    chunks of ``batch`` rows without keeping a graph. ``target`` is None or one index per input row."""
    _check_count(batch, "batch")
    _check_inputs(inputs)
    total = torch.zeros(inputs.shape[1:], device=inputs.device, dtype=inputs.dtype)
    for start in range(0, inputs.shape[0], batch):
        part = None if target is None else target[start:start + batch]
        attr = expected_gradients(model, inputs[start:start + batch], references, target=part,
                                  n_samples=n_samples, generator=generator)
        total += attr.abs().sum(0)
    return total / inputs.shape[0]


def completeness_gap(model: nn.Module, inputs: Tensor, baselines: Tensor, attributions: Tensor,
                     target: Target = None) -> Tensor:
    """Σφ − (f(x) − f(x')) per sample (baselines: one per input); zero for a complete method."""
    with torch.no_grad():
        fx = select_output(model(inputs), target)
        fb = select_output(model(baselines.expand_as(inputs)), target)
    return attributions.flatten(1).sum(1) - (fx - fb)


__all__ = [
    "ALL_OUTPUTS", "OutputSelect", "attribute", "completeness_gap", "draw_references", "expected_gradients",
    "gradient_shap", "gradients", "ig_alphas", "input_x_gradient", "integrated_gradients",
    "label_free", "latent_attributions", "latent_saliency", "mean_abs_attribution", "select_output", "shifted_batch_indices",
    "METHODS", "IG_METHODS",
]
