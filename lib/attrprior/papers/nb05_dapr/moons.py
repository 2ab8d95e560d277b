"""Two moons with nuisance features (Yamada et al. 2018; Weinberger et al. 2020, §4.1).

``x₁, x₂`` come from ``sklearn.datasets.make_moons(n, noise=0.1)``; ``x₃ … x_{p+2}`` are p nuisance
features drawn i.i.d. from N(0, 1). The data are split 20 % train / 40 % validation / 40 % test (the
paper's 20-40-40). Each feature's meta-features are its mean and standard deviation, measured on the
training split only (the DAPr reference code measures them on the training set as well).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

META_FEATURES = ("mean", "std")


@dataclass
class MoonsData:
    """One two-moons data set with nuisance features, already split.

    ``X_*`` are float32 ``[n, p + 2]``, ``y_*`` int64 class labels, ``meta`` float32 ``[p + 2, 2]``
    (columns :data:`META_FEATURES`), ``informative`` a bool ``[p + 2]`` mask (the two moon coordinates).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    meta: np.ndarray
    informative: np.ndarray
    seed: int

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_nuisance(self) -> int:
        return self.n_features - 2

    def describe(self) -> str:
        return (f"simulated two moons (sklearn make_moons, noise 0.1) + {self.n_nuisance} N(0,1) nuisance features; "
                f"train/val/test = {len(self.y_train)}/{len(self.y_val)}/{len(self.y_test)}; seed {self.seed}")


def meta_features(X: np.ndarray) -> np.ndarray:
    """Per-feature (mean, standard deviation) of ``X`` ``[n, p]`` → ``[p, 2]`` float32."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(f"meta_features needs a [n >= 2, p] matrix, got shape {X.shape}")
    return np.stack([X.mean(0), X.std(0, ddof=1)], axis=1).astype(np.float32)


def make_moons_nuisance(n_nuisance: int, n_samples: int = 1000, noise: float = 0.1,
                        split: tuple[float, float, float] = (0.2, 0.4, 0.4), seed: int = 0) -> MoonsData:
    """Simulate one data set: 2 moon coordinates + ``n_nuisance`` N(0, 1) features, split by ``split``.

    Everything (the moons, the nuisance features and the split) is drawn from ``seed``.
    """
    from sklearn.datasets import make_moons

    if not isinstance(n_nuisance, (int, np.integer)) or n_nuisance < 0:
        raise ValueError(f"n_nuisance must be an integer >= 0, got {n_nuisance!r}")
    if n_samples < 10:
        raise ValueError(f"n_samples must be >= 10, got {n_samples}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    if len(split) != 3 or min(split) <= 0 or not np.isclose(sum(split), 1.0):
        raise ValueError(f"split must be three positive fractions summing to 1, got {split}")
    rng = np.random.default_rng(seed)
    moons, y = make_moons(n_samples=n_samples, noise=noise, random_state=int(rng.integers(2**31 - 1)))
    nuisance = rng.standard_normal((n_samples, n_nuisance))
    X = np.concatenate([moons, nuisance], axis=1).astype(np.float32)
    order = rng.permutation(n_samples)
    n_train = int(round(split[0] * n_samples))
    n_val = int(round(split[1] * n_samples))
    tr, va, te = order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:]
    informative = np.zeros(X.shape[1], dtype=bool)
    informative[:2] = True
    return MoonsData(X[tr], y[tr].astype(np.int64), X[va], y[va].astype(np.int64), X[te], y[te].astype(np.int64),
                     meta=meta_features(X[tr]), informative=informative, seed=seed)
