"""Parameters of notebooks/03a_attribution_benchmark.ipynb: Erion et al. §2.2 / Supplement C benchmark."""
from __future__ import annotations

from attrprior.compendium.params import SEED_MAX, NotebookSpec, Param

DATASETS = ("correlated_groups60", "independent_linear60")

SPEC = NotebookSpec(
    name="03a_attribution_benchmark",
    title="Expected gradients on shap's keep/remove benchmark (Erion et al. Table 1)",
    data="simulated: shap's Independent Linear 60 and Correlated Groups 60 (N = 1000, M = 60), generated with a seed",
    params=(
        Param("seeds", int, "replicate seeds: each is a new 900/100 split, network initialisation and "
                            "attribution draws", low=0, high=SEED_MAX, many=True),
        Param("datasets", str, "synthetic data sets to benchmark", choices=DATASETS, many=True),
        Param("data_seed", int, "seed of the synthetic data sets themselves", low=0, high=SEED_MAX),
        Param("epochs", int, "training epochs of the 60-32-20-20-1 network (Adam 1e-3, batch 32)", low=1, high=1000),
        Param("eg_samples", int, "expected-gradients reference draws per test sample (paper: 200)", low=1,
              high=100000),
        Param("ig_steps", int, "integrated-gradients integration points (Gauss-Legendre)", low=2, high=10000),
        Param("conv_rows", int, "rows explained in the EG-convergence check (Supplement C.1 explains all 1,000)",
              low=1, high=1000),
        Param("tie_fraction", float, "methods within this fraction of a metric's best-to-worst range of the "
                                     "best method count as tied-first", low=0.0, high=0.5),
    ),
    profiles={
        "smoke": {"seeds": [0], "datasets": list(DATASETS), "data_seed": 0, "epochs": 5, "eg_samples": 30,
                  "ig_steps": 20, "conv_rows": 100, "tie_fraction": 0.01},
        "default": {"seeds": [0, 1, 2], "datasets": list(DATASETS), "data_seed": 0, "epochs": 30,
                    "eg_samples": 200, "ig_steps": 50, "conv_rows": 250, "tie_fraction": 0.01},
        "paper": {"seeds": list(range(10)), "datasets": list(DATASETS), "data_seed": 0, "epochs": 30,
                  "eg_samples": 200, "ig_steps": 50, "conv_rows": 1000, "tie_fraction": 0.01},
    },
)
