"""Notebook 00: the shipped data (checksums, MNIST, NHANES, MERGE meta-features, gene sets)."""
