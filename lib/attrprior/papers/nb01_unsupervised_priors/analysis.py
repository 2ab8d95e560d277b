"""Analysis of notebook 01's sweeps: per-prior tables, contrasts against the λ = 0 VAEs over seeds,
summaries, and the saved saliency maps (see :mod:`attrprior.papers.nb01_unsupervised_priors.sweep` for the runs themselves)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from attrprior.core.metrics.seed_tests import welch
from .sweep import METRICS, RunSpec


def _map_key(run: RunSpec) -> str:
    return f"{run.kind}|{run.prior}|{run.lam:g}|{run.mode}|{run.beta:g}|{run.seed}"


def save_maps(maps: dict[RunSpec, Tensor], images: Tensor, path, seeds: Sequence[int] = (0,)) -> None:
    """Write the kept saliency maps of the runs with a seed in ``seeds``, and the held-out ``images`` they
    explain, to a compressed ``.npz`` (float16): a result a reader can plot without the models."""
    arrays = {_map_key(r): m.numpy().astype(np.float16) for r, m in maps.items() if r.seed in set(seeds)}
    np.savez_compressed(path, images=images.numpy().astype(np.float16), **arrays)


def load_maps(path) -> tuple[dict[RunSpec, Tensor], Tensor]:
    """``(maps keyed by RunSpec, images)`` as written by :func:`save_maps`."""
    out = {}
    with np.load(path) as npz:
        images = torch.from_numpy(npz["images"].astype(np.float32))
        for key in (k for k in npz.files if k != "images"):
            kind, prior, lam, mode, beta, seed = key.split("|")
            run = RunSpec(kind, int(seed), prior, float(lam), mode, float(beta))
            out[run] = torch.from_numpy(npz[key].astype(np.float32))
    return out, images


def prior_table(frame: pd.DataFrame, prior: str, mode: str) -> pd.DataFrame:
    """Rows of one prior in one mode plus the shared λ = 0 baselines (labelled with that prior/mode)."""
    base = frame[frame.kind == "vae"].assign(prior=prior, mode=mode, lam=0.0)
    rows = frame[(frame.kind == "prior") & (frame.prior == prior) & (frame["mode"] == mode)]
    return pd.concat([base, rows], ignore_index=True).sort_values(["lam", "seed"], ignore_index=True)


# --------------------------------------------------------------------------- statistics over seeds
def select_runs(frame: pd.DataFrame, **where) -> pd.DataFrame:
    """Rows matching every ``column=value`` (floats compared with a tolerance); ok runs only."""
    mask = frame["status"] == "ok"
    for col, value in where.items():
        mask &= np.isclose(frame[col], value) if isinstance(value, float) else frame[col] == value
    return frame[mask]


def contrast(frame: pd.DataFrame, metric: str, alternative: str, baseline: dict | None = None, **where) -> dict:
    """Compare ``metric`` of the runs selected by ``where`` with the baseline runs (default: the shared
    λ = 0 VAE), seed by seed.

    Returns means and SDs over seeds, the per-seed paired ratio treated/baseline, its inverse
    ``factor`` = baseline/treated ("k× lower") and the relative change (treated − baseline)/baseline
    (each mean and SD over seeds), and Welch's t-test over seeds (``alternative``:
    "less" = treated lower, "greater" = treated higher, "two-sided").
    """
    treated = select_runs(frame, **where).set_index("seed")[metric]
    base = select_runs(frame, **(baseline or {"kind": "vae"})).set_index("seed")[metric]
    if treated.empty or base.empty:
        raise ValueError(f"no runs for {where} or for the baseline {baseline or {'kind': 'vae'}}")
    seeds = sorted(set(treated.index) & set(base.index))
    ratio = np.array([treated[s] / base[s] for s in seeds])
    factor = np.array([base[s] / treated[s] for s in seeds])
    t, p = welch(treated.values, base.values, alternative)
    sd = lambda v: float(np.std(v, ddof=1)) if len(v) > 1 else float("nan")  # noqa: E731
    return {
        "metric": metric, "n": len(treated), "seeds": [int(s) for s in treated.index],
        "mean": float(treated.mean()), "sd": sd(treated.values),
        "base_mean": float(base.mean()), "base_sd": sd(base.values),
        "ratio": float(ratio.mean()) if len(ratio) else float("nan"), "ratio_sd": sd(ratio),
        "factor": float(factor.mean()) if len(factor) else float("nan"), "factor_sd": sd(factor),
        "rel_change": float((ratio - 1).mean()) if len(ratio) else float("nan"), "rel_change_sd": sd(ratio - 1),
        "t": t, "p": p, "alternative": alternative,
    }


def relative_effects(frame: pd.DataFrame, prior: str, metric: str, mode: str, lambdas: Sequence[float]) -> np.ndarray:
    """``[n_seeds, len(lambdas)]`` relative change (treated − λ=0)/λ=0 of ``metric`` per seed and λ
    (NaN where a run is missing or diverged)."""
    base = select_runs(frame, kind="vae").set_index("seed")[metric]
    out = np.full((len(base), len(lambdas)), np.nan)
    for k, lam in enumerate(lambdas):
        rows = select_runs(frame, kind="prior", prior=prior, mode=mode, lam=float(lam)).set_index("seed")[metric]
        for i, seed in enumerate(base.index):
            if seed in rows.index:
                out[i, k] = rows[seed] / base[seed] - 1
    return out


def add_paired_change(frame: pd.DataFrame, metrics: Sequence[str] = ("recon",)) -> pd.DataFrame:
    """A copy of ``frame`` with ``<metric>_change`` = value / (same seed's λ = 0 value) − 1 per run."""
    base = select_runs(frame, kind="vae").set_index("seed")
    out = frame.copy()
    for m in metrics:
        out[f"{m}_change"] = out[m] / out["seed"].map(base[m]) - 1
    return out


def summarize(frame: pd.DataFrame, metrics: Sequence[str] = METRICS) -> pd.DataFrame:
    """Mean and SD over seeds of every metric for each configuration (ok runs only)."""
    ok = frame[frame.status == "ok"]
    keys = ["kind", "prior", "lam", "mode", "beta"]
    agg = ok.groupby(keys, dropna=False)[list(metrics)].agg(["mean", "std"])
    agg.columns = [f"{m}_{s}" for m, s in agg.columns]
    agg.insert(0, "n_seeds", ok.groupby(keys, dropna=False).size())
    return agg.reset_index()


__all__ = ["add_paired_change", "contrast", "load_maps", "prior_table", "relative_effects", "save_maps",
           "select_runs", "summarize", "welch"]
