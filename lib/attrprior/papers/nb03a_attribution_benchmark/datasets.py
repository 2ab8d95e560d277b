"""The synthetic regression data sets of shap's attribution benchmark (Lundberg et al. 2020), seeded.

Both have N = 1000 samples (by default) and M = 60 standard-normal features; the label is linear,
``y = X β + ε`` with ``β[0:30:3] = 1`` (one feature of each of the first ten triples carries weight 1)
and a small Gaussian noise ε (sd 0.01, as shap's generator).

* **Independent Linear 60** — independent features, centred so that each sample mean is exactly 0.
* **Correlated Groups 60** — features 0–29 form ten groups of three with pairwise correlation 0.99;
  features 30–59 are independent. As in shap, the sample is first whitened and then given the target
  correlation through a Cholesky factor, so the *sample* correlation matrix equals the target exactly.

shap's own generators use the fixed numpy seed 0; here the seed is a parameter (``seed=0`` does not
reproduce shap's numbers bit for bit: we use ``numpy.random.default_rng``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N_FEATURES = 60
GROUP_SIZE = 3
N_GROUPED = 30
GROUP_CORRELATION = 0.99
NOISE_SD = 1e-2


@dataclass(frozen=True)
class BenchmarkData:
    """One synthetic data set: ``X [N, 60]``, ``y [N]``, the true coefficients ``beta [60]``."""

    name: str
    X: np.ndarray
    y: np.ndarray
    beta: np.ndarray
    correlation: np.ndarray  # target correlation matrix [60, 60]
    seed: int

    @property
    def groups(self) -> list[list[int]]:
        """Index groups of correlated features (empty for the independent data set)."""
        if np.allclose(self.correlation, np.eye(len(self.beta))):
            return []
        return [list(range(i, i + GROUP_SIZE)) for i in range(0, N_GROUPED, GROUP_SIZE)]


def true_beta(n_features: int = N_FEATURES) -> np.ndarray:
    """β with ones at indices 0, 3, …, 27 and zeros elsewhere."""
    beta = np.zeros(n_features)
    beta[0:N_GROUPED:GROUP_SIZE] = 1.0
    return beta


def group_correlation(n_features: int = N_FEATURES, rho: float = GROUP_CORRELATION) -> np.ndarray:
    """Correlation matrix with ten 3×3 blocks of off-diagonal ``rho`` on features 0–29, identity elsewhere."""
    if not -0.5 < rho < 1.0:
        raise ValueError(f"group correlation must be in (-0.5, 1) to stay positive definite, got {rho}")
    C = np.eye(n_features)
    for i in range(0, N_GROUPED, GROUP_SIZE):
        block = slice(i, i + GROUP_SIZE)
        C[block, block] = rho
        C[range(i, i + GROUP_SIZE), range(i, i + GROUP_SIZE)] = 1.0
    return C


def _check(n: int, seed: int) -> None:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n <= N_FEATURES:
        raise ValueError(f"n must be an int > {N_FEATURES} (the sample is whitened), got {n!r}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ValueError(f"seed must be an int, got {seed!r}")


def independent_linear60(n: int = 1000, seed: int = 0, noise_sd: float = NOISE_SD) -> BenchmarkData:
    """Independent Linear 60: ``X ~ N(0, I)`` centred per feature, ``y = Xβ + N(0, noise_sd²)``."""
    _check(n, seed)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, N_FEATURES))
    X = X - X.mean(0)
    beta = true_beta()
    y = X @ beta + noise_sd * rng.standard_normal(n)
    return BenchmarkData("Independent Linear 60", X, y, beta, np.eye(N_FEATURES), int(seed))


def correlated_groups60(n: int = 1000, seed: int = 0, noise_sd: float = NOISE_SD,
                        rho: float = GROUP_CORRELATION) -> BenchmarkData:
    """Correlated Groups 60: whitened Gaussian sample coloured by :func:`group_correlation`,
    ``y = Xβ + N(0, noise_sd²)``. The sample covariance (1/N) equals the target correlation exactly."""
    _check(n, seed)
    rng = np.random.default_rng(seed)
    C = group_correlation(rho=rho)
    Z = rng.standard_normal((n, N_FEATURES))
    Z = Z - Z.mean(0)
    sigma = Z.T @ Z / n
    W = np.linalg.cholesky(np.linalg.inv(sigma)).T  # Z W^T has identity sample covariance
    white = Z @ W.T
    X = white @ np.linalg.cholesky(C).T
    beta = true_beta()
    y = X @ beta + noise_sd * rng.standard_normal(n)
    return BenchmarkData("Correlated Groups 60", X, y, beta, C, int(seed))


DATASETS = {"independent_linear60": independent_linear60, "correlated_groups60": correlated_groups60}


def make_dataset(name: str, n: int = 1000, seed: int = 0) -> BenchmarkData:
    """Build a benchmark data set by name (see :data:`DATASETS`)."""
    if name not in DATASETS:
        raise ValueError(f"unknown benchmark data set {name!r}; choose from {sorted(DATASETS)}")
    return DATASETS[name](n=n, seed=seed)


__all__ = ["BenchmarkData", "DATASETS", "correlated_groups60", "group_correlation", "independent_linear60",
           "make_dataset", "true_beta"]
