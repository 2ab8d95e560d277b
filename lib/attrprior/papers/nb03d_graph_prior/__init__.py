"""Notebook 03d: the gene-graph attribution prior on a drug-response stand-in (Erion et al. §2.4)."""
