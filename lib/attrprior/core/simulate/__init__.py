"""Seeded simulators shared by papers (the gene-level drug-response stand-in)."""
