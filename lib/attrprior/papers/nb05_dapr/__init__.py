"""Notebook 05: deep attribution priors (DAPr, Weinberger et al.): two moons, drug-response stand-in, enrichment."""
