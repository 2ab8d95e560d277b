"""Notebook 03a: the attribution benchmark of Erion et al. (expected gradients against IG, gradients, random)."""
