"""Notebook 03c: the Gini sparsity attribution prior on NHANES (Erion et al. §2.5)."""
