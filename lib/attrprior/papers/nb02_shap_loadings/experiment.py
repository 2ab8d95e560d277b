"""Experiments of notebook 02: do SHAP values of VAE latents recover sparse loadings?

Pipeline for one replicate (:func:`run_replicate`): simulate ``X = (LF)ᵀ + ε`` (``simulate.loadings``),
fit a VAE with ``training.fit``, attribute every latent mean μ_j to every feature — with the ``shap``
package's ``GradientExplainer`` and with ``attributions.latent_attributions(method="expected_gradients")``
— and turn the attributions into a loading estimate ``mean_b |φ_b,j,i|`` (latents × features). Latents
are matched to the true factors by the Hungarian assignment on ``|corr(μ, F)|``; each factor's
matched importance row is scored against the true non-zero pattern of ``L`` with AUROC and average
precision. PCA and factor-analysis loadings and a linear VAE are scored the same way. Every method is scored in
each latent basis of :data:`rotation.ROTATIONS` — its own (``none``), after varimax, after an oracle Procrustes
match to ``F`` — the same rotation rule for every method (:mod:`.rotation`).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from scipy.optimize import linear_sum_assignment
from scipy.stats import levene, rankdata, spearmanr
from sklearn.decomposition import PCA, FactorAnalysis
from sklearn.metrics import average_precision_score
from threadpoolctl import threadpool_limits

from attrprior.core.attributions import latent_attributions
from .tabular_vae import TabularVAE, linear_vae, mlp_vae
from .factor_model import LoadingsData, simulate_loadings
from .rotation import ROTATIONS, rotate_encoder, rotate_loadings, rotate_scores, rotation
from attrprior.core.training import History, Step, default_device, fit, make_loader, seed_everything

METHODS = ("vae_shap", "vae_eg", "linear_vae", "pca", "fa")
METHOD_LABELS = {"vae_shap": "VAE + shap GradientExplainer", "vae_eg": "VAE + our EG",
                 "linear_vae": "linear VAE + our EG", "pca": "PCA loadings", "fa": "FA loadings"}
ROTATION_LABELS = {"none": "no rotation", "varimax": "varimax", "procrustes": "Procrustes to F (oracle)"}


# --------------------------------------------------------------------------- models
@dataclass(frozen=True)
class TrainConfig:
    """VAE hyper-parameters: ``hidden=0`` gives the linear VAE."""

    hidden: int = 64
    epochs: int = 60
    batch_size: int = 128
    lr: float = 1e-3
    beta: float = 1.0


def train_vae(X: np.ndarray, k: int, config: TrainConfig = TrainConfig(), seed: int = 0,
              device: torch.device | str | None = None, progress: bool = False) -> tuple[TabularVAE, History]:
    """Fit a VAE (MLP, or linear when ``config.hidden == 0``) on ``X [n, p]`` with ``training.fit``;
    returns the model in eval mode on ``device`` and its history."""
    device = torch.device(device) if device is not None else default_device()
    seed_everything(seed)
    model = (linear_vae(X.shape[1], k) if config.hidden == 0 else mlp_vae(X.shape[1], k, config.hidden)).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    loader = make_loader(torch.as_tensor(X, dtype=torch.float32), batch_size=config.batch_size, seed=seed)
    step = Step("elbo", optimiser, lambda batch: model.loss(batch[0], beta=config.beta))
    history = fit([step], loader, config.epochs, model=model, device=device, progress=progress,
                  desc=f"VAE k={k} seed={seed}")
    return model.eval(), history


def latent_means(model: TabularVAE, X: np.ndarray) -> np.ndarray:
    """Posterior means μ(x), ``[n, k]``."""
    device = next(model.parameters()).device
    with torch.no_grad():
        return model.encode(torch.as_tensor(X, dtype=torch.float32, device=device))[0].cpu().numpy()


# --------------------------------------------------------------------------- attributions
def eg_latent_attributions(model: TabularVAE, X_explain: np.ndarray, background: np.ndarray,
                           n_samples: int = 100, seed: int = 0) -> np.ndarray:
    """Expected gradients of every latent mean w.r.t. every feature, ``[N, k, p]``, from the
    attribution core (references drawn from ``background``, ``n_samples`` draws per input)."""
    device = next(model.parameters()).device
    x = torch.as_tensor(X_explain, dtype=torch.float32, device=device)
    refs = torch.as_tensor(background, dtype=torch.float32, device=device)
    attr = latent_attributions(model.mean_encoder(), x, method="expected_gradients", references=refs,
                               n_samples=n_samples, generator=torch.Generator().manual_seed(seed))
    return attr.detach().cpu().numpy()


def shap_latent_attributions(model: TabularVAE, X_explain: np.ndarray, background: np.ndarray,
                             n_samples: int = 100, seed: int = 0) -> np.ndarray:
    """The ``shap`` package's GradientExplainer (expected gradients) on every latent mean, ``[N, k, p]``."""
    import shap

    device = next(model.parameters()).device
    encoder = model.mean_encoder().eval()
    explainer = shap.GradientExplainer(encoder, torch.as_tensor(background, dtype=torch.float32, device=device))
    values = explainer.shap_values(torch.as_tensor(X_explain, dtype=torch.float32, device=device),
                                   nsamples=n_samples, rseed=seed)
    values = np.asarray(values)  # [N, p, k] for a multi-output model, [N, p] for one output
    return values[:, None, :] if values.ndim == 2 else np.transpose(values, (0, 2, 1))


def importance(attr: np.ndarray) -> np.ndarray:
    """Loading estimate mean_b |φ_b| — ``[N, d, p]`` attributions → ``[d, p]``."""
    if attr.ndim != 3:
        raise ValueError(f"expected attributions [N, latents, features], got shape {attr.shape}")
    return np.abs(attr).mean(0)


def spearman_agreement(imp_a: np.ndarray, imp_b: np.ndarray) -> np.ndarray:
    """Spearman rank correlation across features of two ``[d, p]`` importance matrices, per latent."""
    if imp_a.shape != imp_b.shape:
        raise ValueError(f"importance shapes differ: {imp_a.shape} vs {imp_b.shape}")
    return np.array([spearmanr(a, b)[0] for a, b in zip(imp_a, imp_b)])


def brown_forsythe(values_on: np.ndarray, values_off: np.ndarray) -> tuple[float, float, float]:
    """Levene's test with median centring (Brown–Forsythe) on two samples of attributions:
    ``(statistic, p_value, sd_on / sd_off)``."""
    stat, p = levene(values_on, values_off, center="median")
    return float(stat), float(p), float(np.std(values_on, ddof=1) / max(np.std(values_off, ddof=1), 1e-300))


# --------------------------------------------------------------------------- matching and scoring
@dataclass(frozen=True)
class Matching:
    """Hungarian assignment of latents to factors: ``latent_of[j]`` explains factor j;
    ``abs_corr`` is ``|corr(latent_i, factor_j)|`` as ``[d, k]``."""

    latent_of: np.ndarray
    abs_corr: np.ndarray

    @property
    def matched_corr(self) -> np.ndarray:
        """|corr| of each factor with its matched latent, ``[k]``."""
        return self.abs_corr[self.latent_of, np.arange(self.abs_corr.shape[1])]

    @property
    def quality(self) -> float:
        """Mean matched |corr| (1 = every factor exactly recovered by one latent)."""
        return float(self.matched_corr.mean())


def abs_corr(latents: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """``|corr(latents[:, i], factors[:, j])|``, ``[d, k]``; constant columns give 0."""
    if latents.ndim != 2 or factors.ndim != 2 or latents.shape[0] != factors.shape[0]:
        raise ValueError(f"need [n, d] latents and [n, k] factors, got {latents.shape}, {factors.shape}")
    a = latents - latents.mean(0)
    b = factors - factors.mean(0)
    na, nb = np.linalg.norm(a, axis=0), np.linalg.norm(b, axis=0)
    corr = (a.T @ b) / np.maximum(np.outer(na, nb), 1e-300)
    corr[(na == 0)[:, None] | (nb == 0)[None, :]] = 0.0
    return np.abs(corr)


def match_latents(latents: np.ndarray, factors: np.ndarray) -> Matching:
    """Match latents ``[n, d]`` to factors ``[n, k]`` (d ≥ k) maximising total |corr|
    (scipy.optimize.linear_sum_assignment)."""
    c = abs_corr(latents, factors)
    if c.shape[0] < c.shape[1]:
        raise ValueError(f"need at least as many latents ({c.shape[0]}) as factors ({c.shape[1]})")
    rows, cols = linear_sum_assignment(-c)
    latent_of = np.empty(c.shape[1], dtype=int)
    latent_of[cols] = rows
    return Matching(latent_of=latent_of, abs_corr=c)


def subspace_r2(latents: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """R² of a least-squares regression of each factor on all latents (with intercept), ``[k]``:
    near 1 when the latents span the factor space even if they mix factors (a rotation)."""
    A = np.column_stack([latents, np.ones(len(latents))])
    coef, *_ = np.linalg.lstsq(A, factors, rcond=None)
    resid = factors - A @ coef
    tot = ((factors - factors.mean(0)) ** 2).sum(0)
    return 1.0 - (resid ** 2).sum(0) / np.maximum(tot, 1e-300)


def auroc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve via the Mann–Whitney U statistic (ties count ½)."""
    labels = np.asarray(labels).astype(bool).ravel()
    scores = np.asarray(scores, dtype=float).ravel()
    if labels.shape != scores.shape:
        raise ValueError(f"labels {labels.shape} and scores {scores.shape} differ in shape")
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("AUROC needs both positive and negative labels")
    ranks = rankdata(scores)
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def score_loadings(imp: np.ndarray, support: np.ndarray, matching: Matching) -> pd.DataFrame:
    """AUROC and AP of each factor's matched importance row against ``support[:, j]`` (L ≠ 0)."""
    rows = []
    for j, lat in enumerate(matching.latent_of):
        rows.append({"factor": j + 1, "latent": int(lat), "auroc": auroc(support[:, j], imp[lat]),
                     "ap": float(average_precision_score(support[:, j], imp[lat])),
                     "match_corr": float(matching.matched_corr[j])})
    return pd.DataFrame(rows)


def linear_loadings(X: np.ndarray, k: int, method: str = "pca", seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Unrotated PCA or factor-analysis solution: ``(signed components [k, p], scores [n, k])``. PCA's components
    are its encoder (orthonormal rows); FA's are loadings Λᵀ. The rotation comes later, the same for every method."""
    if method == "pca":
        est = PCA(n_components=k, random_state=seed)
    elif method == "fa":
        est = FactorAnalysis(n_components=k, rotation=None, random_state=seed)
    else:
        raise ValueError(f"method must be 'pca' or 'fa', got {method!r}")
    scores = est.fit_transform(X)
    return est.components_, scores


# --------------------------------------------------------------------------- one replicate
@dataclass
class Replicate:
    """Everything one seed produces: per-factor scores of each method in each latent basis (column
    ``rotation``), raw attributions, and matchings, importances and rotations ``(R, sd)`` keyed by
    ``(method, rotation)``."""

    data: LoadingsData
    scores: pd.DataFrame
    matchings: dict[tuple[str, str], Matching]
    importances: dict[tuple[str, str], np.ndarray]
    attributions: dict[str, np.ndarray] = field(default_factory=dict)
    histories: dict[str, History] = field(default_factory=dict)
    rotations: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def rotated_attributions(self, method: str, rotation: str) -> np.ndarray:
        """``[N, d, p]`` attributions of the rotated latents (kept attributions only)."""
        R, sd = self.rotations[(method, rotation)]
        return rotate_encoder(self.attributions[method], R, sd)


def split_rows(n: int, n_explain: int, n_background: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint random row indices for the explained samples and the background (reference) sample."""
    if n_explain + n_background > n:
        raise ValueError(f"n_explain + n_background = {n_explain + n_background} exceeds n = {n}")
    perm = np.random.default_rng(seed + 10_000).permutation(n)
    return perm[:n_explain], perm[n_explain:n_explain + n_background]


def run_replicate(data: LoadingsData, config: TrainConfig = TrainConfig(), methods: Sequence[str] = METHODS,
                  n_explain: int = 100, n_background: int = 100, n_samples: int = 100, seed: int = 0,
                  device: torch.device | str | None = None, keep_attributions: bool = False,
                  progress: bool = False, rotations: Sequence[str] = ROTATIONS) -> Replicate:
    """Fit, attribute, match and score every method in ``methods`` on one simulated data set, in every latent
    basis of ``rotations`` (``progress`` shows the VAE training bars)."""
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown methods {sorted(unknown)}; choose from {METHODS}")
    if set(rotations) - set(ROTATIONS):
        raise ValueError(f"unknown rotations {sorted(set(rotations) - set(ROTATIONS))}; choose from {ROTATIONS}")
    explain, background = split_rows(data.n, n_explain, n_background, seed)
    factors = data.F.T
    frames, matchings, imps, attrs, hists, rots = [], {}, {}, {}, {}, {}
    models: dict[str, TabularVAE] = {}
    for method in methods:
        if method in ("vae_shap", "vae_eg", "linear_vae"):
            kind = "linear_vae" if method == "linear_vae" else "vae"
            if kind not in models:
                cfg = replace(config, hidden=0) if kind == "linear_vae" else config
                models[kind], hists[kind] = train_vae(data.X, data.k, cfg, seed=seed, device=device,
                                                      progress=progress)
            model = models[kind]
            explainer = shap_latent_attributions if method == "vae_shap" else eg_latent_attributions
            estimate = explainer(model, data.X[explain], data.X[background], n_samples=n_samples, seed=seed)
            Z, transform = latent_means(model, data.X), rotate_encoder
            if keep_attributions:
                attrs[method] = estimate
        else:
            estimate, Z = linear_loadings(data.X, data.k, method, seed=seed)
            transform = rotate_loadings if method == "fa" else rotate_encoder
        r2 = subspace_r2(Z, factors)  # invariant under any invertible change of basis
        for rot in rotations:
            R, sd = rotation(Z, data.X, rot, factors)
            rotated = transform(estimate, R, sd)
            imp = importance(rotated) if rotated.ndim == 3 else np.abs(rotated)
            match = match_latents(rotate_scores(Z, R, sd), factors)
            frame = score_loadings(imp, data.support, match)
            frame["subspace_r2"] = r2
            frame.insert(0, "rotation", rot)
            frame.insert(0, "method", method)
            frames.append(frame)
            matchings[(method, rot)], imps[(method, rot)], rots[(method, rot)] = match, imp, (R, sd)
    scores = pd.concat(frames, ignore_index=True)
    scores.insert(0, "seed", seed)
    return Replicate(data=data, scores=scores, matchings=matchings, importances=imps, attributions=attrs,
                     histories=hists, rotations=rots)


def _replicate_job(seed: int, shared: dict) -> Replicate:
    """One main-experiment seed: simulate, fit, attribute, score (a :func:`attrprior.compendium.sweep.run_jobs`
    job; every random draw comes from ``seed``). BLAS runs on one thread, as in a Dask worker: PCA's SVD
    differs in the last bits between thread counts."""
    with threadpool_limits(limits=1, user_api="blas"):
        data = simulate_loadings(**shared["sim"], seed=seed)
        return run_replicate(data, shared["config"], shared["methods"], shared["n_explain"], shared["n_background"],
                             shared["n_samples"], seed, shared["device"], keep_attributions=shared["keep_attributions"])


def run_replicates(sim: dict, seeds: Sequence[int], config: TrainConfig = TrainConfig(),
                   methods: Sequence[str] = METHODS, n_explain: int = 100, n_background: int = 100,
                   n_samples: int = 100, device: torch.device | str | None = None, keep_attributions: bool = True,
                   progress: bool = True, workers: int = 1, store_dir: Path | str | None = None) -> list[Replicate]:
    """:func:`run_replicate` on ``simulate_loadings(**sim, seed=s)`` for every seed, one job per seed on the sweep
    executor (``workers`` processes, or ``ATTRPRIOR_SCHEDULER``); the replicates come back in seed order and do
    not depend on where they ran."""
    from attrprior.compendium.sweep import run_jobs

    shared = {"sim": dict(sim), "config": config, "methods": tuple(methods), "n_explain": n_explain,
              "n_background": n_background, "n_samples": n_samples, "device": device,
              "keep_attributions": keep_attributions}
    return run_jobs(_replicate_job, [int(s) for s in seeds], workers, shared, desc="seeds", progress=progress,
                    describe=lambda s: f"replicate seed {s}", store_dir=store_dir)


# --------------------------------------------------------------------------- sweeps
SWEEP_METRICS = ["auroc", "ap", "match_corr", "subspace_r2"]


def _sweep_job(kwargs: dict, shared: dict) -> pd.DataFrame:
    """One sweep point (simulator arguments incl. ``seed``): mean scores per (method, rotation); BLAS on one
    thread as in :func:`_replicate_job`."""
    with threadpool_limits(limits=1, user_api="blas"):
        data = simulate_loadings(**kwargs)
        rep = run_replicate(data, shared["config"], shared["methods"], shared["n_explain"], shared["n_background"],
                            shared["n_samples"], kwargs["seed"], shared["device"])
    return rep.scores.groupby(["method", "rotation"], sort=False)[SWEEP_METRICS].mean().reset_index()


def sweep(base: dict, grid: dict[str, Sequence[float]], seeds: Sequence[int], config: TrainConfig = TrainConfig(),
          methods: Sequence[str] = ("vae_eg", "linear_vae", "pca", "fa"), n_explain: int = 100,
          n_background: int = 100, n_samples: int = 50, device: torch.device | str | None = None,
          progress: bool = True, workers: int = 1, store_dir: Path | str | None = None) -> pd.DataFrame:
    """Vary one simulator argument at a time around ``base`` (keyword arguments of ``simulate_loadings``).

    ``grid`` maps an argument name (``sparsity``, ``noise``, ``k`` ...) to its values. Returns one row per
    (axis, value, seed, method, rotation) with the mean AUROC/AP over factors, the matching quality and the
    subspace R². Every distinct setting is one job on the sweep executor (``workers`` processes, or
    ``ATTRPRIOR_SCHEDULER``); a setting shared by several axes (the base point) is computed once and reused.
    The poster's anchor features are not imposed unless ``base`` asks for them (``anchors=(150, 600)``).
    """
    from attrprior.compendium.sweep import run_jobs

    points = [(axis, v, s) for axis, values in grid.items() for v in values for s in seeds]
    settings: dict[tuple, dict] = {}
    for axis, value, seed in points:
        kwargs = {"anchors": None, **base, axis: value, "seed": seed}
        settings.setdefault(tuple(sorted(kwargs.items())), kwargs)
    shared = {"config": config, "methods": tuple(methods), "n_explain": n_explain, "n_background": n_background,
              "n_samples": n_samples, "device": device}
    keys = list(settings)
    out = run_jobs(_sweep_job, [settings[k] for k in keys], workers, shared, desc="sweep", progress=progress,
                   describe=lambda kw: "sweep point " + ", ".join(f"{k}={v}" for k, v in kw.items()), store_dir=store_dir)
    frames = dict(zip(keys, out))
    rows = []
    for axis, value, seed in points:
        key = tuple(sorted({"anchors": None, **base, axis: value, "seed": seed}.items()))
        rows += [{"axis": axis, "value": value, "seed": seed, **rec} for rec in frames[key].to_dict("records")]
    return pd.DataFrame(rows)


def sweep_series(table: pd.DataFrame, axis: str, metric: str = "auroc",
                 rotation: str = "varimax") -> tuple[list[float], dict[str, np.ndarray]]:
    """Reshape one axis of a sweep table (in one latent basis) for ``plotting.common.mean_se_lines``: x values
    and, per method, an array ``[n_seeds, n_values]``."""
    sub = table[(table["axis"] == axis) & (table["rotation"] == rotation)]
    if sub.empty:
        raise ValueError(f"axis {axis!r} not in the sweep table")
    xs = sorted(sub["value"].unique())
    series = {}
    for method, grp in sub.groupby("method", sort=False):
        wide = grp.pivot_table(index="seed", columns="value", values=metric).reindex(columns=xs)
        series[METHOD_LABELS.get(method, method)] = wide.to_numpy()
    return [float(x) for x in xs], series


__all__ = [
    "METHODS", "METHOD_LABELS", "Matching", "ROTATION_LABELS", "Replicate", "TrainConfig", "abs_corr", "auroc", "brown_forsythe",
    "eg_latent_attributions", "importance", "latent_means", "linear_loadings", "match_latents", "run_replicate",
    "run_replicates", "score_loadings", "shap_latent_attributions", "spearman_agreement", "split_rows", "subspace_r2", "sweep",
    "sweep_series", "train_vae",
]
