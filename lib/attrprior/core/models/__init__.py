"""Shared models: the MLPs used by several papers (papers keep their own architectures)."""
