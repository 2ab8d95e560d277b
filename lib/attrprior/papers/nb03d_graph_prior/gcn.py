"""A graph convolutional network for gene-expression regression, in plain torch with sparse adjacency.

Kipf & Welling (2017) propagation Â = D̃^{-1/2}(A + I)D̃^{-1/2}. A sample is a signal over the p genes
(one scalar per node), so one graph-convolution layer with C channels is
``H = act(Â x ⊗ w + b)`` (``[B, p, C]``: the input has a single channel, so Â x W factorises), as in
Erion et al. (Methods 5.3: one graph-convolution layer, then fully connected layers 512-256).
Extra, non-graph inputs (the one-hot drug) are concatenated after the convolution.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor, nn

from attrprior.core.models.mlp import mlp


def normalized_adjacency(adjacency: sp.spmatrix | np.ndarray | Tensor) -> Tensor:
    """Â = D̃^{-1/2}(A + I)D̃^{-1/2} as a sparse COO float32 tensor (A symmetric, non-negative)."""
    if isinstance(adjacency, Tensor):
        adjacency = adjacency.to_dense().cpu().numpy() if adjacency.is_sparse else adjacency.cpu().numpy()
    a = sp.csr_matrix(adjacency, dtype=np.float64)
    if a.shape[0] != a.shape[1]:
        raise ValueError(f"adjacency must be square, got {a.shape}")
    if (a != a.T).nnz or (a.data < 0).any():
        raise ValueError("adjacency must be symmetric and non-negative")
    a = a + sp.identity(a.shape[0], format="csr")
    d = np.asarray(a.sum(1)).ravel() ** -0.5
    a = sp.coo_matrix(sp.diags(d) @ a @ sp.diags(d))
    idx = torch.as_tensor(np.vstack([a.row, a.col]), dtype=torch.long)
    return torch.sparse_coo_tensor(idx, torch.as_tensor(a.data, dtype=torch.float32), a.shape,
                                   check_invariants=True).coalesce()


class GraphConv(nn.Module):
    """One Kipf–Welling layer on a single-channel node signal: ``[B, p] → [B, p, channels]``."""

    def __init__(self, adjacency: sp.spmatrix | np.ndarray | Tensor, channels: int = 8) -> None:
        super().__init__()
        if channels < 1:
            raise ValueError(f"channels must be >= 1, got {channels}")
        self.register_buffer("a_hat", normalized_adjacency(adjacency))
        self.weight = nn.Parameter(torch.randn(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    @property
    def n_nodes(self) -> int:
        return self.a_hat.shape[0]

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 2 or x.shape[1] != self.n_nodes:
            raise ValueError(f"GraphConv expects [B, {self.n_nodes}], got {tuple(x.shape)}")
        ax = torch.sparse.mm(self.a_hat, x.T).T  # [B, p]
        return ax.unsqueeze(-1) * self.weight + self.bias


class GCN(nn.Module):
    """Graph convolution over the first ``p`` input columns, then an MLP on [flattened conv | extra].

    ``forward(inputs)``: ``inputs`` is ``[B, p + n_extra]`` (genes first, e.g. then a one-hot drug);
    returns ``[B, out_features]``. Dropout ``dropout`` after the convolution and each hidden layer.
    """

    def __init__(self, adjacency: sp.spmatrix | np.ndarray | Tensor, n_extra: int = 0, channels: int = 8,
                 hidden: Sequence[int] = (512, 256), out_features: int = 1, dropout: float = 0.0) -> None:
        super().__init__()
        if n_extra < 0:
            raise ValueError(f"n_extra must be >= 0, got {n_extra}")
        self.conv = GraphConv(adjacency, channels)
        self.n_genes, self.n_extra, self.channels = self.conv.n_nodes, n_extra, channels
        self.act = nn.ReLU()
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.head = mlp(self.n_genes * channels + n_extra, tuple(hidden), out_features, dropout=dropout)

    def forward(self, inputs: Tensor) -> Tensor:
        if inputs.dim() != 2 or inputs.shape[1] != self.n_genes + self.n_extra:
            raise ValueError(f"GCN expects [B, {self.n_genes + self.n_extra}], got {tuple(inputs.shape)}")
        genes, extra = inputs[:, :self.n_genes], inputs[:, self.n_genes:]
        h = self.drop(self.act(self.conv(genes))).flatten(1)
        return self.head(torch.cat([h, extra], 1))


__all__ = ["GCN", "GraphConv", "normalized_adjacency"]
