"""Parameters of notebooks/02_shap_loadings.ipynb: SHAP of VAE latents vs sparse loadings (simulated)."""
from __future__ import annotations

from attrprior.compendium.params import SEED_MAX, NotebookSpec, Param

SPEC = NotebookSpec(
    name="02_shap_loadings",
    title="Do SHAP values of VAE latents recover sparse loadings? (Singh & Shim poster)",
    data="simulated: X = (L·F)ᵀ + Gaussian noise with sparse L and F (attrprior.papers.nb02_shap_loadings.factor_model); no real data",
    params=(
        Param("seeds", int, "seeds of the main experiment (simulated data, VAE init, explainer draws)", low=0,
              many=True, high=SEED_MAX),
        Param("n", int, "samples in the main simulation", low=100, high=1_000_000),
        Param("p", int, "features in the main simulation (>= 700 so the poster's features 150 and 600 exist)",
              low=700, high=100_000),
        Param("k", int, "true factors = VAE latents", low=1, high=50),
        Param("sparsity", float, "fraction of zeros in each column of L", low=0.0, high=0.99),
        Param("factor_sparsity", float, "fraction of zeros in F", low=0.0, high=0.95),
        Param("noise", float, "sd of the Gaussian noise added to X", low=0.0, high=100.0),
        Param("pattern", str, "sparsity pattern of L", choices=("block", "random")),
        Param("hidden", int, "hidden width of the MLP VAE (one hidden layer each side)", low=2, high=8192),
        Param("epochs", int, "training epochs of the VAEs (main experiment)", low=1, high=10_000),
        Param("batch_size", int, "mini-batch size", low=2, high=100_000),
        Param("lr", float, "Adam learning rate", low=1e-6, high=1.0),
        Param("beta", float, "weight of the KL term (1 = plain VAE)", low=0.0, high=100.0),
        Param("n_explain", int, "samples whose latents are explained", low=10, high=100_000),
        Param("n_background", int, "background (reference) samples for shap and EG", low=2, high=100_000),
        Param("n_samples", int, "expected-gradients draws per explained sample (shap nsamples = EG n_samples)",
              low=1, high=10_000),
        Param("sweep_seeds", int, "seeds per sweep point", low=0, high=SEED_MAX, many=True),
        Param("sweep_n", int, "samples per sweep simulation", low=50, high=1_000_000),
        Param("sweep_p", int, "features per sweep simulation", low=20, high=100_000),
        Param("sweep_epochs", int, "VAE epochs in the sweeps", low=1, high=10_000),
        Param("sweep_sparsity", float, "sparsity values swept (others at the main values)", low=0.0, high=0.99,
              many=True),
        Param("sweep_noise", float, "noise sd values swept", low=0.0, high=100.0, many=True),
        Param("sweep_k", int, "numbers of factors swept (VAE latents = factors)", low=1, high=50, many=True),
    ),
    profiles={
        "smoke": {
            "seeds": [0], "n": 300, "p": 700, "k": 3, "sparsity": 0.8, "factor_sparsity": 0.5, "noise": 1.0,
            "pattern": "block", "hidden": 16, "epochs": 5, "batch_size": 100, "lr": 3e-3, "beta": 1.0,
            "n_explain": 20, "n_background": 20, "n_samples": 10,
            "sweep_seeds": [0, 1], "sweep_n": 150, "sweep_p": 60, "sweep_epochs": 5,
            "sweep_sparsity": [0.8, 0.9], "sweep_noise": [1.0], "sweep_k": [3],
        },
        "default": {
            "seeds": [0, 1, 2], "n": 1000, "p": 800, "k": 5, "sparsity": 0.8, "factor_sparsity": 0.5,
            "noise": 1.0, "pattern": "block", "hidden": 64, "epochs": 60, "batch_size": 128, "lr": 3e-3,
            "beta": 1.0, "n_explain": 100, "n_background": 100, "n_samples": 100,
            "sweep_seeds": [0, 1, 2], "sweep_n": 500, "sweep_p": 200, "sweep_epochs": 60,
            "sweep_sparsity": [0.5, 0.8, 0.95], "sweep_noise": [0.5, 1.0, 2.0, 4.0], "sweep_k": [2, 5, 8],
        },
        "paper": {
            "seeds": list(range(10)), "n": 5000, "p": 1000, "k": 5, "sparsity": 0.8, "factor_sparsity": 0.5,
            "noise": 1.0, "pattern": "block", "hidden": 128, "epochs": 200, "batch_size": 128, "lr": 1e-3,
            "beta": 1.0, "n_explain": 500, "n_background": 200, "n_samples": 200,
            "sweep_seeds": [0, 1, 2, 3, 4], "sweep_n": 2000, "sweep_p": 1000, "sweep_epochs": 200,
            "sweep_sparsity": [0.5, 0.6, 0.7, 0.8, 0.9, 0.95], "sweep_noise": [0.25, 0.5, 1.0, 2.0, 4.0, 8.0],
            "sweep_k": [2, 3, 5, 8, 10],
        },
    },
)
