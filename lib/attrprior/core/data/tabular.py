"""NHANES I survival data, the MERGE gene meta-features and GMT gene-set files."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from attrprior.core.data.shipped import DataCorruptError, DataMissingError, shipped_path

if TYPE_CHECKING:  # pandas is imported lazily so the runner's CLI starts fast
    import pandas as pd

NHANES_X = "nhanes/NHANESI_subset_X.csv"
NHANES_Y = "nhanes/NHANESI_subset_y.csv"
NHANES_Y_FULL = "nhanes/NHANESI_y.csv"
MERGE = "dapr/merge_features.csv"
MERGE_DUPLICATE_NOTE = (
    "merge_features.csv lists 16,864 rows but 16,863 unique genes: '2-Mar' (MARCH2/MARCHF2 turned into a "
    "date by a spreadsheet) appears twice; the first row is kept."
)
GMT_FILES = {
    "KEGG_2016": "genesets/enrichr.KEGG_2016.gmt",
    "KEGG_MSigDB_7.5.1": "genesets/c2.cp.kegg.v7.5.1.symbols.gmt",
    "Hallmark_7.0": "genesets/h.all.v7.0.symbols.gmt",
    "GO_BP_2021": "genesets/enrichr.GO_Biological_Process_2021.gmt",
}


def load_nhanes() -> tuple["pd.DataFrame", "pd.Series"]:
    """NHANES I subset: ``X`` (9,932 people x 18 clinical features) and ``y`` (years of follow-up,
    positive = died at that time, negative = censored, i.e. alive when last seen), aligned by row id."""
    import pandas as pd

    X = pd.read_csv(shipped_path(NHANES_X), index_col=0)
    y = pd.read_csv(shipped_path(NHANES_Y), index_col=0)["y"]
    if not X.index.equals(y.index) or X.shape[1] != 18:
        raise DataCorruptError(f"NHANES X {X.shape} and y {y.shape} do not line up (expected 18 features)")
    X.index.name = y.index.name = "id"
    return X, y.rename("y")


def nhanes_binary_outcome(y: "pd.Series", horizon_years: float = 10.0) -> tuple["pd.Series", "pd.Series"]:
    """Turn survival times into a binary "died within ``horizon_years``" outcome.

    - died at or before the horizon (``0 < y <= h``) -> 1;
    - known alive beyond the horizon (``|y| > h``: died later, or censored later) -> 0;
    - censored at or before the horizon (``-h <= y < 0``) -> excluded: their status at the horizon
      is unknown.

    Returns ``(labels, mask)``: ``mask`` is a bool Series over all of ``y`` (True = included) and
    ``labels`` an int64 Series over the included rows only, so ``X[mask]`` lines up with ``labels``.
    """
    import pandas as pd

    if not horizon_years > 0:
        raise ValueError(f"horizon_years must be positive, got {horizon_years}")
    died = (y > 0) & (y <= horizon_years)
    alive_after = y.abs() > horizon_years
    mask = (died | alive_after).rename("included")
    labels = pd.Series(died[mask].astype("int64"), name=f"died_within_{horizon_years:g}y")
    return labels, mask


def load_nhanes_full_outcome() -> "pd.Series":
    """Survival outcome of the full 14,264-person cohort (its features are not shipped)."""
    import pandas as pd

    return pd.read_csv(shipped_path(NHANES_Y_FULL), index_col=0)["y"]


def load_merge_features() -> "pd.DataFrame":
    """MERGE driver meta-features, one row per gene, indexed by ``GENE``.

    Columns: SCORE, Mutation, Expression hub, Regulator, Genomic abnormalities (CNV),
    meEthylation, #SIGPVALS. The duplicated '2-Mar' row keeps its first occurrence
    (see :data:`MERGE_DUPLICATE_NOTE`, also stored in ``df.attrs['note']``).
    """
    import pandas as pd

    df = pd.read_csv(shipped_path(MERGE))
    if "GENE" not in df.columns:
        raise DataCorruptError(f"{MERGE} has no GENE column; columns are {list(df.columns)}")
    n_rows = len(df)
    df = df.drop_duplicates(subset="GENE", keep="first").set_index("GENE")
    df.attrs["note"] = MERGE_DUPLICATE_NOTE
    df.attrs["rows_in_file"] = n_rows
    return df


def read_gmt(path: Path | str) -> dict[str, list[str]]:
    """Read a GMT file: one set per line, ``name<TAB>description<TAB>gene<TAB>gene...``.

    Empty gene fields (trailing tabs) are dropped. A line with fewer than three fields,
    an empty name, no genes or a repeated set name raises :class:`DataCorruptError`
    naming the file and line number.
    """
    path = Path(path)
    if not path.is_file():
        raise DataMissingError(f"GMT file {path} does not exist")
    sets: dict[str, list[str]] = {}
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            fields = line.split("\t")
            genes = [g.strip() for g in fields[2:] if g.strip()]
            name = fields[0].strip()
            problem = ("fewer than 3 tab-separated fields" if len(fields) < 3 else
                       "empty set name" if not name else
                       "no genes" if not genes else
                       f"set name {name!r} repeated" if name in sets else "")
            if problem:
                raise DataCorruptError(f"{path}, line {lineno}: malformed GMT line ({problem}): {line[:80]!r}")
            sets[name] = genes
    if not sets:
        raise DataCorruptError(f"GMT file {path} holds no gene sets")
    return sets


def gmt_path(name: str) -> Path:
    """Verified path of a shipped GMT: ``'KEGG_2016'``, ``'KEGG_MSigDB_7.5.1'``, ``'Hallmark_7.0'``,
    ``'GO_BP_2021'`` (or the file name / relative path itself)."""
    if name in GMT_FILES:
        return shipped_path(GMT_FILES[name])
    for rel in GMT_FILES.values():
        if name in (rel, Path(rel).name):
            return shipped_path(rel)
    raise DataMissingError(f"unknown gene-set library {name!r}; shipped: {', '.join(GMT_FILES)}")


def load_gene_sets(name: str) -> dict[str, list[str]]:
    """A shipped GMT library by name (see :func:`gmt_path`), read with :func:`read_gmt`."""
    return read_gmt(gmt_path(name))


def gene_set_coverage(genes: "pd.Index | list[str]", sets: dict[str, list[str]]) -> "pd.DataFrame":
    """Per set: its size, how many of its genes are in ``genes`` and that fraction, largest overlap first."""
    import pandas as pd

    universe = set(genes)
    rows = [(name, len(members), sum(g in universe for g in members)) for name, members in sets.items()]
    df = pd.DataFrame(rows, columns=["set", "size", "in_genes"]).set_index("set")
    df["coverage"] = df["in_genes"] / df["size"]
    return df.sort_values(["in_genes", "coverage"], ascending=False)
