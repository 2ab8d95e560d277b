"""Notebook 00's data checks: each expected fact, where it comes from, and the one rule that judges it.

Every check is of kind ``check`` on real data: the expected values come from the data manifest
(``../shared/data/MANIFEST.md``) or a data set's official description, never from one of the papers, so their
source is ``NOT_IN_PAPER`` and ``paper_value`` says where the expected value is written instead.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping

from attrprior.compendium.claims import (CLAIMS_FILE, NOT_IN_PAPER, ClaimRecorder, git_commit, load_claims,
                                         write_json_atomic)
from attrprior.compendium.params import Config
from attrprior.compendium.verdicts import Verdict
from attrprior.core.data import MNIST_TEST_COUNTS, MNIST_TRAIN_COUNTS

PAPER = "Data sets (official descriptions, MANIFEST.md)"
SCALE = "every shipped file, read in full"
EXPECTED_GENE_SETS = {"KEGG_2016": 293, "KEGG_MSigDB_7.5.1": 186, "Hallmark_7.0": 50, "GO_BP_2021": 6036}


def _counts(counts) -> str:
    return ", ".join(str(c) for c in counts)


@dataclass(frozen=True)
class Check:
    """One data fact: what is claimed, the expected value and where it is written."""

    statement: str
    expected: Any
    where: str  # the expected value as written, and where
    section: str
    unit: str = ""


CHECKS: dict[str, Check] = {
    "all-files-verify": Check("Every shipped data file is present and matches its manifest sha256", 11,
                              "11 of 11 files (MANIFEST.md table)", "data-checksums", "files"),
    "mnist-test-size": Check("The MNIST test set has 10,000 images of 28×28 pixels", "10,000 × 28 × 28",
                             "10,000 × 28×28 (MANIFEST.md)", "data-mnist"),
    "mnist-test-counts": Check("MNIST test class counts equal the official ones (max abs. difference)", 0,
                               f"{_counts(MNIST_TEST_COUNTS)} (official MNIST test counts; not in MANIFEST.md)",
                               "data-mnist", "images"),
    "mnist-train-counts": Check("MNIST train label counts (60,000) equal the official ones (max abs. difference)",
                                0, f"{_counts(MNIST_TRAIN_COUNTS)} (official MNIST train counts; not in MANIFEST.md)",
                                "data-mnist", "images"),
    "nhanes-shape": Check("The NHANES I subset has 9,932 people with 18 clinical features", "9,932 × 18",
                          "9,932 people × 18 clinical features (MANIFEST.md)", "data-nhanes"),
    "nhanes-full-cohort": Check("The full NHANES I outcome file covers 14,264 people", 14264,
                                "14,264-person cohort (MANIFEST.md)", "data-nhanes", "people"),
    "merge-genes": Check("merge_features.csv has 16,864 rows and 16,863 unique genes ('2-Mar' twice)",
                         "16,864 rows / 16,863 genes", "16,864 rows, 16,863 unique genes (MANIFEST.md, known quirks)",
                         "data-merge"),
    "merge-score-ties": Check("3,161 genes share the MERGE SCORE 0.561245 (so a prerank on SCORE has ties)", 3161,
                              "3,161 genes share 0.561245 (MANIFEST.md, known quirks)", "data-merge", "genes"),
    "gmt-set-counts": Check("The shipped GMT libraries hold 293 / 186 / 50 / 6,036 gene sets",
                            ", ".join(f"{k} {v:,}" for k, v in EXPECTED_GENE_SETS.items()),
                            "KEGG_2016 293, MSigDB KEGG 186, Hallmark 50, GO BP 2021 6,036 (MANIFEST.md)",
                            "data-gene-sets"),
}


def exact(measured: Any, expected: Any) -> Verdict:
    """The rule of every data check: *reproduced* when the measured fact equals the expected one exactly
    (numbers compared as numbers, so 11.0 equals 11), *not reproduced* otherwise."""
    same = measured == expected
    if isinstance(measured, (int, float)) and isinstance(expected, (int, float)):
        same = float(measured) == float(expected)
    return ("reproduced", "") if same else ("not reproduced", f"measured {measured!r}, expected {expected!r}")


def files_verified(status: Mapping[str, bool]) -> int:
    """How many files passed their sha256 check (the measured value of ``all-files-verify``)."""
    return int(sum(bool(v) for v in status.values()))


def gene_set_counts(counts: Mapping[str, int]) -> str:
    """The measured value of ``gmt-set-counts``: ``"KEGG_2016 293, ..."`` in the libraries' order."""
    return ", ".join(f"{k} {v:,}" for k, v in counts.items())


def claim(id: str, measured: Any) -> dict[str, Any]:
    """``ClaimRecorder.add`` keyword arguments of check ``id`` for the ``measured`` value."""
    check = CHECKS[id]
    verdict, reason = exact(measured, check.expected)
    return dict(id=id, statement=check.statement, paper_value=check.where, measured=measured, verdict=verdict,
                reason=reason, kind="check", source=NOT_IN_PAPER, section=check.section, unit=check.unit)


def rejudge(folder: Path, when: str | None = None) -> Path:
    """Rewrite a committed ``claims.json`` of notebook 00 under the claims framework from its stored measured
    values (the checks compare them with :data:`CHECKS`); the provenance is kept, with a ``rejudged`` note."""
    folder = Path(folder)
    old = load_claims(folder / CLAIMS_FILE)
    prov = old["provenance"]
    params = {k: v for k, v in prov["parameters"].items() if k != "profile"}
    cfg = Config(notebook=prov["notebook"], profile=prov["profile"], values=params, overrides=prov.get("overrides", {}))
    recorder = ClaimRecorder(cfg, paper=PAPER, data=old["claims"][0].get("data", ""), data_kind="real", scale=SCALE)
    for c in old["claims"]:
        recorder.add(**claim(c["id"], c["measured"]))
    provenance = {**prov, "data_kind": "real", "scale": SCALE, "rejudged": {
        "on": when or time.strftime("%Y-%m-%dT%H:%M:%S%z"), "code": git_commit(), "statistics": "unchanged",
        "verdicts_before": prov.get("rejudged", {}).get("verdicts_before")
        or {c["id"]: c["verdict"] for c in old["claims"]},
        "note": "claims re-recorded under the claims framework (kind check, source, data kind) from the stored "
                "measured values; the measurements are unchanged"}}
    return write_json_atomic(folder / CLAIMS_FILE, {"provenance": provenance,
                                                    "claims": [asdict(c) for c in recorder.claims]})


__all__ = ["CHECKS", "Check", "EXPECTED_GENE_SETS", "PAPER", "SCALE", "claim", "exact", "files_verified",
           "gene_set_counts", "rejudge"]
