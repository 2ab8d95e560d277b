"""The keep/remove attribution benchmark of shap (Lundberg et al. 2020), as pure functions.

Every metric is a function of ``(predict, X_train, X_test, y_test, attributions)``:

1. order each test sample's features by its (signed, negated or absolute) attribution;
2. for each feature count ``c`` on a log-spaced grid from 0 to M, **keep** the top ``c`` features and
   hide the rest, or **remove** (hide) the top ``c`` features;
3. hide features by **mask** (training mean), **resample** (replace by rows of the training set and
   average the model output over them) or **impute** (conditional mean under a Gaussian fitted to the
   training set);
4. summarise the model's predictions on the altered test set: the mean output for the *positive* and
   *negative* metrics, R² against ``y_test`` for the *absolute* metrics;
5. orient the curve so that larger is better (keep-negative and remove-positive are negated,
   remove-absolute becomes 1 − R²) and report the area under it over the fraction of features,
   ``trapz(values, counts) / M``.

As in shap, for the positive (negative) metrics only features with attribution ≥ 0 (≤ 0) are ever
kept or removed, so a curve plateaus once they are exhausted, and ties are broken by a fixed noise
vector of size 1e-6. Definitions follow ``shap/benchmark/metrics.py`` and ``measures.py`` (shap 0.51
still ships them); two deliberate differences, both documented: resampling draws background rows from
the whole training set (shap draws indices below the *test* size), and the impute-absolute metrics
really impute (shap's ``*_absolute_impute__roc_auc`` call the mask measure; the R² versions we use are
correct there).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

PredictFn = Callable[[np.ndarray], np.ndarray]
ACTIONS = ("keep", "remove")
SIGNS = ("positive", "negative", "absolute")
MASKERS = ("mask", "resample", "impute")


@dataclass(frozen=True)
class MetricSpec:
    """One benchmark metric, e.g. KPM = keep / positive / mask."""

    code: str
    action: str
    sign: str
    masker: str

    @property
    def title(self) -> str:
        return f"{self.action.capitalize()} {self.sign.capitalize()} ({self.masker})"


# The 18 metrics of Erion et al. Table 1, in the paper's column order.
METRICS: tuple[MetricSpec, ...] = tuple(
    MetricSpec(a[0].upper() + s[0].upper() + {"mask": "M", "resample": "R", "impute": "I"}[m], a, s, m)
    for a in ACTIONS for s in SIGNS for m in MASKERS
)
METRIC_CODES: tuple[str, ...] = tuple(m.code for m in METRICS)


def feature_counts(n_features: int, n_points: int = 11) -> np.ndarray:
    """shap's integer log-spaced grid from 0 to M: round(M·(10^t − 1)/9), t ∈ linspace(0, 1), unique.
    For M = 60 and 11 points: 0, 2, 4, 7, 10, 14, 20, 27, 35, 46, 60."""
    if n_features < 1 or n_points < 2:
        raise ValueError(f"need n_features >= 1 and n_points >= 2, got {n_features}, {n_points}")
    t = np.logspace(0, 1, n_points, endpoint=True)
    return np.unique(np.round(n_features * (t - 1) / 9).astype(int))


def tie_noise(n_features: int, seed: int = 0) -> np.ndarray:
    """A fixed tiny vector (U(0, 1)·1e-6) added to the ranking scores to break ties reproducibly."""
    return np.random.default_rng(seed).random(n_features) * 1e-6


def _validate(X_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, attributions: np.ndarray) -> None:
    if X_train.ndim != 2 or X_test.ndim != 2 or X_train.shape[1] != X_test.shape[1]:
        raise ValueError(f"X_train {X_train.shape} and X_test {X_test.shape} must be 2-d with equal columns")
    if attributions.shape != X_test.shape:
        raise ValueError(f"attributions {attributions.shape} must have the shape of X_test {X_test.shape}")
    if y_test.shape != (X_test.shape[0],):
        raise ValueError(f"y_test {y_test.shape} must have one value per test row ({X_test.shape[0]})")
    for name, arr in (("X_train", X_train), ("X_test", X_test), ("y_test", y_test), ("attributions", attributions)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or inf")


def ranking_scores(attributions: np.ndarray, sign: str) -> np.ndarray:
    """The scores features are ranked by: φ (positive), −φ (negative) or |φ| (absolute)."""
    if sign == "positive":
        return np.asarray(attributions, dtype=float)
    if sign == "negative":
        return -np.asarray(attributions, dtype=float)
    if sign == "absolute":
        return np.abs(np.asarray(attributions, dtype=float))
    raise ValueError(f"sign must be one of {SIGNS}, got {sign!r}")


def hidden_features(scores: np.ndarray, count: int, action: str, noise: np.ndarray | None = None) -> np.ndarray:
    """Boolean ``[N, M]``: which features are hidden for each sample at feature count ``count``.

    Per sample, the number of features acted on is ``min(count, #{scores ≥ 0})``; ``keep`` hides all
    but the top ones, ``remove`` hides the top ones.
    """
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {ACTIONS}, got {action!r}")
    N, M = scores.shape
    noise = np.zeros(M) if noise is None else noise
    order = np.argsort(-scores + noise, axis=1, kind="stable")
    n_act = np.minimum(count, (scores >= 0).sum(1))
    ranks = np.empty_like(order)
    ranks[np.arange(N)[:, None], order] = np.arange(M)[None, :]
    top = ranks < n_act[:, None]
    return ~top if action == "keep" else top


def mask_predict(predict: PredictFn, X_train: np.ndarray, X_test: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """Model output with hidden features set to their training mean."""
    X = np.where(hidden, X_train.mean(0)[None, :], X_test)
    return np.asarray(predict(X), dtype=float).reshape(-1)


def resample_predict(predict: PredictFn, X_train: np.ndarray, X_test: np.ndarray, hidden: np.ndarray,
                     background: np.ndarray) -> np.ndarray:
    """Mean model output over background rows ``X_train[background]`` substituted for hidden features."""
    N, M = X_test.shape
    S = len(background)
    bg = X_train[background]  # [S, M]
    X = np.where(hidden[:, None, :], bg[None, :, :], X_test[:, None, :]).reshape(N * S, M)
    return np.asarray(predict(X), dtype=float).reshape(N, S).mean(1)


def impute_predict(predict: PredictFn, X_train: np.ndarray, X_test: np.ndarray, hidden: np.ndarray,
                   ridge: float = 1e-6) -> np.ndarray:
    """Model output with hidden features replaced by their conditional mean given the observed ones,
    under a Gaussian with the training mean and covariance (+ ``ridge``·I)."""
    mu = X_train.mean(0)
    C = np.cov(X_train.T) + ridge * np.eye(X_train.shape[1])
    X = X_test.copy()
    for i in np.flatnonzero(hidden.any(1)):
        h, o = hidden[i], ~hidden[i]
        if not o.any():
            X[i] = mu
            continue
        coef = np.linalg.solve(C[np.ix_(o, o)], X_test[i, o] - mu[o])
        X[i, h] = mu[h] + C[np.ix_(h, o)] @ coef
    return np.asarray(predict(X), dtype=float).reshape(-1)


def r2_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Coefficient of determination 1 − SS_res/SS_tot (sklearn's definition)."""
    ss_res = float(np.sum((y_true - y_pred) ** 2))
    ss_tot = float(np.sum((y_true - y_true.mean()) ** 2))
    return 1.0 - ss_res / ss_tot if ss_tot > 0 else 0.0


def _orient(action: str, sign: str, raw: float) -> float:
    """Turn the raw summary into 'larger is better' (shap's 'negate' / 'one_minus' transforms)."""
    if sign == "absolute":
        return raw if action == "keep" else 1.0 - raw
    negate = (action == "keep") == (sign == "negative")
    return -raw if negate else raw


def metric_curve(predict: PredictFn, X_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray,
                 attributions: np.ndarray, action: str, sign: str, masker: str, n_points: int = 11,
                 seed: int = 0, n_background: int = 100, noise: np.ndarray | None = None,
                 background: np.ndarray | None = None, oriented: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Feature counts and the metric's curve (oriented so larger is better unless ``oriented=False``).

    ``seed`` fixes the tie-breaking noise and the resampling rows; both can be passed explicitly
    (``noise [M]``, ``background`` row indices into ``X_train``).
    """
    X_train, X_test = np.asarray(X_train, dtype=float), np.asarray(X_test, dtype=float)
    y_test, attributions = np.asarray(y_test, dtype=float), np.asarray(attributions, dtype=float)
    _validate(X_train, X_test, y_test, attributions)
    if masker not in MASKERS:
        raise ValueError(f"masker must be one of {MASKERS}, got {masker!r}")
    M = X_test.shape[1]
    scores = ranking_scores(attributions, sign)
    noise = tie_noise(M, seed) if noise is None else noise
    if masker == "resample" and background is None:
        background = np.random.default_rng(seed).integers(0, X_train.shape[0], n_background)
    counts = feature_counts(M, n_points)
    values = []
    for c in counts:
        hidden = hidden_features(scores, int(c), action, noise)
        if masker == "mask":
            pred = mask_predict(predict, X_train, X_test, hidden)
        elif masker == "resample":
            pred = resample_predict(predict, X_train, X_test, hidden, background)
        else:
            pred = impute_predict(predict, X_train, X_test, hidden)
        raw = r2_score(y_test, pred) if sign == "absolute" else float(pred.mean())
        values.append(_orient(action, sign, raw) if oriented else raw)
    return counts, np.asarray(values)


def curve_area(counts: np.ndarray, values: np.ndarray) -> float:
    """Area under the curve over the fraction of features: trapz(values, counts) / counts[-1]."""
    counts, values = np.asarray(counts, dtype=float), np.asarray(values, dtype=float)
    return float(np.sum((values[1:] + values[:-1]) * np.diff(counts)) / 2 / counts[-1])


def benchmark_metric(code: str, predict: PredictFn, X_train: np.ndarray, X_test: np.ndarray,
                     y_test: np.ndarray, attributions: np.ndarray, **kwargs) -> float:
    """One metric by its code (``'KPM'``, ``'RAI'`` …): the area under its oriented curve."""
    spec = get_metric(code)
    counts, values = metric_curve(predict, X_train, X_test, y_test, attributions, spec.action, spec.sign,
                                  spec.masker, **kwargs)
    return curve_area(counts, values)


def get_metric(code: str) -> MetricSpec:
    for m in METRICS:
        if m.code == code:
            return m
    raise ValueError(f"unknown metric {code!r}; choose from {', '.join(METRIC_CODES)}")


def all_metrics(predict: PredictFn, X_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray,
                attributions: np.ndarray, codes: tuple[str, ...] = METRIC_CODES, with_curves: bool = False,
                **kwargs) -> dict[str, float] | tuple[dict[str, float], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Every requested metric's area (and, with ``with_curves``, its ``(counts, values)`` curve)."""
    scores, curves = {}, {}
    for code in codes:
        spec = get_metric(code)
        counts, values = metric_curve(predict, X_train, X_test, y_test, attributions, spec.action, spec.sign,
                                      spec.masker, **kwargs)
        scores[code] = curve_area(counts, values)
        curves[code] = (counts, values)
    return (scores, curves) if with_curves else scores


def rank_methods(scores: dict[str, float], tol: float = 0.0) -> dict[str, float]:
    """Competition ranks (1 = best, larger score is better); methods within ``tol`` of a better one
    share its rank ('tied')."""
    names = sorted(scores, key=lambda k: -scores[k])
    ranks: dict[str, float] = {}
    for i, name in enumerate(names):
        better = [n for n in names[:i] if scores[n] - scores[name] > tol]
        ranks[name] = float(len(better) + 1)
    return ranks


__all__ = [
    "ACTIONS", "MASKERS", "METRICS", "METRIC_CODES", "MetricSpec", "SIGNS", "all_metrics", "benchmark_metric",
    "curve_area", "feature_counts", "get_metric", "hidden_features", "impute_predict", "mask_predict",
    "metric_curve", "r2_score", "rank_methods", "ranking_scores", "resample_predict", "tie_noise",
]
