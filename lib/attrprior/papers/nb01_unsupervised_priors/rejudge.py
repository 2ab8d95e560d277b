"""Re-judge the committed paper-profile run of notebook 01 from its stored per-run metrics, without retraining.

    python -m attrprior.papers.nb01_unsupervised_priors.rejudge

Rebuilds every claim of ``results/paper/01_unsupervised_priors/claims.json`` from the committed per-run metrics —
``runs.csv`` plus the λ-grid blocks under ``grid/`` (:mod:`.blocks`) and the authors' models under ``reference/``
(:mod:`.amad_reference`) — with the rules the notebook uses now (:mod:`.judgements`, :mod:`.trend_claims`,
:mod:`.reference_claims`), keeps the run's provenance as it was and adds a ``rejudged`` note (when, with which code,
which grid files, the verdicts before).
"""
from __future__ import annotations

import re
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from attrprior.compendium.claims import CLAIMS_FILE, ClaimRecorder, git_commit, load_claims, write_json_atomic
from attrprior.compendium.committed import committed_dir
from attrprior.compendium.params import Config
from .judgements import judge_all, nearest
from .reference_claims import (metric_reproduction_claim, reference_failures, training_reproduction_claim,
                               tv_reference_claim)
from .trend_claims import trend_claims

NOTEBOOK = "01_unsupervised_priors"
PAPER = "Amad, Incorporating Feature Attribution Priors into Unsupervised Models"


def scale_line(params: Mapping[str, Any], n_train: int, n_eval: int) -> str:
    """One line on how big a run is: seeds, training (from scratch or a warm-up fine-tuned), images."""
    seeds, epochs, warm = len(params["seeds"]), params["epochs"], params["warmup_epochs"]
    prior_on = params["prior_batch"] or params["batch_size"]
    training = (f"{epochs} epochs from scratch" if not warm else
                f"a plain VAE warmed up {warm} epochs, then {epochs} epoch(s) with the prior (fine-tuning, "
                "not training from scratch)")
    return (f"{seeds} seeds; {training} at batch {params['batch_size']}, the prior on {prior_on} images per batch; "
            f"{n_train:,} training / {n_eval:,} held-out MNIST images")


def _images(data: str, params: Mapping[str, Any]) -> tuple[int, int]:
    """Training and held-out images of a run, from its data line (the offline split) or its parameters."""
    m = re.search(r"into ([\d,]+) train / ([\d,]+) test", data)
    if m:
        n_train, n_eval = (int(g.replace(",", "")) for g in m.groups())
        return min(n_train, params["n_train"]), min(n_eval, params["n_eval"])
    return params["n_train"], params["n_eval"]


def grid_frame(folder: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The committed run's ``runs.csv`` with every finished λ-grid block of ``folder/grid`` appended, and a note on
    the blocks. A block's λ = 0 VAEs (``vae.csv``) retrain the committed run's baselines with the same seeds and
    settings: they are not added (the committed ones stay the λ = 0 group) but compared (:func:`baseline_rerun`)."""
    frame = pd.read_csv(folder / "runs.csv")
    note: dict[str, Any] = {"blocks": []}
    for path in sorted((folder / "grid").glob("*.csv")):
        block = pd.read_csv(path)
        if path.stem == "vae":
            note["baseline_rerun"] = baseline_rerun(frame[frame.kind == "vae"], block)
            continue
        block = block[~block.set_index(["kind", "prior", "lam", "mode", "seed"]).index.isin(
            frame.set_index(["kind", "prior", "lam", "mode", "seed"]).index)]
        frame = pd.concat([frame, block], ignore_index=True)
        note["blocks"].append(path.name)
    return frame, note


def baseline_rerun(committed: pd.DataFrame, rerun: pd.DataFrame) -> dict[str, Any]:
    """The retrained λ = 0 VAEs against the committed ones, per metric: both means, the largest per-seed difference
    and a two-sided Welch p. Not a determinism check when the code changed in between (then only the distribution
    should agree): the committed run predates the three-layer refactor and the Dask executor."""
    from scipy import stats

    merged = committed.merge(rerun, on="seed", suffixes=("", "_rerun"))
    out = {}
    for m in ("recon", "entropy", "pearson", "tv_rel"):
        if len(merged) >= 2:
            out[m] = {"committed": float(merged[m].mean()), "rerun": float(merged[f"{m}_rerun"].mean()),
                      "max_abs_seed_diff": float((merged[m] - merged[f"{m}_rerun"]).abs().max()),
                      "welch_p": float(stats.ttest_ind(merged[m], merged[f"{m}_rerun"], equal_var=False).pvalue)}
    return out


def reference_table(folder: Path) -> pd.DataFrame | None:
    """Our metrics of the authors' models (``reference/models.csv``), or None before they are evaluated."""
    path = folder / "reference" / "models.csv"
    return pd.read_csv(path) if path.is_file() else None


def lambdas_in(frame: pd.DataFrame) -> dict[str, list[float]]:
    """The λ > 0 run for each prior in the μ-only mode (every prior keeps at least an empty list)."""
    rows = frame[(frame.kind == "prior") & (frame["mode"] == "mu_only")]
    return {p: sorted({float(l) for l in rows[rows.prior == p].lam}) for p in ("total_variation", "entropy", "pearson")}


def rejudge_committed(root: Path | None = None) -> Path:
    """Rewrite the committed claims.json of notebook 01 from its runs.csv; returns its path."""
    folder = committed_dir(NOTEBOOK, root)
    payload = load_claims(folder / CLAIMS_FILE)
    prov, old = dict(payload["provenance"]), payload["claims"]
    if prov.get("profile") != "paper":
        raise ValueError(f"{folder / CLAIMS_FILE} is not a paper-profile run")
    params = {k: v for k, v in prov["parameters"].items() if k != "profile"}
    frame, grid = grid_frame(folder)
    reference = reference_table(folder)
    data = old[0].get("data", "") if old else ""
    scale = scale_line(params, *_images(data, params))
    if grid["blocks"]:
        scale += f"; plus the λ-grid blocks {', '.join(grid['blocks'])} (same settings)"
    cfg = Config(notebook=NOTEBOOK, profile="paper", values=params, overrides=prov.get("overrides", {}))
    recorder = ClaimRecorder(cfg, paper=prov.get("paper", PAPER), data=data, data_kind="real", scale=scale)
    lambdas = lambdas_in(frame)
    modes = sorted(set(frame[frame.kind == "prior"]["mode"]), key=lambda m: m != "mu_only")
    claims = judge_all(frame, lambdas, modes, nearest(lambdas["total_variation"], 0.01))
    claims += trend_claims(frame, reference, reference_failures())
    if reference is not None:
        claims += [metric_reproduction_claim(reference), training_reproduction_claim(frame, reference),
                   tv_reference_claim(reference)]
    for claim in claims:
        recorder.add(**claim)
    before = prov.get("rejudged", {}).get("verdicts_before") or {c["id"]: c["verdict"] for c in old}
    prov.update(data_kind="real", scale=scale, rejudged={
        "on": time.strftime("%Y-%m-%d"), "code": git_commit(),
        "note": "claims re-judged under the claims framework (kinds, paper-value sources, evidence with CI and "
                "power, the inconclusive rule) by attrprior.papers.nb01_unsupervised_priors.rejudge. "
                "Every statistic comes from the committed runs.csv of this run; no model was retrained, and the "
                "provenance above is the original run's.",
        "verdicts_before": before, "grid": grid,
        "reference_models": "reference/models.csv" if reference is not None else "not evaluated yet"})
    return write_json_atomic(folder / CLAIMS_FILE, {"provenance": prov, "claims": [asdict(c) for c in recorder.claims]})


if __name__ == "__main__":
    print(rejudge_committed())
