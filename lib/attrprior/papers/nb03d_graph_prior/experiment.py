"""Erion et al. §2.4 / Methods 5: the graph attribution prior on the gene-level drug-response stand-in.

Models (each retrained once per seed; see :func:`run_experiment`):

* ``MLP`` – 512-256-1 ReLU network, Adam, early stopping on validation MSE;
* ``MLP + fine-tune`` – the MLP fine-tuned ``finetune_epochs`` more epochs with no prior (the paper's
  Supplement H.2 control: extra epochs alone);
* ``Graph prior (EG)`` – the MLP fine-tuned on task + ν·φ̄ᵀL_Gφ̄ (``priors.GraphLaplacian``) of expected
  gradients of the gene inputs (``create_graph=True``); ν is set, as in the paper, so that the prior term
  initially equals ``ratio`` × the task loss, the ratio chosen on validation MSE from ``nu_ratios``
  (paper: ratio 1). ``scheme="alternating"`` runs Erion's alternating minimisation instead (a task step,
  then a prior step with its own Adam) – note that Adam is invariant to a loss's scale, so there each
  prior step moves the weights by about the learning rate whatever ν is;
* ``Random graph (EG)`` – the same with the degree-preserving random graph;
* ``Graph penalty on gradients`` – the same with plain input gradients instead of EG;
* ``LASSO`` (scikit-learn, α chosen on validation) and ``Graph LASSO``
  (min (1/2n)‖Xw−y‖² + α‖w‖₁ + ν wᵀL_G w by proximal gradient, ν chosen on validation) – both
  deterministic, so fitted once;
* ``GCN`` – one Kipf–Welling graph-convolution layer, then 512-256-1 (:mod:`attrprior.papers.nb03d_graph_prior.gcn`).

Metrics: test R², global attributions φ̄ = mean |EG| on the test patients (references: training
samples), the graph penalty φ̄ᵀL_Gφ̄ of those, driver-recovery AUROC against the simulated truth and
GSEA pre-ranked (gseapy, offline, shipped KEGG GMT) on φ̄.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import Lasso
from sklearn.metrics import r2_score, roc_auc_score
from threadpoolctl import threadpool_limits
from torch import Tensor, nn

from attrprior.core.attributions import expected_gradients, gradients, mean_abs_attribution
from attrprior.core.metrics.seed_tests import bootstrap_r2_diff, paired_ttest, ttest  # noqa: F401 (re-exported)
from .gcn import GCN
from attrprior.core.models.mlp import mlp
from attrprior.core.priors import GraphLaplacian, laplacian
from attrprior.core.simulate.genes import DrugResponseStandIn
from attrprior.core.training import EarlyStopping, Step, fit, make_loader, prior_loss, prior_only_loss, seed_everything

NN_MODELS = ("MLP", "MLP + fine-tune", "Graph prior (EG)", "Random graph (EG)", "Graph penalty on gradients", "GCN")
LINEAR_MODELS = ("LASSO", "Graph LASSO")
MODELS = NN_MODELS + LINEAR_MODELS


@dataclass
class TrainConfig:
    """Training hyper-parameters shared by the neural models."""

    hidden: tuple[int, ...] = (512, 256)
    lr: float = 1e-3
    batch_size: int = 128
    max_epochs: int = 60
    patience: int = 8
    finetune_epochs: int = 5
    eg_samples: int = 4          # k references per input in the prior's EG (paper: 10)
    nu_ratios: tuple[float, ...] = (0.1, 1.0)  # ν·Ω = ratio · task loss at the start (chosen on validation)
    scheme: str = "joint"        # "joint": one step on task + ν·Ω; "alternating": Erion's task step, then prior step

    def __post_init__(self) -> None:
        if self.scheme not in ("joint", "alternating"):
            raise ValueError(f"scheme must be 'joint' or 'alternating', got {self.scheme!r}")
    gcn_channels: int = 4
    gcn_dropout: float = 0.0
    attr_samples: int = 20       # k for the attribution analysis on the test set
    lasso_alphas: tuple[float, ...] = (1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
    graph_lasso_nus: tuple[float, ...] = (1e-2, 1e-1, 1.0, 10.0)
    device: str = "cpu"


@dataclass
class Prepared:
    """Tensors of one patient-level split; y standardised with training statistics."""

    x: dict[str, Tensor]
    y: dict[str, Tensor]
    n_genes: int
    lap: Tensor            # dense Laplacian of the pathway graph (genes only)
    lap_random: Tensor     # of the degree-preserving random graph
    data: DrugResponseStandIn


def prepare(data: DrugResponseStandIn, split_seed: int = 0, device: str = "cpu") -> Prepared:
    """Split by patient, build model inputs [expression | one-hot drug] and both Laplacians."""
    idx = data.split(split_seed)
    mu, sd = data.y[idx["train"]].mean(), data.y[idx["train"]].std()
    x = {k: torch.as_tensor(data.model_inputs(v), device=device) for k, v in idx.items()}
    y = {k: torch.as_tensor((data.y[v] - mu) / sd, dtype=torch.float32, device=device) for k, v in idx.items()}
    return Prepared(x, y, data.n_genes, laplacian(data.adjacency.toarray()).to(device),
                    laplacian(data.random_adjacency.toarray()).to(device), data)


# --------------------------------------------------------------------------- neural models
def _mse(model: nn.Module, x: Tensor, y: Tensor) -> Tensor:
    return ((model(x).squeeze(-1) - y) ** 2).mean()


def _train(model: nn.Module, prep: Prepared, cfg: TrainConfig, seed: int, epochs: int,
           prior_attr=None, prior=None, nu: float = 0.0, desc: str = "") -> nn.Module:
    loader = make_loader(prep.x["train"], prep.y["train"], batch_size=cfg.batch_size, seed=seed,
                         drop_last=prep.x["train"].shape[0] > cfg.batch_size)
    task = lambda b: _mse(model, *b)  # noqa: E731
    attribute = (lambda b: prior_attr(model, b[0])) if prior is not None else None
    if prior is not None and cfg.scheme == "joint":
        steps = [Step("task", torch.optim.Adam(model.parameters(), lr=cfg.lr), prior_loss(task, attribute, prior, nu))]
    else:
        steps = [Step("task", torch.optim.Adam(model.parameters(), lr=cfg.lr), task)]
        if prior is not None:
            steps.append(Step("prior", torch.optim.Adam(model.parameters(), lr=cfg.lr),
                              prior_only_loss(attribute, prior, nu)))
    fit(steps, loader, epochs, model=model, device=cfg.device, progress=False, desc=desc,
        validate=lambda: {"mse": float(_mse(model, prep.x["val"], prep.y["val"]))},
        early_stopping=EarlyStopping("mse", patience=cfg.patience))
    return model.eval()


def eg_genes(n_genes: int, k: int):
    """Attribution closure for the prior: EG (shifted batch, k draws) of the gene columns."""
    def attr(model: nn.Module, x: Tensor) -> Tensor:
        return expected_gradients(model, x, "batch", n_samples=k, create_graph=True)[:, :n_genes]
    return attr


def grad_genes(n_genes: int):
    """Attribution closure for the gradient penalty: ∂f/∂x of the gene columns."""
    def attr(model: nn.Module, x: Tensor) -> Tensor:
        return gradients(model, x, create_graph=True)[:, :n_genes]
    return attr


def calibrate_nu(model: nn.Module, prep: Prepared, prior, attr, ratio: float, n: int = 256) -> float:
    """ν with ν·Ω(Φ) = ratio · task loss on the first ``n`` training rows (the paper's rule)."""
    x, y = prep.x["train"][:n], prep.y["train"][:n]
    with torch.no_grad():
        task = float(_mse(model, x, y))
    omega = float(prior(attr(model, x)).detach())
    return ratio * task / omega if omega > 0 else 0.0


def train_neural(prep: Prepared, cfg: TrainConfig, seed: int, models: Sequence[str] = NN_MODELS
                 ) -> tuple[dict[str, nn.Module], dict[str, dict[str, float]]]:
    """Train every requested neural model for one seed; the fine-tuned variants start from the
    same trained MLP. Returns the models and, per fine-tuned model, the chosen ν, its ratio and the
    validation MSE."""
    seed_everything(seed)
    p, d = prep.n_genes, prep.x["train"].shape[1]
    out: dict[str, nn.Module] = {}
    nus: dict[str, dict[str, float]] = {}
    base = _train(mlp(d, cfg.hidden, 1).to(cfg.device), prep, cfg, seed, cfg.max_epochs, desc="MLP")
    out["MLP"] = base
    variants = {"MLP + fine-tune": (None, None),
                "Graph prior (EG)": (GraphLaplacian(prep.lap), eg_genes(p, cfg.eg_samples)),
                "Random graph (EG)": (GraphLaplacian(prep.lap_random), eg_genes(p, cfg.eg_samples)),
                "Graph penalty on gradients": (GraphLaplacian(prep.lap), grad_genes(p))}
    for name, (prior, attr) in variants.items():
        if name not in models:
            continue
        best, tried = None, {}
        for ratio in (cfg.nu_ratios if prior is not None else (0.0,)):
            seed_everything(seed + 1)
            model = copy.deepcopy(base).train()
            nu = calibrate_nu(model, prep, prior, attr, ratio) if prior is not None else 0.0
            model = _train(model, prep, cfg, seed + 1, cfg.finetune_epochs, attr, prior, nu, desc=name)
            with torch.no_grad():
                val = float(_mse(model, prep.x["val"], prep.y["val"]))
            tried[f"val_mse@{ratio:g}"] = val
            if best is None or val < best[0]:
                best = (val, model, {"nu": nu, "ratio": ratio, "val_mse": val})
        out[name], nus[name] = best[1], {**best[2], **(tried if prior is not None else {})}
    if "GCN" in models:
        seed_everything(seed)
        gcn = GCN(prep.data.adjacency, n_extra=d - p, channels=cfg.gcn_channels, hidden=cfg.hidden,
                  dropout=cfg.gcn_dropout).to(cfg.device)
        out["GCN"] = _train(gcn, prep, cfg, seed, cfg.max_epochs, desc="GCN")
    return out, nus


# --------------------------------------------------------------------------- linear models
def graph_lasso_objective(w: np.ndarray, x: np.ndarray, y: np.ndarray, alpha: float, nu: float,
                          lap: np.ndarray) -> float:
    """(1/2n)‖Xw − y‖² + α‖w‖₁ + ν wᵀLw (X, y centred; ``lap`` padded to all columns)."""
    r = x @ w - y
    return float(r @ r / (2 * len(y)) + alpha * np.abs(w).sum() + nu * w @ lap @ w)


def graph_lasso(x: np.ndarray, y: np.ndarray, alpha: float, nu: float, lap: np.ndarray, n_iter: int = 3000,
                tol: float = 1e-9, w0: np.ndarray | None = None) -> tuple[np.ndarray, float, list[float]]:
    """Graph-regularised LASSO by proximal gradient descent (ISTA, step 1/Lipschitz, so the objective
    never increases). ``lap`` is [p_graph, p_graph] over the first columns of ``x``; the rest are
    unpenalised by the graph term. Returns (w, intercept, objective per iteration)."""
    if alpha < 0 or nu < 0:
        raise ValueError(f"alpha and nu must be >= 0, got {alpha}, {nu}")
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    n, p = x.shape
    full = np.zeros((p, p))
    full[: lap.shape[0], : lap.shape[0]] = lap
    xm, ym = x.mean(0), y.mean()
    xc, yc = x - xm, y - ym
    gram, xty = xc.T @ xc / n, xc.T @ yc / n
    lipschitz = np.linalg.eigvalsh(gram + 2 * nu * full)[-1]  # of the smooth part's gradient
    step = 1.0 / max(lipschitz, 1e-12)
    w = np.zeros(p) if w0 is None else np.asarray(w0, np.float64).copy()
    quad = gram + 2 * nu * full  # the smooth part is ½wᵀQw − wᵀXᵀy/n + ½yᵀy/n
    yy = float(yc @ yc / (2 * n))

    def objective(v: np.ndarray) -> float:
        return float(0.5 * v @ quad @ v - v @ xty + yy + alpha * np.abs(v).sum())

    history = [objective(w)]
    for _ in range(n_iter):
        z = w - step * (quad @ w - xty)
        w = np.sign(z) * np.maximum(np.abs(z) - step * alpha, 0.0)
        history.append(objective(w))
        if history[-2] - history[-1] < tol * max(abs(history[-2]), 1.0):
            break
    return w, float(ym - xm @ w), history


def _linear_module(w: np.ndarray, b: float) -> nn.Module:
    lin = nn.Linear(len(w), 1)
    with torch.no_grad():
        lin.weight.copy_(torch.as_tensor(w, dtype=torch.float32).view(1, -1))
        lin.bias.fill_(b)
    return lin.eval()


def fit_linear(prep: Prepared, cfg: TrainConfig) -> tuple[dict[str, nn.Module], dict[str, float]]:
    """LASSO (α on validation), then graph LASSO at that α (ν on validation), as in Methods 5.3."""
    xt, yt = prep.x["train"].cpu().numpy(), prep.y["train"].cpu().numpy()
    xv, yv = prep.x["val"].cpu().numpy(), prep.y["val"].cpu().numpy()
    best = None
    for a in cfg.lasso_alphas:
        m = Lasso(alpha=a, max_iter=20000).fit(xt, yt)
        mse = float(((m.predict(xv) - yv) ** 2).mean())
        best = min(best, (mse, a, m), key=lambda t: t[0]) if best else (mse, a, m)
    _, alpha, lasso = best
    lap = prep.lap.cpu().numpy()
    gbest = None
    for nu in cfg.graph_lasso_nus:
        w, b, _ = graph_lasso(xt, yt, alpha, nu, lap, w0=lasso.coef_)
        mse = float(((xv @ w + b - yv) ** 2).mean())
        gbest = min(gbest, (mse, nu, w, b), key=lambda t: t[0]) if gbest else (mse, nu, w, b)
    _, nu, w, b = gbest
    return ({"LASSO": _linear_module(lasso.coef_, float(lasso.intercept_)), "Graph LASSO": _linear_module(w, b)},
            {"LASSO alpha": alpha, "Graph LASSO nu": nu})


# --------------------------------------------------------------------------- metrics
def test_r2(model: nn.Module, prep: Prepared, split: str = "test") -> float:
    with torch.no_grad():
        pred = model(prep.x[split]).squeeze(-1).cpu().numpy()
    return float(r2_score(prep.y[split].cpu().numpy(), pred))


def global_attributions(model: nn.Module, prep: Prepared, k: int, seed: int, split: str = "test",
                        chunk: int = 256) -> np.ndarray:
    """φ̄_g = mean over ``split`` samples of |EG_g| (references: training samples), genes only."""
    phi = mean_abs_attribution(model, prep.x[split], prep.x["train"], n_samples=k,
                               generator=torch.Generator().manual_seed(seed), batch=chunk)
    return phi[:prep.n_genes].cpu().numpy()


def graph_penalty(phi: np.ndarray, lap: Tensor | np.ndarray) -> float:
    """φ̄ᵀLφ̄ (= Σ_{i<j} W_ij (φ̄_i − φ̄_j)², i.e. ½ Σ_{i,j} over ordered pairs)."""
    lap = lap.cpu().numpy() if isinstance(lap, Tensor) else np.asarray(lap)
    return float(phi @ lap @ phi)


def driver_auroc(phi: np.ndarray, driver_mask: np.ndarray) -> float:
    """AUROC of ranking genes by φ̄ against the simulated driver mask."""
    return float(roc_auc_score(np.asarray(driver_mask, bool), phi))


def prerank(phi: np.ndarray, genes: Sequence[str], gmt: Path | str, permutations: int = 100, seed: int = 0,
            min_size: int = 5, max_size: int = 300) -> pd.DataFrame:
    """gseapy.prerank on φ̄ (offline, a GMT path); returns its result table with numeric columns."""
    import gseapy

    from attrprior.core.data import read_gmt

    rnk = pd.Series(np.asarray(phi, float), index=list(genes)).sort_values(ascending=False)
    universe = set(rnk.index)
    if not any(min_size <= len(universe.intersection(v)) <= max_size for v in read_gmt(gmt).values()):
        return pd.DataFrame(columns=["Term", "ES", "NES", "NOM p-val", "FDR q-val", "Lead_genes"])
    res = gseapy.prerank(rnk=rnk, gene_sets=str(gmt), outdir=None, permutation_num=permutations, seed=seed,
                         min_size=min_size, max_size=max_size, threads=1, no_plot=True, verbose=False).res2d
    for col in ("ES", "NES", "NOM p-val", "FDR q-val"):
        res[col] = pd.to_numeric(res[col], errors="coerce")
    return res


def enriched(res: pd.DataFrame, fdr: float = 0.25) -> pd.DataFrame:
    """Pathways enriched among the top-attributed genes: NES > 0 and FDR q < ``fdr``."""
    return res[(res["NES"] > 0) & (res["FDR q-val"] < fdr)]


# --------------------------------------------------------------------------- the experiment
@dataclass
class Results:
    r2: pd.DataFrame                       # columns model, seed, r2
    phi: dict[str, np.ndarray]             # model -> [n_seeds, n_genes]
    penalty: pd.DataFrame                  # model, seed, penalty (real graph), penalty_random
    auroc: pd.DataFrame                    # model, seed, auroc
    gsea: dict[str, list[pd.DataFrame]]    # model -> one prerank table per seed
    nus: pd.DataFrame
    linear: dict[str, float] = field(default_factory=dict)
    seeds: list[int] = field(default_factory=list)
    preds: dict[str, np.ndarray] = field(default_factory=dict)  # model -> [n_seeds, n_test] predictions
    y_test: np.ndarray | None = None                            # standardised test response
    test_patient: np.ndarray | None = None                      # patient of each test sample


def _seed_job(task: tuple[int, int], shared: dict) -> dict:
    """Retrain every neural model with one seed and score it (a :func:`attrprior.compendium.sweep.run_jobs` job;
    it seeds itself). The first seed's job (``i == 0``) also scores the linear models in ``shared``. BLAS runs
    on one thread, as in a Dask worker, so φ̄ᵀLφ̄ has the same last bits wherever the job ran."""
    i, seed = task
    prep, cfg, gsea_models = shared["prep"], shared["cfg"], shared["gsea_models"]
    out: dict = {"rows": [], "pen": [], "auc": [], "phi": {}, "preds": {}, "gsea": {}}
    with threadpool_limits(limits=1, user_api="blas"):
        models, nus = train_neural(prep, cfg, seed)
        out["nus"] = [{"model": k, "seed": seed, **v} for k, v in nus.items()]
        for name, model in {**models, **(shared["linear"] if i == 0 else {})}.items():
            with torch.no_grad():
                out["preds"][name] = model(prep.x["test"]).squeeze(-1).cpu().numpy()
            out["rows"].append({"model": name, "seed": seed, "r2": test_r2(model, prep)})
            f = out["phi"][name] = global_attributions(model, prep, cfg.attr_samples, seed)
            out["pen"].append({"model": name, "seed": seed, "penalty": graph_penalty(f, prep.lap),
                               "penalty_random": graph_penalty(f, prep.lap_random),
                               "penalty_normalised": graph_penalty(f / max(f.sum(), 1e-12), prep.lap)})
            out["auc"].append({"model": name, "seed": seed, "auroc": driver_auroc(f, prep.data.driver_mask)})
            if name in gsea_models:
                out["gsea"][name] = prerank(f, prep.data.genes, shared["gmt"], shared["permutations"], seed)
    return out


def run_experiment(data: DrugResponseStandIn, cfg: TrainConfig, seeds: Sequence[int], gmt: Path | str,
                   split_seed: int = 0, gsea_models: Sequence[str] = ("MLP", "Graph prior (EG)"),
                   gsea_permutations: int = 100, progress: bool = True, workers: int = 1, store_dir: Path | str | None = None) -> Results:
    """Train all models for every seed and compute every metric (see the module docstring). Each seed's
    retrainings are one job on the sweep executor (``workers`` processes, or ``ATTRPRIOR_SCHEDULER``): the
    results do not depend on where the jobs ran."""
    from attrprior.compendium.sweep import run_jobs

    prep = prepare(data, split_seed, cfg.device)
    linear, lin_hp = fit_linear(prep, cfg)  # deterministic: fitted once, scored with the first seed's EG draws
    shared = {"prep": prep, "cfg": cfg, "linear": linear, "gsea_models": tuple(gsea_models), "gmt": str(gmt),
              "permutations": gsea_permutations}
    jobs = run_jobs(_seed_job, list(enumerate(int(s) for s in seeds)), workers, shared, desc="retrainings",
                    progress=progress, describe=lambda t: f"retrainings with seed {t[1]}", store_dir=store_dir)
    phi = {m: [j["phi"][m] for j in jobs if m in j["phi"]] for m in MODELS}
    preds = {m: [j["preds"][m] for j in jobs if m in j["preds"]] for m in MODELS}
    gsea = {m: [j["gsea"][m] for j in jobs if m in j["gsea"]] for m in gsea_models}
    frame = lambda key: pd.DataFrame([row for j in jobs for row in j[key]])  # noqa: E731
    return Results(frame("rows"), {k: np.stack(v) for k, v in phi.items() if v}, frame("pen"), frame("auc"), gsea,
                   frame("nus"), lin_hp, list(seeds), {k: np.stack(v) for k, v in preds.items() if v},
                   prep.y["test"].cpu().numpy(), prep.data.patient[prep.data.split(split_seed)["test"]])


def summary(res: Results) -> pd.DataFrame:
    """Per model: mean/SD test R², mean driver AUROC and graph penalty, t-test vs the MLP."""
    base = res.r2[res.r2.model == "MLP"].r2.to_numpy()
    out = []
    for name, g in res.r2.groupby("model", sort=False):
        t, p = ttest(g.r2, base) if name != "MLP" and len(base) > 1 and g.r2.std() > 0 else (np.nan, np.nan)
        out.append({"model": name, "R2 mean": g.r2.mean(), "R2 sd": g.r2.std(ddof=1), "t vs MLP": t, "p vs MLP": p,
                    "driver AUROC": res.auroc[res.auroc.model == name].auroc.mean(),
                    "graph penalty": res.penalty[res.penalty.model == name].penalty_normalised.mean()})
    return pd.DataFrame(out).set_index("model")


__all__ = [
    "LINEAR_MODELS", "MODELS", "NN_MODELS", "Prepared", "Results", "TrainConfig", "calibrate_nu", "driver_auroc",
    "bootstrap_r2_diff", "eg_genes", "enriched", "fit_linear", "global_attributions", "grad_genes", "graph_lasso",
    "graph_lasso_objective", "graph_penalty", "prepare", "prerank", "run_experiment", "summary", "test_r2",
    "paired_ttest", "train_neural", "ttest",
]
