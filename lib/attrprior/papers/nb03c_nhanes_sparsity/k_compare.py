"""How many EG references the prior needs: the Gini EG prior trained with k = 1 and with a larger k.

Erion et al. (§2, "Expected gradients"): "as small as k = 1 suffices to regularize the explanations because of
the averaging effect of the expectation formulation over many training samples". On NHANES the paper used
k = 100 (the whole training batch). Here the Gini EG prior is retrained with k = 1 and k = ``k_large`` on the first
``n_subset`` replicates, over the same λ grid, and each is tuned on validation as in the main run; the main run's
unregularised and Gini-gradient models on the same replicates are the references.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from attrprior.compendium.verdicts import Evidence, Verdict, detected, null_control

from . import experiment as N
from . import jobs as J
from .verdicts import paired_evidence


def subset(reps: N.Replicates, n: int) -> N.Replicates:
    """The first ``n`` replicates."""
    if not 1 <= n <= len(reps.seeds):
        raise ValueError(f"n_subset must be in 1..{len(reps.seeds)}, got {n}")
    return J.replicate_block(reps, 0, n)


def run_k(reps: N.Replicates, settings: N.NhanesSettings, grid: tuple[float, ...], ks: tuple[int, ...], *,
          seed: int = 0, n_test_eval: int = 0, workers: int = 1, store_dir: Path | str | None = None,
          progress: bool = True) -> pd.DataFrame:
    """The selected Gini EG model per replicate for every k in ``ks`` (column ``k``; model ``gini_eg``)."""
    frames = []
    for k in ks:
        slots, _ = J.run_all(reps, replace(settings, eg_k=int(k), models=("gini_eg",)), seed=seed,
                             n_test_eval=n_test_eval, grids={"gini_eg": tuple(grid)}, workers=workers,
                             store_dir=store_dir, progress=progress)
        frames.append(N.select_best(slots).assign(k=int(k)))
    return pd.concat(frames, ignore_index=True)


def k_verdict(by_k: pd.DataFrame, main_best: pd.DataFrame, k_small: int, k_large: int, alpha: float
              ) -> tuple[Verdict, Evidence | None, Evidence | None]:
    """Claim "k = 1 suffices": the Gini EG prior with ``k_large`` references is no sparser than with ``k_small``
    (a null claim, :func:`null_control`), counted only if the same replicates show the k = ``k_small`` prior
    sparser than the unregularised model. Returns the verdict, the k evidence and the prior's own evidence."""
    small = by_k[by_k["k"] == k_small].set_index("replicate")["gini"]
    large = by_k[by_k["k"] == k_large].set_index("replicate")["gini"].reindex(small.index)
    unreg = main_best[main_best["model"] == "unregularized"].set_index("replicate")["gini"].reindex(small.index)
    ev_k = paired_evidence(large.to_numpy(), small.to_numpy(), unit="Gini difference",
                           test=f"two-sided paired t-test by replicate: Gini(k = {k_large}) − Gini(k = {k_small})")
    ev_prior = paired_evidence(small.to_numpy(), unreg.to_numpy(), unit="Gini difference",
                               test=f"two-sided paired t-test by replicate: Gini(EG prior, k = {k_small}) − "
                                    "Gini(unregularised)")
    if ev_k is None:
        return ("inconclusive", "Inconclusive: the test is undefined (fewer than two replicates or no spread)."), \
            ev_k, ev_prior
    verdict = null_control(ev_k, detected(ev_prior, alpha), method=f"the k = {k_small} prior", alpha=alpha)
    return verdict, ev_k, ev_prior


def comparison_frame(by_k: pd.DataFrame, main_best: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """The selected models on the compared replicates — unregularised and Gini gradients from the main run, the Gini
    EG prior at each k — with a ``model`` key per arm, and their labels."""
    reps = sorted(by_k["replicate"].unique())
    main = main_best[main_best["model"].isin(["unregularized", "gini_grad"]) & main_best["replicate"].isin(reps)]
    arms = [main] + [g.assign(model=f"gini_eg_k{k}") for k, g in by_k.groupby("k")]
    labels = {"unregularized": N.LABELS["unregularized"], "gini_grad": N.LABELS["gini_grad"],
              **{f"gini_eg_k{k}": f"Gini EG, k = {k}" for k in sorted(by_k["k"].unique())}}
    return pd.concat(arms, ignore_index=True)[["model", "replicate", "lam", "test_auc", "gini"]], labels


__all__ = ["comparison_frame", "k_verdict", "run_k", "subset"]
