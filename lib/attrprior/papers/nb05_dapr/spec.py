"""Parameters of notebooks/05_dapr.ipynb: deep attribution priors (Weinberger, Janizek & Lee, NeurIPS 2020) —
two moons with nuisance features, drug response on the gene-level stand-in with the real MERGE meta-features,
second-order explanations of the prior model and pathway enrichment of the top genes."""
from __future__ import annotations

from attrprior.compendium.params import SEED_MAX, NotebookSpec, Param

_MOONS_PAPER_P = list(range(50, 1001, 50))

SPEC = NotebookSpec(
    name="05_dapr",
    title="Deep attribution priors (DAPr): learning a prior from meta-features",
    data=("A: simulated two moons + Gaussian nuisance features (sklearn make_moons); B/C: simulated drug-response "
          "stand-in (attrprior.core.simulate.genes) on real MERGE genes and meta-features "
          "(../shared/data/dapr/merge_features.csv) and the shipped Enrichr KEGG_2016 pathways"),
    params=(
        Param("seed", int, "base seed of every simulation, split and model initialisation", low=0, high=SEED_MAX),
        # A. two moons
        Param("moons_p", int, "numbers of nuisance features p (paper: 50, 100, ..., 1000)", low=0, high=5000,
              many=True),
        Param("moons_datasets", int, "independent data sets per p (paper: 5)", low=1, high=50),
        Param("moons_hidden", str, "MLP widths: 'paper' = (p/2, p/4) as the paper's text, 'code' = (p/4, p/8) "
              "as the reference code", choices=("paper", "code")),
        Param("moons_max_epochs", int, "maximum epochs (early stopping on validation accuracy)", low=1, high=100000),
        Param("moons_patience", int, "early-stopping patience (reference code: 100)", low=1, high=100000),
        Param("moons_lr", float, "Adam learning rate of f (reference code: 5e-4)", low=1e-6, high=1.0),
        Param("moons_prior_lr", float, "Adam learning rate of g (reference code: 1e-3)", low=1e-6, high=1.0),
        Param("moons_absolute", bool, "compare |EG| (True) or signed EG of the true class (False, reference code) "
              "with g(M)"),
        Param("moons_lam", float, "DAPr weight λ of the mean per-feature L1 distance; best on validation",
              low=0.0, high=1e4, many=True),
        Param("moons_l1", float, "MLP + L1 weight penalty Σ|W| grid; best on validation", low=0.0, high=1e4, many=True),
        Param("moons_l2", float, "MLP + L2 weight penalty ΣW² grid; best on validation", low=0.0, high=1e4, many=True),
        Param("moons_extend", int, "rounds of trying ×10 beyond a grid edge the validation choice sits on (0: the grid "
              "only)", low=0, high=5),
        # B. drug response
        Param("drug_genes", int, "genes of the stand-in (MERGE genes in KEGG pathways)", low=20, high=5000),
        Param("drug_patients", int, "patients, one drug (paper: Dasatinib, n = 217)", low=30, high=5000),
        Param("drug_splits", int, "random 60/20/20 splits (paper: 5)", low=1, high=50),
        Param("drug_hidden", int, "widths of the prediction MLP (paper: 512, 256)", low=1, high=4096, many=True),
        Param("prior_hidden", int, "widths of the prior MLP g (paper, AML: 5, 3)", low=1, high=256, many=True),
        Param("drug_max_epochs", int, "maximum epochs (early stopping on validation MSE)", low=1, high=100000),
        Param("drug_patience", int, "early-stopping patience (reference code, AML Dasatinib: 50)", low=1, high=100000),
        Param("drug_lr", float, "Adam learning rate of the MLPs", low=1e-7, high=1.0),
        Param("drug_prior_lr", float, "Adam learning rate of g", low=1e-7, high=1.0),
        Param("merge_lr", float, "Adam learning rate of the MERGE-style linear model", low=1e-7, high=1.0),
        Param("drug_lam", float, "DAPr λ grid; best on validation", low=0.0, high=1e4, many=True),
        Param("drug_l1", float, "MLP + L1 grid; best on validation", low=0.0, high=1e4, many=True),
        Param("drug_l2", float, "MLP + L2 grid; best on validation", low=0.0, high=1e4, many=True),
        Param("merge_lam", float, "MERGE prior weight grid; best on validation", low=0.0, high=1e4, many=True),
        Param("attr_samples", int, "EG references per test patient for gene importance", low=1, high=500),
        # C. second-order explanations and enrichment
        Param("top_k", int, "top genes by global attribution sent to enrichment (paper: 200)", low=5, high=5000),
        Param("fdr", float, "Benjamini-Hochberg adjusted p below which a pathway is significant", low=0.0,
              high=1.0),
        Param("pdp_points", int, "grid points of each partial dependence plot", low=3, high=200),
        Param("pc_informativeness", str, "positive-control sweep: how informative the meta-features are about the "
              "simulated drivers", choices=("none", "default", "strong"), many=True),
        Param("pc_nonlinearity", float, "positive-control sweep: non-linearity w of the response (0 = linear)",
              low=0.0, high=1.0, many=True),
        Param("pc_retrainings", int, "positive-control sweep: fresh data sets (and retrainings) per regime",
              low=2, high=1000),
        Param("workers", int, "processes training data sets and splits side by side (results do not depend on it)",
              low=1, high=64),
    ),
    profiles={
        "smoke": {
            "seed": 0, "moons_p": [20, 100], "moons_datasets": 2, "moons_hidden": "code", "moons_max_epochs": 8,
            "moons_patience": 3, "moons_lr": 5e-4, "moons_prior_lr": 1e-3, "moons_absolute": False,
            "moons_lam": [1.0], "moons_l1": [1e-4], "moons_l2": [1e-3], "moons_extend": 0,
            "drug_genes": 60, "drug_patients": 80, "drug_splits": 2, "drug_hidden": [64, 32], "prior_hidden": [5, 3],
            "drug_max_epochs": 6, "drug_patience": 3, "drug_lr": 1e-4, "drug_prior_lr": 1e-2, "merge_lr": 1e-2,
            "drug_lam": [10.0], "drug_l1": [1e-4], "drug_l2": [1e-3], "merge_lam": [1.0], "attr_samples": 4,
            "top_k": 15, "fdr": 0.05, "pdp_points": 9, "pc_informativeness": ["default", "strong"],
            "pc_nonlinearity": [0.0], "pc_retrainings": 2, "workers": 1,
        },
        "default": {
            "seed": 0, "moons_p": [50, 200, 500], "moons_datasets": 3, "moons_hidden": "code",
            "moons_max_epochs": 150, "moons_patience": 20, "moons_lr": 5e-4, "moons_prior_lr": 1e-3,
            "moons_absolute": False, "moons_lam": [1.0], "moons_l1": [1e-4], "moons_l2": [1e-3], "moons_extend": 0,
            "drug_genes": 300, "drug_patients": 217, "drug_splits": 3, "drug_hidden": [512, 256],
            "prior_hidden": [5, 3], "drug_max_epochs": 200, "drug_patience": 20, "drug_lr": 1e-4,
            "drug_prior_lr": 1e-2, "merge_lr": 1e-2, "drug_lam": [10.0], "drug_l1": [1e-4], "drug_l2": [1e-3],
            "merge_lam": [1.0], "attr_samples": 20, "top_k": 60, "fdr": 0.05, "pdp_points": 25,
            "pc_informativeness": ["none", "default", "strong"], "pc_nonlinearity": [0.0, 0.8], "pc_retrainings": 10,
            "workers": 2,
        },
        "paper": {
            "seed": 0, "moons_p": _MOONS_PAPER_P, "moons_datasets": 5, "moons_hidden": "paper",
            "moons_max_epochs": 3000, "moons_patience": 100, "moons_lr": 5e-4, "moons_prior_lr": 1e-3,
            "moons_absolute": False, "moons_lam": [0.1, 1.0, 10.0], "moons_l1": [1e-5, 1e-4, 1e-3],
            "moons_l2": [1e-4, 1e-3, 1e-2], "moons_extend": 2,
            "drug_genes": 2000, "drug_patients": 217, "drug_splits": 5, "drug_hidden": [512, 256],
            "prior_hidden": [5, 3], "drug_max_epochs": 3000, "drug_patience": 50, "drug_lr": 1e-4,
            "drug_prior_lr": 1e-2, "merge_lr": 1e-2, "drug_lam": [1.0, 10.0, 100.0], "drug_l1": [1e-5, 1e-4, 1e-3],
            "drug_l2": [1e-4, 1e-3, 1e-2], "merge_lam": [0.1, 1.0, 10.0], "attr_samples": 100, "top_k": 200,
            "fdr": 0.05, "pdp_points": 50, "pc_informativeness": ["none", "default", "strong"],
            "pc_nonlinearity": [0.0, 0.5, 0.8], "pc_retrainings": 20, "workers": 2,
        },
    },
)
