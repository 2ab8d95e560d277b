"""Notebook 04: the supervised VAE (Nguyen & Rodríguez Martínez): z1/z2 split, invariance, attributions, M2 baseline."""
