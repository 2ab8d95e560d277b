"""Over-representation (Enrichr-style hypergeometric) analysis of top-ranked genes, offline, with gseapy.

``enrich_top_genes`` ranks genes by a score, keeps the top k and calls ``gseapy.enrich`` on a local GMT file
(e.g. the shipped Enrichr KEGG_2016 library from :func:`attrprior.core.data.gmt_path`) with the *modelled* genes as
the background universe. The GMT is read and checked with :func:`attrprior.core.data.read_gmt` first, so a malformed
line fails with the file name and line number instead of somewhere inside gseapy.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

RESULT_COLUMNS = ("Term", "Overlap", "P-value", "Adjusted P-value", "Odds Ratio", "Genes")


def top_genes(genes: Sequence[str], scores: np.ndarray, k: int) -> list[str]:
    """The ``k`` genes with the largest ``scores`` (ties broken by gene order)."""
    scores = np.asarray(scores, dtype=float)
    if len(genes) != scores.shape[0]:
        raise ValueError(f"{len(genes)} genes but {scores.shape[0]} scores")
    if not 1 <= k <= len(genes):
        raise ValueError(f"k must be in 1..{len(genes)}, got {k}")
    if not np.isfinite(scores).all():
        raise ValueError("scores contain NaN or inf")
    order = np.argsort(-scores, kind="stable")[:k]
    return [genes[i] for i in order]


def load_gene_sets(gene_sets: str | Path | Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """A GMT path (validated line by line) or a ``{set: genes}`` mapping → ``{set: genes}``."""
    if isinstance(gene_sets, Mapping):
        sets = {str(k): [str(g) for g in v] for k, v in gene_sets.items()}
        if not sets or any(len(v) == 0 for v in sets.values()):
            raise ValueError("gene_sets must be a non-empty mapping of non-empty gene lists")
        return sets
    from attrprior.core.data import read_gmt

    return read_gmt(Path(gene_sets))  # raises DataCorruptError (a ValueError) on a malformed line


def enrich(gene_list: Sequence[str], gene_sets: str | Path | Mapping[str, Sequence[str]],
           background: Sequence[str]) -> pd.DataFrame:
    """Hypergeometric over-representation of ``gene_list`` in each set, against ``background``.

    Returns gseapy's result table (columns include ``Term``, ``Overlap``, ``P-value``,
    ``Adjusted P-value`` (Benjamini–Hochberg), ``Odds Ratio``, ``Genes``), sorted by adjusted p; an empty
    table with those columns when no set overlaps the list. Raises ValueError for an empty gene list,
    genes outside the background, an empty background or a malformed GMT.
    """
    import gseapy

    genes = [str(g) for g in gene_list]
    if len(genes) == 0:
        raise ValueError("the gene list is empty: nothing to test for enrichment")
    universe = [str(g) for g in background]
    if len(universe) == 0:
        raise ValueError("the background gene list is empty")
    outside = sorted(set(genes) - set(universe))
    if outside:
        raise ValueError(f"{len(outside)} genes are not in the background, e.g. {outside[:5]}")
    sets = load_gene_sets(gene_sets)  # validates a GMT file before gseapy sees it
    if not any(set(v) & set(genes) for v in sets.values()):
        return pd.DataFrame(columns=RESULT_COLUMNS)
    library = str(gene_sets) if isinstance(gene_sets, (str, Path)) else sets
    res = gseapy.enrich(gene_list=sorted(set(genes)), gene_sets=library, background=sorted(set(universe)),
                        outdir=None, cutoff=1.0, no_plot=True, verbose=False)
    table = res.results
    if table is None or len(table) == 0:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    return table.sort_values("Adjusted P-value").reset_index(drop=True)


def enrich_top_genes(genes: Sequence[str], scores: np.ndarray, k: int,
                     gene_sets: str | Path | Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Enrichment of the top-``k`` genes by ``scores`` with all of ``genes`` as the background."""
    return enrich(top_genes(genes, scores, k), gene_sets, background=genes)


def control_rankings(meta_raw: np.ndarray, meta_prepared: np.ndarray, prior_hidden: Sequence[int],
                     seed: int = 0) -> dict[str, np.ndarray]:
    """Rankings a trained prior g must beat for its enrichment to mean anything: the raw MERGE *expression hub*
    column (the meta-feature §5.1 finds g relies on most) and an *untrained* g of the same architecture on the same
    prepared meta-features (initialised from ``seed``)."""
    import torch

    from attrprior.core.models.mlp import mlp

    meta_raw, meta_prepared = np.asarray(meta_raw, float), np.asarray(meta_prepared, np.float32)
    if meta_raw.ndim != 2 or meta_raw.shape[1] < 2 or meta_raw.shape[0] != meta_prepared.shape[0]:
        raise ValueError(f"meta-features must be [genes, ≥ 2] with one row per gene; got {meta_raw.shape} and "
                         f"{meta_prepared.shape}")
    torch.manual_seed(seed)
    g0 = mlp(meta_prepared.shape[1], tuple(prior_hidden), 1)
    with torch.no_grad():
        untrained = g0(torch.as_tensor(meta_prepared)).squeeze(-1).numpy()
    return {"raw expression hubness": meta_raw[:, 1].copy(), "g untrained": untrained.astype(float)}


def significant(table: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Rows with Benjamini–Hochberg adjusted p < ``alpha``."""
    if len(table) == 0:
        return table
    return table[table["Adjusted P-value"] < alpha].reset_index(drop=True)
