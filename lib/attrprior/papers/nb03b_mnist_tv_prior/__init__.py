"""Notebook 03b: the pixel total-variation attribution prior on MNIST (Erion et al. §2.3)."""
