"""Parameters of notebooks/03c_nhanes_sparsity.ipynb: Erion et al. §2.5 / Methods 6 Gini sparsity prior."""
from __future__ import annotations

from attrprior.compendium.params import SEED_MAX, NotebookSpec, Param

SPEC = NotebookSpec(
    name="03c_nhanes_sparsity",
    title="A Gini sparsity prior on NHANES I with 100 training people (Erion et al. Fig. 4)",
    data="real shipped data: NHANES I subset (9,932 people × 18 features), binary 'died within 10 years' outcome",
    params=(
        Param("n_replicates", int, "random 100-train / 100-validation subsamples (paper: 200)", low=2, high=1000),
        Param("seed", int, "base seed: replicate r uses seed + r for its subsample", low=0, high=SEED_MAX),
        Param("epochs", int, "full-batch Adam epochs per model; the best validation epoch is kept (paper: 100)",
              low=1, high=2000),
        Param("grid", str, "λ grid: 'paper' = 121 points 1e-7…1e5 for every model, 'centred' = n_lambdas "
                           "points from 1e-2 to 1e1 × the paper's median tuned λ", choices=("centred", "paper")),
        Param("n_lambdas", int, "points of the centred λ grid", low=1, high=121),
        Param("eg_k", int, "EG reference draws per training sample inside the prior (paper: 100)", low=1,
              high=1000),
        Param("eval_k", int, "EG reference draws per sample when measuring sparsity (paper: 100)", low=1,
              high=1000),
        Param("n_test_eval", int, "test people scored per replicate (0 = the whole test set)", low=0, high=100000),
        Param("horizon", float, "years defining the outcome 'died within horizon'", low=1.0, high=25.0),
        Param("alpha", float, "significance level of the paired t-tests used by the verdicts", low=1e-12,
              high=0.5),
        Param("max_extend", int, "rounds of extending a model's λ grid where ≥ 25 % of replicates pick an edge",
              low=0, high=10),
        Param("k_compare", int, "the larger k compared with k = 1 in the Gini EG prior", low=2, high=1000),
        Param("k_subset", int, "replicates (the first ones) in the k = 1 vs larger-k comparison", low=2, high=1000),
        Param("workers", int, "processes training the model types side by side (results do not depend on it)",
              low=1, high=64),
    ),
    profiles={
        "smoke": {"n_replicates": 3, "seed": 0, "epochs": 15, "grid": "centred", "n_lambdas": 2, "eg_k": 1,
                  "eval_k": 4, "n_test_eval": 500, "horizon": 10.0, "alpha": 0.05, "max_extend": 1, "k_compare": 2,
                  "k_subset": 3, "workers": 1},
        "default": {"n_replicates": 6, "seed": 0, "epochs": 100, "grid": "centred", "n_lambdas": 4, "eg_k": 1,
                    "eval_k": 10, "n_test_eval": 2000, "horizon": 10.0, "alpha": 0.05, "max_extend": 2, "k_compare": 10,
                    "k_subset": 6, "workers": 2},
        "paper": {"n_replicates": 200, "seed": 0, "epochs": 100, "grid": "paper", "n_lambdas": 121, "eg_k": 100,
                  "eval_k": 100, "n_test_eval": 0, "horizon": 10.0, "alpha": 1e-4, "max_extend": 3, "k_compare": 10,
                  "k_subset": 20, "workers": 2},
    },
)
