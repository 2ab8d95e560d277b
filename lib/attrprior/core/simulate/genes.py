"""Gene-level drug-response stand-in built on real prior knowledge (MERGE meta-features, KEGG pathways).

The AML expression / drug-response data of Erion et al. (§2.4) and of DAPr (§4.3) cannot be shipped,
so this module **simulates** them. What is real and what is not:

* **real** – the gene identities (MERGE genes that occur in the shipped Enrichr KEGG_2016 library),
  each gene's five MERGE driver meta-features (Mutation, Expression hub, Regulator, CNV, Methylation)
  and the KEGG pathway memberships, from which the gene graph is built;
* **simulated** – the patients' expression, which drugs each patient was tested on, the driver genes,
  their effects and the IC50-like response.

Generative model (everything drawn from one ``numpy.random.default_rng(seed)``):

1. *Genes*: KEGG pathways of usable size are visited in a seeded random order and their MERGE genes
   added until ``n_genes`` are chosen (so the subset keeps whole pathway modules).
2. *Graph*: pathway co-membership similarity S_ij = Σ_{pathways k ∋ i,j} 1/|k|, sparsified to a
   symmetric binary k-nearest-neighbour graph (``graph_k``). Control: a random graph with the
   **same degree sequence** (networkx double-edge swaps).
3. *Expression* (patients × genes): one N(0,1) factor per pathway; gene g gets
   √ρ · mean-scaled sum of its pathways' factors + √(1−ρ) · own noise (ρ = ``module_strength``),
   then each gene is standardised. Genes that share pathways correlate.
4. *Drivers*: propensity s_g = z-scored Σ_c w_c·t_c(meta_gc) (t = log1p for the count columns
   Mutation and Expression hub). A few *active pathways* are drawn with probability ∝ exp(s̄_pathway);
   P(driver_g) = sigmoid(b + ``meta_strength``·s_g + ``pathway_strength``·[g in an active pathway]),
   b calibrated so E[#drivers] = ``driver_fraction``·n_genes. Driver probability therefore rises
   with the MERGE meta-features (tested).
5. *Effects*: β = driver ⊙ z with z = (I + γL)⁻¹ ε, ε ~ N(``effect_mean``, 1): a field that is smooth
   along the gene graph (neighbouring genes get similar effects), non-zero on drivers only.
6. *Response*: each patient is tested on a random ``drug_coverage`` fraction of drugs;
   y_pd = c_d + a_d · h_p + noise, with h_p = φ(x_p)·β scaled to unit variance, where
   φ(x) = (1 − w)·x + w·(x² − 1)/√2 (w = ``nonlinearity``: 0 linear, 1 purely quadratic), drug offsets
   c_d ~ N(0, 1) and drug gains a_d ~ N(1, ``drug_gain_sd``) (so drug × expression interact);
   the noise variance is set so that the noiseless signal explains ``signal_r2`` of the variance.

Public API (stable; the DAPr notebook uses it too):

* :func:`simulate_drug_response` (all keyword arguments) → :class:`DrugResponseStandIn`;
* :class:`DrugResponseStandIn`: fields ``expression`` [patients, genes], ``patient``/``drug``/``y``
  [samples], ``genes``, ``drug_names``, ``meta`` [genes, 5] (raw MERGE values, columns
  :data:`MERGE_META_COLUMNS`), ``adjacency`` / ``random_adjacency`` (scipy CSR, binary, symmetric),
  ``membership`` [genes, pathways] + ``pathway_names``, ``driver_mask``, ``effects``,
  ``driver_probability``, ``active_pathways``, ``signal``; properties ``X`` (samples × genes),
  ``drug_onehot``; methods ``model_inputs(idx)`` (expression then one-hot drug), ``split(seed)``
  (patient-level train/val/test sample indices), ``for_drug(d)`` (one drug: patients × genes, y),
  ``pathways()``;
* helpers :func:`select_genes`, :func:`pathway_membership`, :func:`comembership_graph`,
  :func:`degree_preserving_random_graph`, :func:`driver_propensity`, :func:`smooth_field`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

MERGE_META_COLUMNS: tuple[str, ...] = (
    "Mutation", "Expression hub", "Regulator", "Genomic abnormalities (CNV)", "meEthylation",
)
META_SHORT_NAMES: tuple[str, ...] = ("Mutation", "Expression hub", "Regulator", "CNV", "Methylation")
_LOG_COLUMNS = (0, 1)  # count-valued columns get log1p before weighting
DEFAULT_META_WEIGHTS: tuple[float, ...] = (1.0, 1.5, 0.75, 0.75, 0.5)
KEGG_LIBRARY = "enrichr.KEGG_2016.gmt"


# --------------------------------------------------------------------------- real inputs
def _load_real(merge=None, gene_sets: Mapping[str, Sequence[str]] | None = None):
    """MERGE table and KEGG sets: the shipped files unless given (tests may pass their own)."""
    if merge is None or gene_sets is None:
        from attrprior.core.data import gmt_path, load_merge_features, read_gmt

        merge = load_merge_features() if merge is None else merge
        gene_sets = read_gmt(gmt_path(KEGG_LIBRARY)) if gene_sets is None else gene_sets
    missing = [c for c in MERGE_META_COLUMNS if c not in merge.columns]
    if missing:
        raise ValueError(f"MERGE table lacks columns {missing}")
    return merge, gene_sets


def select_genes(n_genes: int, merge_genes: Sequence[str], gene_sets: Mapping[str, Sequence[str]],
                 rng: np.random.Generator, min_set_size: int = 5, max_set_size: int = 300) -> list[str]:
    """Pick ``n_genes`` MERGE genes pathway by pathway (seeded order), returned sorted by name.

    Only pathways with between ``min_set_size`` and ``max_set_size`` MERGE genes are visited.
    Raises ValueError when fewer than ``n_genes`` genes are available.
    """
    if not isinstance(n_genes, (int, np.integer)) or n_genes < 2:
        raise ValueError(f"n_genes must be an integer >= 2, got {n_genes!r}")
    universe = set(merge_genes)
    usable = {k: sorted(set(v) & universe) for k, v in gene_sets.items()}
    usable = {k: v for k, v in usable.items() if min_set_size <= len(v) <= max_set_size}
    available = set().union(*usable.values()) if usable else set()
    if n_genes > len(available):
        raise ValueError(f"asked for {n_genes} genes but only {len(available)} MERGE genes lie in KEGG pathways "
                         f"of size {min_set_size}..{max_set_size}")
    names = sorted(usable)
    chosen: list[str] = []
    seen: set[str] = set()
    for i in rng.permutation(len(names)):
        new = [g for g in usable[names[i]] if g not in seen]
        rng.shuffle(new)
        take = new[: n_genes - len(chosen)]
        chosen += take
        seen.update(take)
        if len(chosen) == n_genes:
            break
    return sorted(chosen)


def pathway_membership(genes: Sequence[str], gene_sets: Mapping[str, Sequence[str]], min_size: int = 3,
                       max_set_size: int = 300) -> tuple[sp.csr_matrix, list[str]]:
    """Binary membership [genes, pathways] for pathways with >= ``min_size`` of ``genes`` (and at most
    ``max_set_size`` members in the full library)."""
    index = {g: i for i, g in enumerate(genes)}
    rows, cols, names = [], [], []
    for name in sorted(gene_sets):
        members = set(gene_sets[name])
        hits = sorted(index[g] for g in members if g in index)
        if len(hits) >= min_size and len(members) <= max_set_size:
            rows += hits
            cols += [len(names)] * len(hits)
            names.append(name)
    m = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(genes), len(names)))
    return m, names


def comembership_graph(membership: sp.spmatrix, k: int = 5) -> sp.csr_matrix:
    """Symmetric binary kNN graph on S = M diag(1/|set|) Mᵀ (zero diagonal); an edge joins i and j
    when j is among i's ``k`` most similar genes or vice versa. Ties broken by gene index."""
    if k < 1:
        raise ValueError(f"graph_k must be >= 1, got {k}")
    m = sp.csr_matrix(membership, dtype=np.float64)
    sizes = np.asarray(m.sum(0)).ravel()
    s = (m @ sp.diags(1.0 / np.maximum(sizes, 1)) @ m.T).toarray()
    np.fill_diagonal(s, 0.0)
    p = s.shape[0]
    order = np.argsort(-s, axis=1, kind="stable")[:, :k]
    rows = np.repeat(np.arange(p), order.shape[1])
    cols = order.ravel()
    keep = s[rows, cols] > 0
    a = sp.csr_matrix((np.ones(keep.sum()), (rows[keep], cols[keep])), shape=(p, p))
    a = ((a + a.T) > 0).astype(np.float32)
    a.setdiag(0)
    a.eliminate_zeros()
    return sp.csr_matrix(a)


def degree_preserving_random_graph(adjacency: sp.spmatrix, seed: int, swaps_per_edge: int = 10) -> sp.csr_matrix:
    """Random simple graph with exactly the degree sequence of ``adjacency`` (binary, symmetric):
    networkx double-edge swaps, ``swaps_per_edge`` × #edges of them."""
    import networkx as nx

    a = sp.csr_matrix(adjacency)
    if (a != a.T).nnz:
        raise ValueError("adjacency must be symmetric")
    g = nx.from_scipy_sparse_array(a)
    g.remove_edges_from(nx.selfloop_edges(g))
    n_edges = g.number_of_edges()
    if n_edges >= 2:
        nswap = swaps_per_edge * n_edges
        try:
            nx.double_edge_swap(g, nswap=nswap, max_tries=100 * nswap, seed=int(seed))
        except nx.NetworkXAlgorithmError:  # too few swappable edges (tiny graphs): keep what was swapped
            pass
    r = nx.to_scipy_sparse_array(g, nodelist=range(a.shape[0]), dtype=np.float32, format="csr")
    return sp.csr_matrix((r > 0).astype(np.float32))


def driver_propensity(meta: np.ndarray, weights: Sequence[float] = DEFAULT_META_WEIGHTS) -> np.ndarray:
    """z-scored Σ_c w_c·t_c(meta_c), t = log1p for Mutation and Expression hub, identity otherwise."""
    meta = np.asarray(meta, dtype=np.float64)
    if meta.ndim != 2 or meta.shape[1] != len(MERGE_META_COLUMNS):
        raise ValueError(f"meta must be [genes, {len(MERGE_META_COLUMNS)}], got {meta.shape}")
    if len(weights) != meta.shape[1]:
        raise ValueError(f"need {meta.shape[1]} meta weights, got {len(weights)}")
    t = meta.copy()
    t[:, list(_LOG_COLUMNS)] = np.log1p(np.clip(t[:, list(_LOG_COLUMNS)], 0, None))
    sd = t.std(0)
    t = (t - t.mean(0)) / np.where(sd > 0, sd, 1.0)
    score = t @ np.asarray(weights, dtype=np.float64)
    sd = score.std()
    return (score - score.mean()) / (sd if sd > 0 else 1.0)


def smooth_field(adjacency: sp.spmatrix, rng: np.random.Generator, smoothness: float = 1.0,
                 mean: float = 0.0) -> np.ndarray:
    """z = (I + γL)⁻¹ ε, ε ~ N(mean, 1): a Gaussian field that varies little along graph edges."""
    a = sp.csr_matrix(adjacency, dtype=np.float64)
    lap = sp.diags(np.asarray(a.sum(1)).ravel()) - a
    eps = rng.normal(mean, 1.0, a.shape[0])
    return np.asarray(spsolve(sp.csc_matrix(sp.identity(a.shape[0]) + smoothness * lap), eps)).ravel()


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _calibrate_intercept(logit: np.ndarray, target: float) -> float:
    """b such that Σ sigmoid(logit + b) = target (bisection)."""
    lo, hi = -50.0, 50.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _sigmoid(logit + mid).sum() < target else (lo, mid)
    return 0.5 * (lo + hi)


# --------------------------------------------------------------------------- the data set
@dataclass
class DrugResponseStandIn:
    """Simulated patients × drugs response on real genes; see the module docstring."""

    expression: np.ndarray          # [n_patients, n_genes] float32, standardised per gene
    patient: np.ndarray             # [n_samples] int64 patient of each sample
    drug: np.ndarray                # [n_samples] int64 drug of each sample
    y: np.ndarray                   # [n_samples] float32 IC50-like response
    signal: np.ndarray              # [n_samples] float32 noiseless response
    genes: list[str]
    drug_names: list[str]
    meta: np.ndarray                # [n_genes, 5] raw MERGE meta-features
    adjacency: sp.csr_matrix        # pathway kNN graph (binary, symmetric)
    random_adjacency: sp.csr_matrix  # same degree sequence, edges shuffled
    membership: sp.csr_matrix       # [n_genes, n_pathways]
    pathway_names: list[str]
    driver_mask: np.ndarray         # [n_genes] bool
    effects: np.ndarray             # [n_genes] float32, 0 off the drivers
    driver_probability: np.ndarray  # [n_genes]
    propensity: np.ndarray          # [n_genes] z-scored meta-feature score
    active_pathways: list[str]
    drug_offset: np.ndarray         # [n_drugs]
    drug_gain: np.ndarray           # [n_drugs]
    params: dict[str, Any] = field(default_factory=dict)
    meta_columns: tuple[str, ...] = MERGE_META_COLUMNS

    @property
    def n_genes(self) -> int:
        return len(self.genes)

    @property
    def n_drugs(self) -> int:
        return len(self.drug_names)

    @property
    def n_patients(self) -> int:
        return self.expression.shape[0]

    @property
    def n_samples(self) -> int:
        return self.y.shape[0]

    @property
    def X(self) -> np.ndarray:
        """Expression of each sample's patient, [n_samples, n_genes]."""
        return self.expression[self.patient]

    @property
    def drug_onehot(self) -> np.ndarray:
        """One-hot drug indicators, [n_samples, n_drugs] float32."""
        return np.eye(self.n_drugs, dtype=np.float32)[self.drug]

    @property
    def gene_slice(self) -> slice:
        """Columns of :meth:`model_inputs` that hold genes (the drugs follow)."""
        return slice(0, self.n_genes)

    def model_inputs(self, idx: np.ndarray | None = None) -> np.ndarray:
        """[expression | one-hot drug] rows for sample indices ``idx`` (all samples if None)."""
        idx = np.arange(self.n_samples) if idx is None else np.asarray(idx)
        return np.concatenate([self.expression[self.patient[idx]], self.drug_onehot[idx]], 1).astype(np.float32)

    def split(self, seed: int = 0, test_frac: float = 0.2, val_frac: float = 0.2) -> dict[str, np.ndarray]:
        """Patient-level split (as the paper: no test patient is seen in training): ``test_frac`` of
        patients go to test, ``val_frac`` of the rest to validation. Returns sample indices."""
        if not (0 < test_frac < 1 and 0 <= val_frac < 1):
            raise ValueError(f"test_frac in (0,1) and val_frac in [0,1) needed, got {test_frac}, {val_frac}")
        perm = np.random.default_rng(seed).permutation(self.n_patients)
        n_test = max(1, int(round(test_frac * self.n_patients)))
        n_val = int(round(val_frac * (self.n_patients - n_test)))
        if self.n_patients - n_test - n_val < 1:
            raise ValueError(f"{self.n_patients} patients are too few for this split")
        groups = {"test": perm[:n_test], "val": perm[n_test:n_test + n_val], "train": perm[n_test + n_val:]}
        return {k: np.flatnonzero(np.isin(self.patient, v)) for k, v in groups.items()}

    def for_drug(self, d: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """One drug's data (DAPr's single-drug setting): patients' expression [n, genes] and y [n]."""
        if not 0 <= d < self.n_drugs:
            raise ValueError(f"drug index {d} out of range 0..{self.n_drugs - 1}")
        rows = np.flatnonzero(self.drug == d)
        return self.expression[self.patient[rows]], self.y[rows]

    def pathways(self) -> dict[str, list[str]]:
        """Pathways used for the graph, restricted to the chosen genes."""
        m = self.membership.tocsc()
        return {n: [self.genes[i] for i in m[:, j].indices] for j, n in enumerate(self.pathway_names)}

    @property
    def best_r2(self) -> float:
        """R² of the noiseless signal on all samples (an upper bound for any model)."""
        resid = ((self.y - self.signal) ** 2).sum()
        return float(1 - resid / ((self.y - self.y.mean()) ** 2).sum())


def simulate_drug_response(*, n_genes: int = 300, n_patients: int = 200, n_drugs: int = 20,
                           drug_coverage: float = 0.8, driver_fraction: float = 0.15, n_active_pathways: int = 3,
                           meta_strength: float = 1.0, pathway_strength: float = 5.0,
                           meta_weights: Sequence[float] = DEFAULT_META_WEIGHTS, module_strength: float = 0.6,
                           effect_smoothness: float = 1.0, effect_mean: float = 0.5, drug_gain_sd: float = 0.5,
                           signal_r2: float = 0.5, nonlinearity: float = 0.0, graph_k: int = 5, min_set_size: int = 5,
                           max_set_size: int = 300, seed: int = 0, merge=None,
                           gene_sets: Mapping[str, Sequence[str]] | None = None) -> DrugResponseStandIn:
    """Simulate the stand-in (see the module docstring for the generative model). ``merge`` (MERGE
    DataFrame indexed by gene) and ``gene_sets`` default to the shipped files."""
    checks = {
        "n_patients >= 5": n_patients >= 5, "n_drugs >= 1": n_drugs >= 1,
        "0 < drug_coverage <= 1": 0 < drug_coverage <= 1, "0 < driver_fraction < 1": 0 < driver_fraction < 1,
        "n_active_pathways >= 1": n_active_pathways >= 1, "0 <= module_strength < 1": 0 <= module_strength < 1,
        "0 < signal_r2 <= 1": 0 < signal_r2 <= 1, "effect_smoothness >= 0": effect_smoothness >= 0,
        "drug_gain_sd >= 0": drug_gain_sd >= 0, "0 <= nonlinearity <= 1": 0 <= nonlinearity <= 1,
    }
    bad = [k for k, ok in checks.items() if not ok]
    if bad:
        raise ValueError(f"simulate_drug_response: need {', '.join(bad)}")
    merge, gene_sets = _load_real(merge, gene_sets)
    rng = np.random.default_rng(seed)
    genes = select_genes(n_genes, list(merge.index), gene_sets, rng, min_set_size, max_set_size)
    meta = merge.loc[genes, list(MERGE_META_COLUMNS)].to_numpy(np.float64)
    membership, names = pathway_membership(genes, gene_sets, min_size=3, max_set_size=max_set_size)
    adjacency = comembership_graph(membership, graph_k)
    random_adjacency = degree_preserving_random_graph(adjacency, seed=int(rng.integers(2**31)))

    # expression: pathway modules
    m = membership.toarray().astype(np.float64)
    n_memb = m.sum(1)
    factors = rng.normal(size=(n_patients, m.shape[1]))
    module = factors @ m.T / np.sqrt(np.maximum(n_memb, 1))
    own = rng.normal(size=(n_patients, n_genes))
    x = np.where(n_memb > 0, np.sqrt(module_strength), 0.0) * module + own * np.where(
        n_memb > 0, np.sqrt(1 - module_strength), 1.0)
    x = (x - x.mean(0)) / x.std(0)

    # drivers: probability rises with the meta-feature propensity and membership of active pathways
    prop = driver_propensity(meta, meta_weights)
    path_score = (m.T @ prop) / np.maximum(m.sum(0), 1)
    w = np.exp(meta_strength * (path_score - path_score.max()))
    n_act = min(n_active_pathways, m.shape[1])
    active = rng.choice(m.shape[1], size=n_act, replace=False, p=w / w.sum()) if n_act else np.array([], int)
    in_active = m[:, active].sum(1) > 0 if n_act else np.zeros(n_genes, bool)
    logit = meta_strength * prop + pathway_strength * in_active
    logit = logit + _calibrate_intercept(logit, driver_fraction * n_genes)
    p_driver = _sigmoid(logit)
    drivers = rng.random(n_genes) < p_driver
    if not drivers.any():
        drivers[np.argmax(p_driver)] = True

    # effects: smooth along the graph, non-zero on drivers
    z = smooth_field(adjacency, rng, effect_smoothness, effect_mean)
    effects = np.where(drivers, z, 0.0)
    h = ((1 - nonlinearity) * x + nonlinearity * (x**2 - 1) / np.sqrt(2)) @ effects if nonlinearity else x @ effects
    scale = h.std()
    effects, h = (effects / scale, h / scale) if scale > 0 else (effects, h)

    # samples: (patient, drug) pairs and the response
    observed = rng.random((n_patients, n_drugs)) < drug_coverage
    observed[np.arange(n_patients), rng.integers(n_drugs, size=n_patients)] = True
    patient, drug = np.nonzero(observed)
    offset = rng.normal(0, 1, n_drugs)
    gain = rng.normal(1, drug_gain_sd, n_drugs)
    signal = offset[drug] + gain[drug] * h[patient]
    noise_sd = np.sqrt(signal.var() * (1 - signal_r2) / signal_r2) if signal_r2 < 1 else 0.0
    y = signal + rng.normal(0, 1, signal.shape) * noise_sd

    params = dict(n_genes=n_genes, n_patients=n_patients, n_drugs=n_drugs, drug_coverage=drug_coverage,
                  driver_fraction=driver_fraction, n_active_pathways=n_active_pathways, meta_strength=meta_strength,
                  pathway_strength=pathway_strength, meta_weights=list(meta_weights),
                  module_strength=module_strength, effect_smoothness=effect_smoothness, effect_mean=effect_mean,
                  drug_gain_sd=drug_gain_sd, signal_r2=signal_r2, nonlinearity=nonlinearity, graph_k=graph_k,
                  min_set_size=min_set_size,
                  max_set_size=max_set_size, seed=seed, noise_sd=float(noise_sd))
    return DrugResponseStandIn(
        expression=x.astype(np.float32), patient=patient.astype(np.int64), drug=drug.astype(np.int64),
        y=y.astype(np.float32), signal=signal.astype(np.float32), genes=genes,
        drug_names=[f"drug_{d:03d}" for d in range(n_drugs)], meta=meta.astype(np.float32),
        adjacency=adjacency, random_adjacency=random_adjacency, membership=membership, pathway_names=names,
        driver_mask=drivers, effects=effects.astype(np.float32), driver_probability=p_driver.astype(np.float32),
        propensity=prop.astype(np.float32), active_pathways=[names[i] for i in active],
        drug_offset=offset.astype(np.float32), drug_gain=gain.astype(np.float32), params=params,
    )


__all__ = [
    "DEFAULT_META_WEIGHTS", "DrugResponseStandIn", "KEGG_LIBRARY", "MERGE_META_COLUMNS", "META_SHORT_NAMES",
    "comembership_graph", "degree_preserving_random_graph", "driver_propensity", "pathway_membership",
    "select_genes", "simulate_drug_response", "smooth_field",
]
