"""Parameters of notebooks/03b_mnist_tv_prior.ipynb: the pixel-TV attribution prior on MNIST
(Erion et al. §2.3, Supplement E/F), CIFAR-10 + VGG16 at the paper profile when the data are present."""
from __future__ import annotations

import numpy as np

from attrprior.compendium.params import SEED_MAX, NotebookSpec, Param

_PAPER_LAMBDAS = [float(f"{v:.3g}") for v in np.logspace(-20, -1, 20)]  # Supplement E.1: 20 values in [1e-20, 1e-1]

SPEC = NotebookSpec(
    name="03b_mnist_tv_prior",
    title="Expected gradients with a pixel total-variation prior: smoother maps and robustness to noise (MNIST)",
    data="real MNIST 28×28 (full torchvision download when available, else the shipped 10k test set split "
         "8,000/2,000); CIFAR-10 via torchvision only at the paper profile",
    params=(
        Param("seeds", int, "random initialisations of the final models (λ is swept on the first)", low=0,
              high=SEED_MAX, many=True),
        Param("n_train", int, "training images (0 = all the source offers minus n_val)", low=0, high=60000),
        Param("n_val", int, "validation images for the λ selection rule (carved from the training part)", low=2, high=60000),
        Param("n_test", int, "test images for accuracy and noise robustness (0 = all)", low=0, high=10000),
        Param("epochs", int, "training epochs per model [paper: 60]", low=1, high=500),
        Param("lr", float, "initial Adam learning rate [paper: 1e-4]", low=1e-6, high=1e-1),
        Param("lr_decay", float, "exponential learning-rate decay per epoch [paper: 0.95]", low=0.1, high=1.0),
        Param("batch_size", int, "mini-batch size [paper: 50]", low=2, high=1024),
        Param("k", int, "EG references per image while training (shifted batch) [paper: 1]", low=1, high=64),
        Param("lambdas", float, "λ grid (> 0) swept for both the EG prior and the gradient prior", low=1e-30,
              many=True, high=0.9),
        Param("tolerance", float, "λ rule: lowest TV with validation accuracy within this of baseline [paper: 0.01]",
              low=0.0, high=1.0),
        Param("sigmas", float, "std of Gaussian noise added to test images (pixel units, images in [-0.5, 0.5])",
              low=0.0, high=5.0, many=True),
        Param("n_tv_images", int, "images whose EG maps are scored by total variation", low=2, high=10000),
        Param("eg_samples", int, "EG samples per image for evaluation maps [paper: 100]", low=1, high=1000),
        Param("n_references", int, "training images in the evaluation EG reference pool", low=2, high=60000),
        Param("n_show", int, "test images shown in the attribution-map figure [paper: 5]", low=1, high=12),
        Param("mode", str, "'alternating' task/prior steps with two Adams (the reference code) or one 'joint' loss",
              choices=("alternating", "joint")),
        Param("batch_norm", bool, "batch norm after conv/hidden layers (reference code: yes; paper text: silent)"),
        Param("data_source", str, "MNIST source for attrprior.core.data.load_mnist", choices=("auto", "shipped", "download")),
        Param("run_cifar", bool, "run the CIFAR-10 + VGG16 section if the data can be obtained"),
        Param("cifar_epochs", int, "CIFAR-10 training epochs (the paper does not state the count)", low=1, high=500),
        Param("cifar_lambda", float, "CIFAR-10 λ [paper: 1e-4 at the 1% rule, 1e-3 at the 10% rule]", low=0.0, high=0.9),
        Param("workers", int, "processes training models side by side (results do not depend on it)", low=1, high=64),
    ),
    profiles={
        "smoke": {
            "seeds": [0], "n_train": 100, "n_val": 50, "n_test": 100, "epochs": 1, "lr": 1e-3, "lr_decay": 0.95,
            "batch_size": 50, "k": 1, "lambdas": [1e-8], "tolerance": 0.01, "sigmas": [0.0, 0.3],
            "n_tv_images": 3, "eg_samples": 8, "n_references": 50, "n_show": 3, "mode": "alternating",
            "batch_norm": False, "data_source": "auto", "run_cifar": False, "cifar_epochs": 1, "cifar_lambda": 1e-4,
            "workers": 1,
        },
        "default": {
            "seeds": [0, 1], "n_train": 1000, "n_val": 300, "n_test": 500, "epochs": 1, "lr": 1e-3,
            "lr_decay": 0.95, "batch_size": 50, "k": 1, "lambdas": [1e-9, 1e-8, 1e-7], "tolerance": 0.01,
            "sigmas": [0.0, 0.15, 0.3, 0.45, 0.6], "n_tv_images": 12, "eg_samples": 100, "n_references": 500,
            "n_show": 5, "mode": "alternating", "batch_norm": False, "data_source": "auto", "run_cifar": False,
            "cifar_epochs": 1, "cifar_lambda": 1e-4, "workers": 1,
        },
        "paper": {
            "seeds": [0, 1, 2, 3, 4], "n_train": 0, "n_val": 1000, "n_test": 0, "epochs": 60, "lr": 1e-4,
            "lr_decay": 0.95, "batch_size": 50, "k": 1, "lambdas": _PAPER_LAMBDAS, "tolerance": 0.01,
            "sigmas": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0], "n_tv_images": 200, "eg_samples": 100,
            "n_references": 5000, "n_show": 5, "mode": "alternating", "batch_norm": True, "data_source": "auto",
            "run_cifar": True, "cifar_epochs": 60, "cifar_lambda": 1e-4, "workers": 2,
        },
    },
)
