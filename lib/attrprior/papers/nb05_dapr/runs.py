"""The experiment loops of notebooks/05_dapr.ipynb: DAPr vs baselines on two moons (paper Fig. 2) and on the
gene-level drug-response stand-in with real MERGE meta-features (paper Table 1 style).

Every loop is seeded, returns a tidy ``pandas.DataFrame`` (one row per model and data set / split) and picks
each model's hyper-parameter from its grid by validation score, as the paper does ("all hyperparameters are
chosen based on performance on our validation sets").
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
import time
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import torch
from threadpoolctl import threadpool_limits

from .dapr import (TrainConfig, Trained, check_meta_features, global_attributions, moons_hidden, train_dapr,
                   train_merge, train_plain)
from attrprior.compendium.sweep import run_jobs
from attrprior.core.models.mlp import mlp
from .moons import make_moons_nuisance

MOONS_MODELS = ("MLP", "MLP + L1", "MLP + L2", "DAPr (noise)", "DAPr")
DRUG_MODELS = ("LASSO", "MLP", "MLP + L1", "MLP + L2", "MLP + meta inputs", "DAPr (noise)", "MERGE",
               "DAPr (drivers)")
_COUNT_COLUMNS = (0, 1)  # MERGE Mutation and Expression hub are counts: log1p before scaling


def _best(runs: list[tuple[float, Trained, float]], task: str) -> tuple[float, Trained, float]:
    """(hyper, trained, val score) with the best validation score."""
    key = (lambda r: -r[2]) if task == "classification" else (lambda r: r[2])
    return min(runs, key=key)


# --------------------------------------------------------------------------- A. two moons
def _extend_at_edge(runs: list, fit: Callable[[float], tuple], rounds: int) -> str:
    """While the best strength on validation is the largest (smallest, > 0) tried, try ×10 beyond it (÷10), at
    most ``rounds`` times; ``runs`` grows in place. Returns where the final choice lies: "high", "low" or
    "inside" ("" for a one-value grid)."""
    if len({r[0] for r in runs}) < 2:
        return ""
    for _ in range(rounds):
        h = _best(runs, "classification")[0]
        tried = sorted(r[0] for r in runs)
        if h == tried[-1]:
            runs.append(fit(float(f"{h * 10:.12g}") if h > 0 else 1e-6))
        elif h == tried[0] and h > 0:
            runs.append(fit(float(f"{h / 10:.12g}")))
        else:
            break
    h, tried = _best(runs, "classification")[0], sorted(r[0] for r in runs)
    return "high" if h == tried[-1] else "low" if h == tried[0] else "inside"


def _moons_job(task: tuple[int, int], shared: dict) -> list[dict]:
    """Every model of one two-moons data set (nuisance features ``p``, data set ``i``): one row per model with its
    best hyper-parameter on validation (a :func:`attrprior.compendium.sweep.run_jobs` job; it seeds itself from
    ``seed + 1000 i + p``)."""
    p, i = task
    data_seed = shared["seed"] + 1000 * i + p
    d = make_moons_nuisance(p, seed=data_seed)
    hidden = moons_hidden(d.n_features, shared["hidden_rule"])
    run_cfg = replace(shared["cfg"], seed=data_seed)
    args = (d.X_train, d.y_train, d.X_val, d.y_val)

    def new_f() -> torch.nn.Module:
        torch.manual_seed(data_seed)  # every model of a data set starts from the same weights
        return mlp(d.n_features, hidden, 2)

    noise_meta = np.random.default_rng(data_seed + 7).standard_normal(d.meta.shape).astype(np.float32)

    def fit(model: str, h: float) -> tuple[float, Trained, float]:
        if model.startswith("DAPr"):
            torch.manual_seed(data_seed + 1)
            meta = d.meta if model == "DAPr" else noise_meta
            t = train_dapr(new_f(), torch.nn.Linear(2, 1), meta, *args, task="classification", lam=h, cfg=run_cfg)
        else:
            kw = {"l1": h} if model == "MLP + L1" else {"l2": h} if model == "MLP + L2" else {}
            t = train_plain(new_f(), *args, task="classification", cfg=run_cfg, **kw)
        return h, t, t.score(d.X_val, d.y_val)

    rows = []
    for model in MOONS_MODELS:
        grid = list(shared["grids"][model])
        runs = [fit(model, h) for h in grid]
        edge = _extend_at_edge(runs, lambda h: fit(model, h), shared.get("extend", 0))
        h, t, val = _best(runs, "classification")
        row = dict(p=p, n_features=d.n_features, dataset=i, data_seed=data_seed, model=model, hyper=h, val_acc=val,
                   test_acc=t.score(d.X_test, d.y_test), epochs=len(t.history.epochs), g_informative=np.nan,
                   g_nuisance=np.nan, tried=len(runs), hyper_edge=edge)
        if model.startswith("DAPr"):
            imp = t.predicted_importance()
            row.update(g_informative=float(imp[d.informative].mean()), g_nuisance=float(imp[~d.informative].mean()))
        rows.append(row)
    return rows


def run_moons(p_grid: Sequence[int], n_datasets: int, *, cfg: TrainConfig, hidden_rule: str = "paper",
              lam_grid: Sequence[float] = (1.0,), l1_grid: Sequence[float] = (1e-4,),
              l2_grid: Sequence[float] = (1e-3,), seed: int = 0, progress: bool = True,
              workers: int = 1, store_dir: Path | str | None = None, extend: int = 0) -> pd.DataFrame:
    """Test accuracy of MLP, MLP + L1, MLP + L2, DAPr (linear g on per-feature mean and sd) and, as a control,
    DAPr (noise) (linear g on N(0, 1) meta-features) on ``n_datasets`` two-moons data sets per number of
    nuisance features p. Columns: p, dataset, data_seed, model, hyper,
    val_acc, test_acc, epochs, g_informative, g_nuisance (DAPr's predicted importance, mean over each group),
    tried (strengths tried) and hyper_edge (where the choice lies among them). ``extend`` rounds go ×10 beyond a
    grid edge the validation choice sits on (:func:`_extend_at_edge`).
    Each data set is one job on the sweep executor (``workers`` processes, or ``ATTRPRIOR_SCHEDULER``)."""
    grids = {"MLP": [0.0], "MLP + L1": list(l1_grid), "MLP + L2": list(l2_grid), "DAPr": list(lam_grid),
             "DAPr (noise)": list(lam_grid)}
    if not isinstance(extend, int) or extend < 0:
        raise ValueError(f"extend must be an int >= 0, got {extend!r}")
    shared = {"cfg": cfg, "hidden_rule": hidden_rule, "grids": grids, "seed": seed, "extend": extend}
    tasks = [(int(p), i) for p in p_grid for i in range(n_datasets)]
    order = sorted(range(len(tasks)), key=lambda j: -tasks[j][0])  # the widest (slowest) data sets first
    out = run_jobs(_moons_job, tasks, workers, shared, order=order, desc="two moons", progress=progress,
                   describe=lambda t: f"two moons p={t[0]} data set {t[1]}", store_dir=store_dir)
    return pd.DataFrame([row for rows in out for row in rows])


# --------------------------------------------------------------------------- B. drug response
def prepare_meta(raw: np.ndarray) -> np.ndarray:
    """MERGE meta-features for g: log1p of the count columns (Mutation, Expression hub), then each column
    standardised to mean 0, sd 1 over the modelled genes."""
    m = np.asarray(raw, dtype=np.float64).copy()
    if m.ndim != 2:
        raise ValueError(f"meta-features must be [genes, k], got shape {m.shape}")
    if not np.isfinite(m).all():
        raise ValueError("meta-features contain NaN or inf")
    cols = [c for c in _COUNT_COLUMNS if c < m.shape[1]]
    m[:, cols] = np.log1p(np.clip(m[:, cols], 0, None))
    sd = m.std(0)
    return ((m - m.mean(0)) / np.where(sd > 0, sd, 1.0)).astype(np.float32)


def meta_as_inputs(X: np.ndarray, meta: np.ndarray) -> np.ndarray:
    """The naive use of meta-features (paper's "MLP w/ Drivers"): each gene's expression and its products with
    the gene's k meta-features, i.e. ``[X, X ⊙ M[:, 0], …, X ⊙ M[:, k-1]]`` ``[n, p (1 + k)]``."""
    meta = check_meta_features(meta, X.shape[1]).numpy()
    return np.concatenate([X] + [X * meta[:, j] for j in range(meta.shape[1])], axis=1).astype(np.float32)


def _auroc(importance: np.ndarray, truth: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(truth.astype(int), importance)) if 0 < truth.sum() < truth.size else np.nan


@dataclass
class DrugResults:
    """Per split × model: hyper, val_mse, test_mse, auroc (driver recovery). ``importance`` holds each model's
    gene importance on the first split; ``priors`` the first split's DAPr models (for second-order analyses)."""

    table: pd.DataFrame
    importance: dict[str, np.ndarray] = field(default_factory=dict)
    priors: dict[str, Trained] = field(default_factory=dict)
    meta: dict[str, np.ndarray] = field(default_factory=dict)


def _split_job(s: int, shared: dict) -> tuple[list[dict], dict[str, np.ndarray], dict[str, Trained]]:
    """Every model on split ``s`` (a :func:`attrprior.compendium.sweep.run_jobs` job; it seeds itself from
    ``seed + s`` and ``seed + 100 s``): the table rows and, for split 0, the importances and the DAPr models.
    BLAS runs on one thread, as in a Dask worker."""
    from sklearn.linear_model import Lasso

    X, y, meta, models, seed = shared["X"], shared["y"], shared["meta"], shared["models"], shared["seed"]
    n, p = X.shape
    drivers, attr_samples, hidden = shared["drivers"], shared["attr_samples"], shared["hidden"]
    perm = np.random.default_rng(seed + s).permutation(n)
    n_te, n_va = int(round(0.2 * n)), int(round(0.2 * n))
    te, va, tr = perm[:n_te], perm[n_te:n_te + n_va], perm[n_te + n_va:]
    mu, sd = X[tr].mean(0), X[tr].std(0) + 1e-6
    ym, ys = y[tr].mean(), y[tr].std() + 1e-6
    Xs, ysd = (X - mu) / sd, (y - ym) / ys
    split_seed = seed + 100 * s
    run_cfg = replace(shared["cfg"], seed=split_seed)
    args = (Xs[tr], ysd[tr], Xs[va], ysd[va])

    def new_f(d_in: int = p) -> torch.nn.Module:
        torch.manual_seed(split_seed)
        return mlp(d_in, hidden, 1)

    def importance(t: Trained, Xte: np.ndarray, Xref: np.ndarray) -> np.ndarray:
        return global_attributions(t, Xte, Xref, n_samples=attr_samples, seed=split_seed)

    rows, importances, priors = [], {}, {}
    with threadpool_limits(limits=1, user_api="blas"):
        for model in models:
            start = time.time()
            runs = []
            if model == "LASSO":
                for a in shared["lasso_alphas"]:
                    las = Lasso(alpha=float(a), max_iter=5000).fit(Xs[tr], ysd[tr])
                    runs.append((float(a), las, float(np.mean((las.predict(Xs[va]) - ysd[va]) ** 2))))
                a, las, val = min(runs, key=lambda r: r[2])
                test = float(np.mean((las.predict(Xs[te]) - ysd[te]) ** 2))
                imp = np.abs(las.coef_)
            elif model == "MLP + meta inputs":
                Xa = meta_as_inputs(Xs, meta["drivers"])
                t = train_plain(new_f(Xa.shape[1]), Xa[tr], ysd[tr], Xa[va], ysd[va], task="regression", cfg=run_cfg)
                a, val, test = 0.0, t.score(Xa[va], ysd[va]), t.score(Xa[te], ysd[te])
                imp = importance(t, Xa[te], Xa[tr]).reshape(-1, p).sum(0)  # a gene's columns summed
            else:
                grids = shared["grids"]
                if model in ("MLP", "MLP + L1", "MLP + L2"):
                    key = {"MLP": None, "MLP + L1": "l1", "MLP + L2": "l2"}[model]
                    fits = [(h, train_plain(new_f(), *args, task="regression", cfg=run_cfg,
                                            **({key: h} if key else {}))) for h in grids[model]]
                elif model == "MERGE":
                    fits = [(h, train_merge(meta["drivers"], *args, lam=h, cfg=replace(run_cfg, lr=shared["merge_lr"])))
                            for h in grids["MERGE"]]
                else:
                    m = meta["drivers" if model == "DAPr (drivers)" else "noise"]
                    fits = []
                    for h in grids["DAPr"]:
                        torch.manual_seed(split_seed + 1)
                        g = mlp(m.shape[1], shared["prior_hidden"], 1)
                        fits.append((h, train_dapr(new_f(), g, m, *args, task="regression", lam=h, cfg=run_cfg)))
                runs = [(h, t, t.score(Xs[va], ysd[va])) for h, t in fits]
                a, t, val = _best(runs, "regression")
                test = t.score(Xs[te], ysd[te])
                imp = (np.abs(t.model.weight.detach().cpu().numpy().ravel()) if model == "MERGE"
                       else importance(t, Xs[te], Xs[tr]))
                if s == 0 and model.startswith("DAPr"):
                    priors[model] = t
            if s == 0:
                importances[model] = imp
            rows.append(dict(split=s, model=model, hyper=a, val_mse=val, test_mse=test, auroc=_auroc(imp, drivers),
                             n_train=len(tr), n_genes=p, seconds=time.time() - start))
    return rows, importances, priors


def run_drug_response(X: np.ndarray, y: np.ndarray, meta_raw: np.ndarray, drivers: np.ndarray, n_splits: int, *,
                      cfg: TrainConfig, hidden: Sequence[int] = (512, 256), prior_hidden: Sequence[int] = (5, 3),
                      lam_grid: Sequence[float] = (1.0,), l1_grid: Sequence[float] = (1e-4,),
                      l2_grid: Sequence[float] = (1e-3,), merge_lam_grid: Sequence[float] = (1.0,),
                      merge_lr: float = 1e-2,
                      lasso_alphas: Sequence[float] = tuple(np.logspace(-3, 0, 10)),
                      models: Sequence[str] = DRUG_MODELS, attr_samples: int = 20, seed: int = 0,
                      progress: bool = True, workers: int = 1, store_dir: Path | str | None = None) -> DrugResults:
    """Compare the Table 1 models on one drug's data (``X`` patients × genes, ``y``) over ``n_splits`` random
    60/20/20 splits. X and y are standardised with training statistics; MSE is on the standardised y scale.
    DAPr (drivers) uses :func:`prepare_meta` of the real MERGE values, DAPr (noise) N(0, 1) meta-features of the
    same shape. Driver recovery: AUROC of each model's gene importance (mean |EG| on the test patients, |coef|
    for the linear models) against the simulation's true driver genes. The MERGE baseline (a linear model) uses
    its own Adam learning rate ``merge_lr``. Each split is one job on the sweep executor (``workers``
    processes, or ``ATTRPRIOR_SCHEDULER``)."""
    unknown = set(models) - set(DRUG_MODELS)
    if unknown:
        raise ValueError(f"unknown models {sorted(unknown)}; choose from {DRUG_MODELS}")
    X, y = np.asarray(X, np.float32), np.asarray(y, np.float32)
    meta = {"drivers": prepare_meta(meta_raw),
            "noise": np.random.default_rng(seed + 7).standard_normal(np.shape(meta_raw)).astype(np.float32)}
    check_meta_features(meta["drivers"], X.shape[1])
    grids = {"MLP": [0.0], "MLP + L1": list(l1_grid), "MLP + L2": list(l2_grid), "MERGE": list(merge_lam_grid),
             "DAPr": list(lam_grid)}
    shared = {"X": X, "y": y, "meta": meta, "drivers": np.asarray(drivers, bool), "cfg": cfg, "hidden": tuple(hidden),
              "prior_hidden": tuple(prior_hidden), "grids": grids, "merge_lr": merge_lr,
              "lasso_alphas": list(lasso_alphas), "models": list(models), "attr_samples": attr_samples, "seed": seed}
    out = run_jobs(_split_job, list(range(n_splits)), workers, shared, desc="drug response", progress=progress,
                   describe=lambda s: f"drug response split {s}", store_dir=store_dir)
    results = DrugResults(pd.DataFrame([row for rows, _, _ in out for row in rows]), meta=meta)
    if out:
        results.importance, results.priors = out[0][1], out[0][2]
    return results


def summarise(table: pd.DataFrame, by: Sequence[str], value: str) -> pd.DataFrame:
    """Mean, standard error (sd/√n) and n of ``value`` per group."""
    g = table.groupby(list(by), sort=False)[value]
    out = g.agg(["mean", "std", "count"]).rename(columns={"count": "n"})
    out["se"] = out["std"] / np.sqrt(out["n"])
    return out.drop(columns="std").reset_index()
