"""Parameters of notebooks/01_unsupervised_priors.ipynb (Amad: label-free attribution priors on a VAE)."""
from __future__ import annotations

from attrprior.compendium.params import SEED_MAX, NotebookSpec, Param

_MODES = ("mu_only", "full")

SPEC = NotebookSpec(
    name="01_unsupervised_priors",
    title="Unsupervised (label-free) attribution priors on a VAE",
    data="MNIST resized to 32x32 via attrprior.core.data.load_mnist: full MNIST if downloadable, "
         "else the shipped 10k test set split 8,000 train / 2,000 held-out",
    params=(
        Param("seeds", int, "model seeds per configuration (init, data order, noise)", low=0, high=SEED_MAX, many=True),
        Param("data_source", str, "load_mnist source: auto (download if possible), shipped, download",
              choices=("auto", "shipped", "download")),
        Param("n_train", int, "training images used (first n of the training split)", low=64, high=60000),
        Param("n_eval", int, "held-out images the metrics are computed on", low=16, high=10000),
        Param("batch_size", int, "training batch size", low=8, high=1024),
        Param("warmup_epochs", int, "plain-VAE epochs shared by every run of a seed before its own loss "
              "(0 = every model trained from scratch with its loss, as in the paper)", low=0, high=200),
        Param("epochs", int, "epochs of each run's own loss (prior / beta loss) after the warm-up", low=1, high=200),
        Param("prior_batch", int, "images of each batch the attribution prior is computed on (0 = whole batch)",
              low=0, high=1024),
        Param("n_samples", int, "Gradient-SHAP samples per image for the prior during training", low=1, high=50),
        Param("n_samples_eval", int, "Gradient-SHAP samples per image for the held-out metrics", low=1, high=50),
        Param("latent_dim", int, "latent units d", low=2, high=32),
        Param("tv_lambdas", float, "λ > 0 for the total-variation prior", low=0.0, high=1e4, many=True),
        Param("entropy_lambdas", float, "λ > 0 for the entropy prior", low=0.0, high=1e4, many=True),
        Param("pearson_lambdas", float, "λ > 0 for the Pearson prior", low=0.0, high=1e4, many=True),
        Param("modes", str, "how the prior's gradient is back-propagated: mu_only (reference code) and/or full",
              choices=_MODES, many=True),
        Param("beta_vae_betas", float, "β values of the β-VAE comparison (β = 1 is the baseline)", low=0.0,
              many=True, high=1e3),
        Param("tcvae_betas", float, "β (TC weight) values of the β-TCVAE comparison", low=0.0, high=1e3, many=True),
        Param("n_show", int, "held-out digits shown in the saliency figures", low=1, high=16),
        Param("workers", int, "processes training models side by side (one torch thread each on CPU); "
              "results do not depend on it", low=1, high=64),
        Param("resume", bool, "keep each finished model's results under build/store/ and reuse them when a run is "
              "repeated with the same code, data and settings (an interrupted run resumes)"),
    ),
    profiles={
        "smoke": {
            "seeds": [0, 1], "data_source": "shipped", "n_train": 512, "n_eval": 48, "batch_size": 32,
            "warmup_epochs": 2, "epochs": 1, "prior_batch": 8, "n_samples": 1, "n_samples_eval": 2,
            "latent_dim": 3, "tv_lambdas": [0.01], "entropy_lambdas": [5.0], "pearson_lambdas": [10.0],
            "modes": ["mu_only", "full"], "beta_vae_betas": [4.0], "tcvae_betas": [4.0], "n_show": 3, "workers": 1, "resume": False,
        },
        "default": {
            "seeds": [0, 1, 2], "data_source": "auto", "n_train": 4000, "n_eval": 200, "batch_size": 32,
            "warmup_epochs": 8, "epochs": 1, "prior_batch": 16, "n_samples": 2, "n_samples_eval": 5,
            "latent_dim": 3, "tv_lambdas": [0.01], "entropy_lambdas": [5.0], "pearson_lambdas": [10.0],
            "modes": ["mu_only", "full"], "beta_vae_betas": [4.0], "tcvae_betas": [4.0], "n_show": 4, "workers": 2, "resume": False,
        },
        "paper": {
            "seeds": [0, 1, 2, 3, 4], "data_source": "auto", "n_train": 60000, "n_eval": 10000, "batch_size": 300,
            "warmup_epochs": 0, "epochs": 50, "prior_batch": 0, "n_samples": 5, "n_samples_eval": 5,
            "latent_dim": 3, "tv_lambdas": [0.001, 0.01, 0.1, 1.0, 5.0], "entropy_lambdas": [0.5, 1.0, 5.0],
            "pearson_lambdas": [1.0, 5.0, 10.0], "modes": ["mu_only", "full"],
            "beta_vae_betas": [2.0, 5.0, 10.0], "tcvae_betas": [2.0, 5.0, 10.0], "n_show": 6, "workers": 2,
            "resume": True,
        },
    },
)
