"""Sparse factor-model simulator for the SHAP-loadings notebook (Singh & Shim poster, notebook 02).

The generative model is the poster's ``X ≈ L × F``:

* ``L`` (p features × k factors) is sparse: a fraction ``sparsity`` of each column is exactly zero.
  Non-zero entries are ``±U(0.5, 1.5)`` (random sign), so every "loading" feature carries signal.
* ``F`` (k factors × n samples) is sparse too (the poster simulated both): each entry is ``N(0, 1)``
  with probability ``1 − factor_sparsity`` and 0 otherwise. Sparse factors are non-Gaussian, which
  makes the factor axes identifiable (a Gaussian F would be determined only up to a rotation).
* ``X = (L F)ᵀ + noise · N(0, I)``, shape ``[n, p]``.

Sparsity patterns: ``"block"`` gives each factor one contiguous block of ``m = round((1 − sparsity)·p)``
features, block starts evenly spread over the features (blocks overlap when ``k·m > p``);
``"random"`` draws each factor's ``m`` features uniformly at random.

The poster's two anchor features are enforced: feature ``on = 150`` loads on factor 1 (column 0)
and feature ``off = 600`` does not (0-based column index 0, feature indices as in the poster).
For the block pattern the whole layout is shifted cyclically by the smallest shift that achieves
this (shift 0 for the defaults); for the random pattern the support bits are swapped with a random
feature of the other kind, which keeps the number of non-zeros per factor exact.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PATTERNS = ("block", "random")
POSTER_ON, POSTER_OFF = 150, 600


@dataclass(frozen=True)
class LoadingsData:
    """One simulated data set. ``X`` is ``[n, p]``, ``L`` ``[p, k]``, ``F`` ``[k, n]``, ``support`` is
    ``L != 0``; ``anchors = (on, off)`` are the poster's features for factor 1 (or None)."""

    X: np.ndarray
    L: np.ndarray
    F: np.ndarray
    support: np.ndarray
    noise: float
    sparsity: float
    factor_sparsity: float
    pattern: str
    seed: int
    anchors: tuple[int, int] | None
    shift: int = 0

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def p(self) -> int:
        return self.X.shape[1]

    @property
    def k(self) -> int:
        return self.L.shape[1]

    def describe(self) -> str:
        """One line for figure captions: the data are simulated, with these settings."""
        return (f"simulated X = (LF)ᵀ + noise: n={self.n}, p={self.p}, k={self.k}, {self.pattern} L with "
                f"{self.sparsity:.0%} zeros, F {self.factor_sparsity:.0%} zeros, noise sd {self.noise:g}, "
                f"seed {self.seed}")


def support_size(p: int, sparsity: float) -> int:
    """Non-zeros per factor: ``round((1 − sparsity)·p)`` clipped to ``[1, p − 1]``."""
    return int(min(max(round((1.0 - sparsity) * p), 1), p - 1))


def _block_support(p: int, k: int, m: int) -> np.ndarray:
    support = np.zeros((p, k), dtype=bool)
    for j in range(k):
        start = 0 if k == 1 else int(round(j * (p - m) / (k - 1)))
        support[start:start + m, j] = True
    return support


def _block_shift(support: np.ndarray, on: int, off: int) -> int:
    """Smallest cyclic shift (0, 1, −1, 2, −2, ...) that puts ``on`` in factor 0's block and ``off`` out."""
    p = support.shape[0]
    col = support[:, 0]
    for step in range(p):
        for r in ((step,) if step == 0 else (step, -step)):
            if col[(on - r) % p] and not col[(off - r) % p]:
                return r % p
    raise ValueError("no cyclic shift separates the anchor features (factor 0 loads on every feature)")


def _swap_anchors(support: np.ndarray, on: int, off: int, rng: np.random.Generator) -> None:
    col = support[:, 0]
    if not col[on]:
        donors = np.flatnonzero(col & (np.arange(col.size) != off))
        col[rng.choice(donors)] = False
        col[on] = True
    if col[off]:
        takers = np.flatnonzero(~col & (np.arange(col.size) != on))
        col[rng.choice(takers)] = True
        col[off] = False


def simulate_loadings(n: int = 1000, p: int = 1000, k: int = 5, sparsity: float = 0.8,
                      noise: float = 1.0, pattern: str = "block", factor_sparsity: float = 0.5,
                      seed: int = 0, anchors: tuple[int, int] | None = (POSTER_ON, POSTER_OFF)
                      ) -> LoadingsData:
    """Draw ``X = (L F)ᵀ + noise·ε`` with sparse ``L`` (``sparsity`` = fraction of zeros per factor).

    ``anchors=(on, off)`` guarantees ``L[on, 0] != 0`` and ``L[off, 0] == 0`` (the poster's features
    150 and 600 for factor 1); pass None to skip. Same arguments and seed give identical arrays.
    """
    for name, value in (("n", n), ("p", p), ("k", k)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    if k >= p:
        raise ValueError(f"need fewer factors than features, got k={k}, p={p}")
    if not 0.0 <= sparsity < 1.0:
        raise ValueError(f"sparsity (fraction of zeros in L) must be in [0, 1), got {sparsity}")
    if not 0.0 <= factor_sparsity < 1.0:
        raise ValueError(f"factor_sparsity (fraction of zeros in F) must be in [0, 1), got {factor_sparsity}")
    if not noise >= 0.0 or not np.isfinite(noise):
        raise ValueError(f"noise must be a finite sd >= 0, got {noise}")
    if pattern not in PATTERNS:
        raise ValueError(f"pattern must be one of {PATTERNS}, got {pattern!r}")
    if anchors is not None:
        on, off = anchors
        if not (0 <= on < p and 0 <= off < p) or on == off:
            raise ValueError(f"anchor features {anchors} must be two different indices below p={p}; "
                             f"the poster's features (150, 600) need p >= 601")
    rng = np.random.default_rng(seed)
    m = support_size(p, sparsity)
    shift = 0
    if pattern == "block":
        support = _block_support(p, k, m)
        if anchors is not None:
            shift = _block_shift(support, *anchors)
            support = np.roll(support, shift, axis=0)
    else:
        support = np.zeros((p, k), dtype=bool)
        for j in range(k):
            support[rng.choice(p, size=m, replace=False), j] = True
        if anchors is not None:
            _swap_anchors(support, *anchors, rng)
    magnitude = rng.uniform(0.5, 1.5, size=(p, k))
    sign = rng.choice(np.array([-1.0, 1.0]), size=(p, k))
    L = np.where(support, sign * magnitude, 0.0)
    F = rng.standard_normal((k, n)) * (rng.random((k, n)) >= factor_sparsity)
    X = (L @ F).T + noise * rng.standard_normal((n, p))
    data = LoadingsData(X=X.astype(np.float32), L=L, F=F, support=support, noise=float(noise),
                        sparsity=float(sparsity), factor_sparsity=float(factor_sparsity), pattern=pattern,
                        seed=int(seed), anchors=None if anchors is None else (int(anchors[0]), int(anchors[1])),
                        shift=int(shift))
    if anchors is not None:
        verify_anchors(data)
    return data


def verify_anchors(data: LoadingsData) -> None:
    """Raise AssertionError unless the anchor 'on' loads on factor 1 and 'off' does not."""
    if data.anchors is None:
        return
    on, off = data.anchors
    if not (data.L[on, 0] != 0 and data.L[off, 0] == 0):
        raise AssertionError(f"anchor property violated: L[{on},0]={data.L[on, 0]}, L[{off},0]={data.L[off, 0]}")


__all__ = ["LoadingsData", "PATTERNS", "POSTER_OFF", "POSTER_ON", "simulate_loadings", "support_size",
           "verify_anchors"]
