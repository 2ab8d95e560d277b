"""Re-judge a committed 03a run (``results/paper/03a_attribution_benchmark/``) from its stored scores.

``benchmark_scores.csv`` holds every (data set, seed, method, metric) score of the run, so every statistic of
every claim can be recomputed without retraining; :func:`rejudge` rebuilds the claims with the same functions the
notebook uses and rewrites ``claims.json``, keeping the run's provenance and adding a ``rejudged`` note.
"""
from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from attrprior.compendium.claims import CLAIMS_FILE, ClaimRecorder, git_commit, load_claims, write_json_atomic
from attrprior.compendium.params import Config

from . import benchstats as S
from . import claimset as C

SCORES_FILE = "benchmark_scores.csv"


def all_claims(scores: pd.DataFrame, keys: list[str], fraction: float) -> list[dict[str, Any]]:
    """Every claim of the notebook, in its order, as ``ClaimRecorder.add`` keyword arguments."""
    out = [C.eg_first(k, S.eg_first_stats(scores, k)) for k in keys]
    out += [C.eg_beats_ig(k, S.eg_vs_ig_stats(scores, k)) for k in keys]
    out.append(C.ig_close_behind(S.ig_close_behind_stats(scores, keys, fraction)))
    out.append(C.baselines_far_behind(S.baselines_far_behind_stats(scores, keys, C.TITLES)))
    return out


def rejudge(folder: Path, when: str | None = None) -> Path:
    """Rewrite ``folder/claims.json`` from ``folder/benchmark_scores.csv``; returns the path written."""
    folder = Path(folder)
    old = load_claims(folder / CLAIMS_FILE)
    prov = old["provenance"]
    params = {k: v for k, v in prov["parameters"].items() if k != "profile"}
    cfg = Config(notebook=prov["notebook"], profile=prov["profile"], values=params,
                 overrides=prov.get("overrides", {}))
    scores = pd.read_csv(folder / SCORES_FILE)
    if sorted(scores["seed"].unique().tolist()) != sorted(params["seeds"]):
        raise ValueError(f"{folder / SCORES_FILE} holds seeds {sorted(scores['seed'].unique())}, "
                         f"the provenance says {params['seeds']}")
    recorder = ClaimRecorder(cfg, paper=C.PAPER, data=C.DATA, data_kind="simulated",
                             scale=C.scale(params["seeds"], params["epochs"], params["eg_samples"]))
    for claim in all_claims(scores, list(params["datasets"]), params["tie_fraction"]):
        recorder.add(**claim, seeds=params["seeds"])
    rejudged = {
        "on": when or time.strftime("%Y-%m-%dT%H:%M:%S%z"), "code": git_commit(),
        "statistics": "unchanged: recomputed from the committed scores (the paired statistics of 'EG ranks first' are new)",
        "verdicts_before": prov.get("rejudged", {}).get("verdicts_before")
        or {c["id"]: c["verdict"] for c in old["claims"]},
        "note": (f"claims re-judged under the claims framework (kinds, sources, Evidence, inconclusive rule) from "
                 f"the committed {SCORES_FILE}, whose scores are unchanged; every statistic is recomputed from them, "
                 "and 'EG ranks first' is judged by the sharper paired rule (against each metric's runner-up, paired over seeds)"),
    }
    provenance = {**prov, "paper": C.PAPER, "data_kind": recorder.data_kind, "scale": recorder.scale,
                  "rejudged": rejudged}
    payload = {"provenance": provenance, "claims": [asdict(c) for c in recorder.claims]}
    return write_json_atomic(folder / CLAIMS_FILE, payload)


__all__ = ["SCORES_FILE", "all_claims", "rejudge"]
