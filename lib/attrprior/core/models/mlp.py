"""Multilayer perceptrons: a plain builder and a stack of independent MLPs trained in parallel.

* :func:`mlp` builds an ``nn.Sequential`` of Linear → activation (→ dropout) blocks, e.g.
  ``mlp(60, (32, 20, 20), 1)`` is shap's benchmark network and ``mlp(18, (512, 128, 32), 1)`` the
  NHANES network of Erion et al.
* :class:`StackedMLP` holds ``J`` MLPs of the same architecture with independent weights and evaluates
  them with batched matrix products. Slot ``j`` reads only ``x[:, j]``, so the gradient of
  ``out.sum()`` with respect to ``x[:, j]`` is exactly slot ``j``'s input gradient: attributions of all
  slots come from one call to the attribution core, and the sum of the slots' losses trains each slot
  as if it were alone (Adam and SGD act element-wise). Used to train many (replicate, λ) settings at
  once on a CPU.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor, nn


def _activation(name: str | type[nn.Module]) -> nn.Module:
    if isinstance(name, str):
        table = {"relu": nn.ReLU, "tanh": nn.Tanh, "elu": nn.ELU, "gelu": nn.GELU, "softplus": nn.Softplus,
                 "sigmoid": nn.Sigmoid, "leaky_relu": nn.LeakyReLU}
        if name not in table:
            raise ValueError(f"unknown activation {name!r}; choose from {sorted(table)}")
        return table[name]()
    return name()


def _check_sizes(in_features: int, hidden: Sequence[int], out_features: int) -> list[int]:
    sizes = [in_features, *hidden, out_features]
    if any(not isinstance(s, int) or isinstance(s, bool) or s < 1 for s in sizes):
        raise ValueError(f"layer sizes must be positive ints, got in={in_features}, hidden={tuple(hidden)}, "
                         f"out={out_features}")
    return sizes


def mlp(in_features: int, hidden: Sequence[int] = (32, 20, 20), out_features: int = 1,
        activation: str | type[nn.Module] = "relu", dropout: float = 0.0,
        final_activation: str | type[nn.Module] | None = None) -> nn.Sequential:
    """A feed-forward network ``in → hidden[0] → … → hidden[-1] → out``.

    Each hidden layer is Linear, activation and (if ``dropout > 0``) Dropout; the output layer is
    linear unless ``final_activation`` is given. ``hidden=()`` gives a linear model.
    """
    sizes = _check_sizes(in_features, hidden, out_features)
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(a, b), _activation(activation)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    if final_activation is not None:
        layers.append(_activation(final_activation))
    return nn.Sequential(*layers)


class StackedMLP(nn.Module):
    """``n_models`` independent MLPs of one architecture, evaluated in parallel.

    ``forward(x)``: ``x`` is ``[B, J, in]`` (slot j gets ``x[:, j]``) or ``[B, in]`` (every slot gets the
    same rows); returns ``[B, J]`` when ``out_features == 1`` else ``[B, J, out]``. Weights are stored
    as ``weights[l]: [J, in_l, out_l]`` and ``biases[l]: [J, out_l]``, initialised per slot like
    ``nn.Linear`` (uniform in ±1/√fan_in), so slot j is distributed like ``mlp(...)``.
    """

    def __init__(self, n_models: int, in_features: int, hidden: Sequence[int] = (32, 20, 20),
                 out_features: int = 1, activation: str | type[nn.Module] = "relu",
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        if not isinstance(n_models, int) or n_models < 1:
            raise ValueError(f"n_models must be a positive int, got {n_models!r}")
        self.sizes = _check_sizes(in_features, hidden, out_features)
        self.n_models, self.in_features, self.out_features = n_models, in_features, out_features
        self.act = _activation(activation)
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for a, b in zip(self.sizes[:-1], self.sizes[1:]):
            bound = 1.0 / math.sqrt(a)
            w = (torch.rand(n_models, a, b, generator=generator) * 2 - 1) * bound
            bias = (torch.rand(n_models, b, generator=generator) * 2 - 1) * bound
            self.weights.append(nn.Parameter(w))
            self.biases.append(nn.Parameter(bias))

    def forward(self, x: Tensor) -> Tensor:
        J = self.n_models
        if x.dim() == 2:
            if x.shape[1] != self.in_features:
                raise ValueError(f"expected [B, {self.in_features}] or [B, {J}, {self.in_features}], "
                                 f"got {tuple(x.shape)}")
            h = x.unsqueeze(0).expand(J, *x.shape)
        elif x.dim() == 3 and x.shape[1:] == (J, self.in_features):
            h = x.transpose(0, 1)
        else:
            raise ValueError(f"expected [B, {self.in_features}] or [B, {J}, {self.in_features}], got {tuple(x.shape)}")
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(b.unsqueeze(1), h, w)  # [J, B, out_l]
            if i < last:
                h = self.act(h)
        out = h.transpose(0, 1)  # [B, J, out]
        return out.squeeze(-1) if self.out_features == 1 else out

    def select(self, slots: Sequence[int]) -> "StackedMLP":
        """A new StackedMLP holding copies of the given slots (in that order)."""
        idx = torch.as_tensor(list(slots), dtype=torch.long)
        if idx.numel() == 0 or idx.min() < 0 or idx.max() >= self.n_models:
            raise IndexError(f"slots {list(slots)} out of range for {self.n_models} models")
        out = StackedMLP(len(idx), self.sizes[0], tuple(self.sizes[1:-1]), self.sizes[-1], type(self.act))
        with torch.no_grad():
            for dst, src in zip(list(out.weights) + list(out.biases), list(self.weights) + list(self.biases)):
                dst.copy_(src[idx.to(src.device)])
        return out.to(self.weights[0].device)

    def member(self, j: int) -> nn.Sequential:
        """Slot ``j`` as an ordinary ``mlp`` (a detached copy of its weights)."""
        if not 0 <= j < self.n_models:
            raise IndexError(f"slot {j} out of range for {self.n_models} models")
        net = mlp(self.sizes[0], tuple(self.sizes[1:-1]), self.sizes[-1], activation=type(self.act))
        linears = [m for m in net if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for lin, w, b in zip(linears, self.weights, self.biases):
                lin.weight.copy_(w[j].T)
                lin.bias.copy_(b[j])
        return net

    def load_member(self, j: int, net: nn.Sequential) -> None:
        """Copy the Linear weights of an ``mlp`` of the same architecture into slot ``j``."""
        linears = [m for m in net if isinstance(m, nn.Linear)]
        if len(linears) != len(self.weights):
            raise ValueError(f"{len(linears)} linear layers, expected {len(self.weights)}")
        with torch.no_grad():
            for lin, w, b in zip(linears, self.weights, self.biases):
                w[j].copy_(lin.weight.T)
                b[j].copy_(lin.bias)


__all__ = ["StackedMLP", "mlp"]
