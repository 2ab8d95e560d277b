"""Notebook 01: label-free attribution priors on a VAE (Amad): TV, entropy and Pearson priors on latent saliency."""
