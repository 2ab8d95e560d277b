"""Erion et al. §2.2 / Supplement C: benchmark EG, IG, gradients and random on shap's synthetic data.

One replicate = one seed: a 900/100 train/test split of the data set, a 60→32→20→20→1 ReLU network
trained with MSE (Adam 1e-3, batch 32, 30 epochs — the Keras defaults of shap's ``ffnn`` benchmark
model), attributions of the 100 test samples by each method, then the 18 keep/remove metrics of
:mod:`attrprior.papers.nb03a_attribution_benchmark.metrics`. The paper's own numbers are transcribed in :data:`PAPER_TABLES`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from scipy import stats
from tqdm.auto import tqdm

from attrprior.core import attributions as A
from attrprior.papers.nb03a_attribution_benchmark import metrics as MB
from attrprior.core.models.mlp import mlp
from .datasets import BenchmarkData
from attrprior.core.training import Step, fit, make_loader, seed_everything

METHODS: tuple[str, ...] = ("expected_gradients", "integrated_gradients", "gradients", "random")
METHOD_LABELS = {"expected_gradients": "Expected Grad.", "integrated_gradients": "Integrated Grad.",
                 "gradients": "Gradients", "random": "Random"}

PAPER_SOURCE = ("Erion et al., Nature Machine Intelligence 2021 (../shared/papers/3_expected_gradients_erion.md): "
                "main-text Table 1 (Correlated Groups 60) and Supplement C, Table 1 (Independent Linear 60); "
                "model trained on 900 samples, tested on 100, shap benchmark software.")
_CODES = MB.METRIC_CODES  # KPM KPR KPI KNM KNR KNI KAM KAR KAI RPM RPR RPI RNM RNR RNI RAM RAR RAI
_PAPER_ROWS = {
    "correlated_groups60": {
        "expected_gradients": [3.731, 3.800, 3.973, 3.615, 3.551, 3.873, 0.906, 0.903, 0.919,
                               3.612, 3.575, 3.525, 3.759, 3.830, 3.683, 0.897, 0.885, 0.880],
        "integrated_gradients": [3.667, 3.736, 3.920, 3.543, 3.476, 3.808, 0.905, 0.899, 0.920,
                                 3.539, 3.503, 3.365, 3.687, 3.754, 3.543, 0.872, 0.859, 0.822],
        "gradients": [0.096, 0.122, 0.099, 0.076, -0.112, 0.052, 0.838, 0.823, 0.887,
                      0.035, -0.098, -0.020, 0.110, 0.105, 0.108, 0.729, 0.712, 0.616],
        "random": [0.033, 0.106, 0.077, -0.012, -0.093, -0.053, 0.593, 0.583, 0.715,
                   -0.053, -0.100, -0.106, 0.034, 0.092, 0.111, 0.400, 0.400, 0.275],
    },
    "independent_linear60": {
        "expected_gradients": [4.096, 4.179, 4.264, 4.014, 3.835, 4.153, 0.941, 0.946, 0.938,
                               4.079, 3.941, 4.210, 4.203, 4.260, 4.356, 0.992, 0.977, 1.019],
        "integrated_gradients": [4.055, 4.112, 4.176, 3.949, 3.753, 4.070, 0.941, 0.945, 0.938,
                                 4.013, 3.854, 4.113, 4.157, 4.186, 4.259, 0.973, 0.966, 0.995],
        "gradients": [0.044, 0.107, 0.029, 0.155, -0.150, 0.172, 0.902, 0.905, 0.902,
                      0.110, -0.125, 0.133, 0.057, 0.080, 0.041, 0.947, 0.936, 0.985],
        "random": [-0.152, 0.102, -0.152, 0.111, -0.126, 0.060, 0.470, 0.482, 0.438,
                   0.012, -0.124, 0.059, 0.035, 0.101, 0.070, 0.504, 0.521, 0.527],
    },
}
PAPER_TABLES: dict[str, pd.DataFrame] = {
    ds: pd.DataFrame(rows, index=list(_CODES)).T.rename_axis("method") for ds, rows in _PAPER_ROWS.items()
}


@dataclass(frozen=True)
class BenchmarkSettings:
    """Training and attribution settings of one benchmark replicate."""

    hidden: tuple[int, ...] = (32, 20, 20)
    epochs: int = 30
    batch_size: int = 32
    lr: float = 1e-3
    n_test: int = 100
    eg_samples: int = 200  # background draws per test sample (Supplement C.1)
    ig_steps: int = 50
    n_points: int = 11  # feature-count grid of the curves
    n_background: int = 100  # rows averaged by the resample masker


def split(n: int, n_test: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random train/test row indices (test of size ``n_test``), seeded."""
    if not 0 < n_test < n:
        raise ValueError(f"n_test must be in (0, {n}), got {n_test}")
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


def train_model(X: np.ndarray, y: np.ndarray, seed: int, settings: BenchmarkSettings = BenchmarkSettings(),
                progress: bool = False) -> torch.nn.Module:
    """Fit the benchmark MLP by MSE with the shared training loop; returns it in eval mode."""
    seed_everything(seed)
    model = mlp(X.shape[1], settings.hidden, 1)
    Xt, yt = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)
    opt = torch.optim.Adam(model.parameters(), lr=settings.lr)

    def loss(batch):
        xb, yb = batch
        return torch.nn.functional.mse_loss(model(xb).squeeze(-1), yb)

    fit([Step("mse", opt, loss)], make_loader(Xt, yt, batch_size=settings.batch_size, seed=seed),
        settings.epochs, model=model, device="cpu", progress=progress, desc="benchmark MLP")
    return model.eval()


def predictor(model: torch.nn.Module):
    """numpy → numpy prediction function of a scalar-output model (batched, no grad)."""

    def predict(X: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.as_tensor(X, dtype=torch.float32)).squeeze(-1).double().numpy()

    return predict


def explain(method: str, model: torch.nn.Module, X_train: np.ndarray, X_test: np.ndarray, seed: int,
            settings: BenchmarkSettings = BenchmarkSettings()) -> np.ndarray:
    """Attributions ``[n_test, M]`` of one method. EG draws ``eg_samples`` references from the training
    set; IG integrates from the training mean (the masking value; ≈ 0 for these centred data)."""
    Xtr = torch.as_tensor(X_train, dtype=torch.float32)
    Xte = torch.as_tensor(X_test, dtype=torch.float32)
    gen = torch.Generator().manual_seed(int(seed))
    if method == "expected_gradients":
        phi = A.expected_gradients(model, Xte, references=Xtr, n_samples=settings.eg_samples, generator=gen)
    elif method == "integrated_gradients":
        phi = A.integrated_gradients(model, Xte, baselines=Xtr.mean(0, keepdim=True), n_steps=settings.ig_steps)
    elif method == "gradients":
        phi = A.gradients(model, Xte)
    elif method == "random":
        return np.random.default_rng(seed).standard_normal(X_test.shape)
    else:
        raise ValueError(f"unknown method {method!r}; choose from {METHODS}")
    return phi.detach().double().numpy()


def run_replicate(data: BenchmarkData, seed: int, settings: BenchmarkSettings = BenchmarkSettings(),
                  methods: tuple[str, ...] = METHODS, codes: tuple[str, ...] = MB.METRIC_CODES):
    """One seed on one data set: returns (long score table, curves {(method, code): (counts, values)},
    test R² of the trained model)."""
    train, test = split(len(data.y), settings.n_test, seed)
    model = train_model(data.X[train], data.y[train], seed, settings)
    predict = predictor(model)
    r2 = MB.r2_score(data.y[test], predict(data.X[test]))
    rows, curves = [], {}
    for method in methods:
        phi = explain(method, model, data.X[train], data.X[test], seed, settings)
        scores, cur = MB.all_metrics(predict, data.X[train], data.X[test], data.y[test], phi, codes=codes,
                                     with_curves=True, n_points=settings.n_points, seed=seed,
                                     n_background=settings.n_background)
        rows += [{"dataset": data.name, "seed": seed, "method": method, "metric": c, "value": v}
                 for c, v in scores.items()]
        curves.update({(method, c): cur[c] for c in codes})
    return pd.DataFrame(rows), curves, r2


def run_benchmark(datasets: dict[str, BenchmarkData], seeds: list[int],
                  settings: BenchmarkSettings = BenchmarkSettings(), progress: bool = True):
    """All data sets × seeds. Returns (scores: long DataFrame with a ``key`` column, curves
    {(key, seed, method, code): (counts, values)}, model test R² DataFrame)."""
    frames, curves, fits = [], {}, []
    jobs = [(k, s) for k in datasets for s in seeds]
    for key, seed in tqdm(jobs, desc="benchmark replicates", disable=not progress):
        df, cur, r2 = run_replicate(datasets[key], seed, settings)
        frames.append(df.assign(key=key))
        curves.update({(key, seed, m, c): v for (m, c), v in cur.items()})
        fits.append({"key": key, "seed": seed, "test_r2": r2})
    return pd.concat(frames, ignore_index=True), curves, pd.DataFrame(fits)


def mean_table(scores: pd.DataFrame, key: str) -> pd.DataFrame:
    """Methods × metrics table of the mean over seeds for one data set (paper's column order)."""
    sub = scores[scores["key"] == key]
    table = sub.pivot_table(index="method", columns="metric", values="value", aggfunc="mean")
    return table.reindex(index=[m for m in METHODS if m in table.index], columns=list(MB.METRIC_CODES))


def tie_tolerance(table: pd.DataFrame, fraction: float = 0.01) -> pd.Series:
    """Per metric: ``fraction`` × (best − worst method), the margin within which methods are tied."""
    return fraction * (table.max(0) - table.min(0))


def first_or_tied(table: pd.DataFrame, method: str = "expected_gradients", fraction: float = 0.01) -> pd.Series:
    """Per metric: is ``method`` within the tie tolerance of the best method?"""
    return (table.max(0) - table.loc[method]) <= tie_tolerance(table, fraction)


def rank_table(table: pd.DataFrame, fraction: float = 0.01) -> pd.DataFrame:
    """Methods × metrics competition ranks (1 = best); methods within the tie tolerance share a rank."""
    tol = tie_tolerance(table, fraction)
    out = {c: MB.rank_methods(table[c].to_dict(), tol=float(tol[c])) for c in table.columns}
    return pd.DataFrame(out).reindex(index=table.index)


def seed_ranks(scores: pd.DataFrame, fraction: float = 0.01) -> pd.DataFrame:
    """Ranks of each method per (data set, seed, metric) with ties as in :func:`rank_table`."""
    rows = []
    for (key, seed), sub in scores.groupby(["key", "seed"]):
        table = sub.pivot_table(index="method", columns="metric", values="value")
        ranks = rank_table(table, fraction)
        for method in ranks.index:
            for metric in ranks.columns:
                rows.append({"key": key, "seed": seed, "method": method, "metric": metric,
                             "rank": ranks.loc[method, metric]})
    return pd.DataFrame(rows)


SIGNED_CODES: tuple[str, ...] = tuple(m.code for m in MB.METRICS if m.sign != "absolute")


def first_or_tied_fraction(table: pd.DataFrame, method: str = "expected_gradients", fraction: float = 0.01) -> float:
    """Share of the table's metrics on which ``method`` is first or tied-first."""
    return float(first_or_tied(table, method, fraction).mean())


def per_seed_first_fraction(scores: pd.DataFrame, key: str, method: str = "expected_gradients",
                            fraction: float = 0.01) -> np.ndarray:
    """For each seed separately: the share of metrics on which ``method`` is first or tied-first."""
    sub = scores[scores["key"] == key]
    return np.array([first_or_tied_fraction(g.pivot_table(index="method", columns="metric", values="value"),
                                            method, fraction) for _, g in sub.groupby("seed")])


def relative_gap(table: pd.DataFrame, top: str = "expected_gradients", runner_up: str = "integrated_gradients",
                 baselines: tuple[str, ...] = ("gradients", "random")) -> pd.Series:
    """Per metric: (top − runner_up) / (top − best baseline): 0 = runner-up level with the top method,
    1 = runner-up no better than the baselines."""
    base = table.loc[list(baselines)].max(0)
    return (table.loc[top] - table.loc[runner_up]) / (table.loc[top] - base)


def second_or_better_fraction(table: pd.DataFrame, method: str = "integrated_gradients",
                              fraction: float = 0.01) -> float:
    """Share of metrics on which ``method`` ranks 1 or 2 (ties as in :func:`rank_table`)."""
    return float((rank_table(table, fraction).loc[method] <= 2).mean())


def baseline_ratio(table: pd.DataFrame, codes: tuple[str, ...] = SIGNED_CODES, top: str = "expected_gradients",
                   baselines: tuple[str, ...] = ("gradients", "random")) -> pd.Series:
    """Per metric in ``codes``: best baseline score / ``top``'s score (small = baselines far behind)."""
    return table.loc[list(baselines), list(codes)].max(0) / table.loc[top, list(codes)]


def eg_vs_ig_binomial(table: pd.DataFrame) -> tuple[int, int, float]:
    """The paper's test: on how many metrics EG's score exceeds IG's, and the one-tailed binomial p-value
    under 'each metric is a coin flip' (ties count against EG)."""
    wins = int((table.loc["expected_gradients"] > table.loc["integrated_gradients"]).sum())
    n = table.shape[1]
    return wins, n, float(stats.binomtest(wins, n, 0.5, alternative="greater").pvalue)


__all__ = [
    "BenchmarkSettings", "METHODS", "METHOD_LABELS", "PAPER_SOURCE", "PAPER_TABLES", "SIGNED_CODES", "baseline_ratio",
    "eg_vs_ig_binomial", "explain", "first_or_tied", "first_or_tied_fraction", "mean_table", "per_seed_first_fraction",
    "relative_gap", "second_or_better_fraction", "predictor", "rank_table", "run_benchmark", "run_replicate",
    "seed_ranks", "split", "tie_tolerance", "train_model",
]
