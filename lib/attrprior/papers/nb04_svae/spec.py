"""Parameters of notebooks/04_svae.ipynb: the supervised VAE of Nguyen & Rodríguez Martínez (2020)."""
from __future__ import annotations

from attrprior.compendium.params import SEED_MAX, NotebookSpec, Param

# Table 1 of the paper, transcribed from papers/4_supervised_vae_nguyen.md (means over 5 runs):
# {data set: (α1, α2, {model label: (R, accuracy %)})}.
PAPER_TABLE1 = {
    "MNIST": (60.0, 6000.0, {"SVAE α=60 β=0.01": (-402.06, 97.87), "SVAE α=60 β=0.9": (46.33, 96.63),
                             "SVAE α=6000 β=0.01": (-682.51, 98.12), "SVAE α=6000 β=0.9": (60.03, 98.23),
                             "SemiVAE α=60": (-461.27, 97.35), "SemiVAE α=6000": (-428.47, 97.30)}),
    "SVHN": (7000.0, 14000.0, {"SVAE α=7000 β=0.01": (-1214.95, 90.78), "SVAE α=7000 β=0.9": (-888.05, 90.39),
                               "SVAE α=14000 β=0.01": (-1098.50, 90.57), "SVAE α=14000 β=0.9": (-761.72, 90.61),
                               "SemiVAE α=7000": (-905.35, 83.85), "SemiVAE α=14000": (-820.29, 84.42)}),
    "CIFAR10": (6000.0, 12000.0, {"SVAE α=6000 β=0.01": (-1858.22, 73.58), "SVAE α=6000 β=0.9": (-1314.71, 71.45),
                                  "SVAE α=12000 β=0.01": (-1866.77, 72.99), "SVAE α=12000 β=0.9": (-1340.66, 72.24),
                                  "SemiVAE α=6000": (-1529.63, 63.07), "SemiVAE α=12000": (-1407.43, 62.21)}),
}

SPEC = NotebookSpec(
    name="04_svae",
    title="Learning invariances with a supervised VAE (Nguyen & Rodríguez Martínez)",
    data="MNIST via attrprior.core.data.load_mnist (offline: the shipped 10k test set split 8,000/2,000); "
         "SVHN / CIFAR-10 via download_dataset at the paper profile only, when available",
    params=(
        Param("seeds", int, "training seeds (the paper averages 5 runs)", low=0, high=SEED_MAX, many=True),
        Param("alphas", float, "classifier weights α (MNIST in the paper: 60, 6000)", low=1e-6, high=1e6, many=True),
        Param("betas", float, "SVAE β grid (Eq. 6); the paper reports 0.01 and 0.9", low=0.0, high=1.0, many=True),
        Param("mnist_source", str, "'auto' downloads full MNIST when online, 'shipped' uses the 8,000/2,000 split",
              choices=("auto", "shipped")),
        Param("image_size", int, "MNIST side length: 28 is the native size (no resampling)", choices=(28, 32)),
        Param("n_train", int, "training images used (a subset of what the loader returns)", low=100, high=60000),
        Param("n_test", int, "held-out images for Table 1", low=50, high=10000),
        Param("n_invariance", int, "held-out images in the invariance test (Fig. 2)", low=20, high=10000),
        Param("epochs", int, "passes over the n_train images", low=1, high=500),
        Param("batch_size", int, "minibatch size", low=8, high=1024),
        Param("lr", float, "Adam learning rate", low=1e-5, high=1e-1),
        Param("width", int, "channels of the first conv layer (the second has twice as many)", low=4, high=128),
        Param("hidden", int, "dense layer size of encoders and decoder", low=16, high=1024),
        Param("z1_dim", int, "class units z1 (Fig. 7 perturbs 10 of them)", low=2, high=64),
        Param("z2_dim", int, "nuisance units z2 (Fig. 3 picks 2 of 5)", low=2, high=64),
        Param("mc_samples", int, "Monte-Carlo draws z1 ~ q(z1|x) for the prediction of Eq. 7", low=1, high=100),
        Param("sigmas", float, "standard deviations σ of the resampled nuisance units (0.1 to 5.0 in Fig. 2)",
              low=0.0, high=20.0, many=True),
        Param("n_examples", int, "test digits shown in the sample, attribution and counterfactual figures",
              low=1, high=10),
        Param("attr_samples", int, "GradientShap draws / IG steps for the attribution maps", low=4, high=512),
        Param("extra_datasets", str, "Table 1 rows beyond MNIST, run only when the data can be loaded",
              choices=("none", "svhn", "cifar10"), many=True),
        Param("workers", int, "processes training the grid's models side by side (results do not depend on it)",
              low=1, high=64),
    ),
    profiles={
        "smoke": {
            "seeds": [0, 1], "alphas": [60.0, 6000.0], "betas": [0.01, 0.9], "mnist_source": "shipped",
            "image_size": 28, "n_train": 400, "n_test": 200, "n_invariance": 100, "epochs": 1, "batch_size": 50,
            "lr": 3e-3, "width": 4, "hidden": 32, "z1_dim": 10, "z2_dim": 5, "mc_samples": 2,
            "sigmas": [0.1, 1.0, 5.0], "n_examples": 2, "attr_samples": 8, "extra_datasets": ["none"],
            "workers": 1,
        },
        "default": {
            "seeds": [0], "alphas": [6000.0], "betas": [0.01, 0.9], "mnist_source": "auto",
            "image_size": 28, "n_train": 3000, "n_test": 1000, "n_invariance": 500, "epochs": 12, "batch_size": 32,
            "lr": 3e-3, "width": 8, "hidden": 64, "z1_dim": 10, "z2_dim": 5, "mc_samples": 10,
            "sigmas": [0.1, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0], "n_examples": 3, "attr_samples": 32,
            "extra_datasets": ["none"], "workers": 1,
        },
        "paper": {
            "seeds": [0, 1, 2, 3, 4], "alphas": [60.0, 6000.0], "betas": [0.01, 0.5, 0.9], "mnist_source": "auto",
            "image_size": 28, "n_train": 60000, "n_test": 10000, "n_invariance": 2000, "epochs": 50,
            "batch_size": 100, "lr": 1e-3, "width": 32, "hidden": 256, "z1_dim": 10, "z2_dim": 5, "mc_samples": 10,
            "sigmas": [0.1, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0], "n_examples": 5,
            "attr_samples": 64, "extra_datasets": ["svhn", "cifar10"], "workers": 2,
        },
    },
)
