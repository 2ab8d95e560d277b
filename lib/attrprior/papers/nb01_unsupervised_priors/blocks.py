"""Paper-scale blocks of notebook 01's λ grid, run outside the notebook and committed as each λ finishes.

    python -m attrprior.papers.nb01_unsupervised_priors.blocks entropy=0.5,1 pearson=1,5 [--workers 2]

The paper's grid (145 models) does not fit one CPU session. A block trains part of it with exactly the settings of
the committed paper-profile run (read from ``results/paper/01_unsupervised_priors/meta.json``, so the blocks and
that run share code, data and settings), together with the λ = 0 VAEs of the same seeds. Each finished
(prior, λ, mode) writes ``results/paper/01_unsupervised_priors/grid/<prior>_<λ>_<mode>.csv`` (rows as in the
notebook's ``runs.csv``) and the baselines ``vae.csv``, each with a provenance JSON; finished models also go to the
run store under ``build/store/``, so a block interrupted in one session resumes in the same checkout. Before a
session ends, ``--harvest`` saves the stored models of unfinished groups to ``grid/partial/`` (commit them): the next
session's checkout has no ``build/``, and a block then trains only the seeds the partial file lacks. A run over some
seeds only (``--seeds``, e.g. two processes splitting a group) merges its rows into ``grid/partial/<group>.csv``; the
group moves to ``grid/<group>.csv`` when every seed of the committed run is there, and a finished group made by the
same code is not trained again.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from dataclasses import asdict
from typing import Any, Sequence

import pandas as pd
import torch

from attrprior.compendium.atomic import write_atomic
from attrprior.compendium.cache import code_digest
from attrprior.compendium.claims import git_commit, package_versions
from attrprior.core import data
from attrprior.core.training import setup_device
from .sweep import PRIOR_NAMES, RunSpec, TrainSettings, run_sweep, sweep_store

NOTEBOOK = "01_unsupervised_priors"
SHORT = {"tv": "total_variation", "total_variation": "total_variation", "entropy": "entropy", "pearson": "pearson"}


def committed_parameters(root: Path | None = None) -> dict[str, Any]:
    """The parameters of the committed paper-profile run, which every block reuses."""
    root = root or data.repo_root()
    return json.loads((root / "results" / "paper" / NOTEBOOK / "meta.json").read_text())["parameters"]


def settings_from(params: dict[str, Any]) -> TrainSettings:
    """The notebook's TrainSettings for a parameter set (as its set-up section builds them)."""
    return TrainSettings(epochs=params["epochs"], warmup_epochs=params["warmup_epochs"],
                         batch_size=params["batch_size"], lr=1e-3, weight_decay=1e-5,
                         latent_dim=params["latent_dim"], n_samples=params["n_samples"],
                         prior_batch=params["prior_batch"] or None)


def parse_block(items: Sequence[str]) -> dict[str, list[float]]:
    """``["entropy=0.5,1", "tv=5"]`` -> ``{"entropy": [0.5, 1.0], "total_variation": [5.0]}``."""
    block: dict[str, list[float]] = {}
    for item in items:
        name, _, values = item.partition("=")
        if name not in SHORT or not values:
            raise SystemExit(f"blocks: expected prior=λ,λ with prior in {sorted(SHORT)}, got {item!r}")
        try:
            lams = [float(v) for v in values.split(",") if v]
        except ValueError:
            raise SystemExit(f"blocks: cannot read the λ values of {item!r}") from None
        if not lams or any(not (lam > 0 and lam < float("inf")) for lam in lams):
            raise SystemExit(f"blocks: every λ must be finite and > 0 in {item!r}")
        block.setdefault(SHORT[name], []).extend(lams)
    return block


def _write_csv(frame: pd.DataFrame, path: Path, provenance: dict[str, Any]) -> None:
    write_atomic(path, lambda fh: frame.to_csv(fh, index=False))
    write_atomic(path.with_suffix(".json"), lambda fh: json.dump(provenance, fh, indent=2, default=str))


def _partial(out: Path, name: str, digest: str) -> pd.DataFrame | None:
    """Rows of a group harvested in an earlier session (``grid/partial/<name>.csv``), if made by this code."""
    return _rows_if_same_code(out / "partial" / f"{name}.csv", digest)


def _rows_if_same_code(path: Path, digest: str) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    meta = json.loads(path.with_suffix(".json").read_text())
    if meta.get("code_digest") != digest:
        print(f"blocks: {path.name} was made by other code ({str(meta.get('code_digest'))[:12]}): retraining it",
              flush=True)
        return None
    return pd.read_csv(path)


def _earlier(out: Path, name: str, digest: str) -> pd.DataFrame | None:
    """The rows of a group finished before by this code: its committed ``grid/<name>.csv``, merged with what
    ``grid/partial/<name>.csv`` holds (seeds trained by a ``--seeds`` run or harvested at a session's end)."""
    frames = [f for f in (_rows_if_same_code(out / f"{name}.csv", digest), _partial(out, name, digest)) if f is not None]
    if not frames:
        return None
    rows = pd.concat(frames, ignore_index=True)
    return rows.drop_duplicates("seed", keep="first").sort_values("seed", ignore_index=True)


def run_block(block: dict[str, list[float]], mode: str = "mu_only", workers: int = 2,
              seeds: Sequence[int] | None = None, out: Path | None = None, harvest: bool = False) -> list[Path]:
    """Train the λ = 0 VAEs and every (prior, λ) of ``block`` for each seed; write one CSV per finished λ.

    ``harvest=True`` trains nothing: the models of each unfinished group that are already in the run store are
    written to ``grid/partial/<group>.csv``, so the next session (whose build/ folder starts empty) trains only
    the rest — rows from a partial file are reused only when the code digest matches."""
    root = data.repo_root()
    params = committed_parameters(root)
    seeds = list(seeds if seeds is not None else params["seeds"])
    out = out or root / "results" / "paper" / NOTEBOOK / "grid"
    settings = settings_from(params)
    train_all, _, test_all, _, desc = data.load_mnist(size=32, source=params["data_source"])
    train_x, test_x = train_all[: params["n_train"]], test_all[: params["n_eval"]]
    store = sweep_store(root / "build" / "store" / "paper" / NOTEBOOK, train_x, test_x, settings,
                        n_samples_eval=params["n_samples_eval"], keep_maps=params["n_show"])
    digest = code_digest("attrprior.papers.nb01_unsupervised_priors.sweep")
    base = {"notebook": NOTEBOOK, "settings_from": f"results/paper/{NOTEBOOK}/meta.json",
            "parameters": {**params, "seeds": seeds, "modes": [mode]}, "data": desc,
            "train_images": len(train_x), "eval_images": len(test_x), "git_commit": git_commit(),
            "code_digest": digest, "packages": package_versions(), "python": sys.version.split()[0],
            "device": f"cpu ({torch.get_num_threads()} torch threads per worker, {workers} workers)"}
    written = []
    groups = [("vae", [RunSpec("vae", s) for s in seeds])]
    groups += [(f"{prior}_{lam:g}_{mode}", [RunSpec("prior", s, prior, lam, mode) for s in seeds])
               for prior in PRIOR_NAMES for lam in block.get(prior, [])]
    for name, runs in groups:
        if harvest:
            if (out / f"{name}.csv").is_file():
                continue
            rows = [{**hit[0], "from_store": True} for r in runs if (hit := store.get(asdict(r))) is not None]
            if rows:
                path = out / "partial" / f"{name}.csv"
                _write_csv(pd.DataFrame(rows), path, {**base, "runs": name, "partial": True,
                                                      "seeds_done": sorted(int(r["seed"]) for r in rows)})
                print(f"blocks: {name}: harvested {len(rows)} of {len(runs)} models -> {path}", flush=True)
                written.append(path)
            continue
        started = time.time()
        earlier = _earlier(out, name, digest)
        done = set() if earlier is None else {int(s) for s in earlier.seed}
        todo = [r for r in runs if r.seed not in done]
        frame = run_sweep(todo, train_x, test_x, settings, n_samples_eval=params["n_samples_eval"],
                          keep_maps=params["n_show"], workers=workers, store=store).frame if todo else None
        frames = [f for f in (earlier, frame) if f is not None]
        frame = pd.concat(frames, ignore_index=True).sort_values("seed", ignore_index=True)
        complete = set(int(s) for s in params["seeds"]) <= set(int(s) for s in frame.seed)
        meta = {**base, "runs": name, "wall_s": round(time.time() - started, 1),
                "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "reused": sorted(done)}
        if complete:  # every seed of the committed run: the group is finished
            frame = frame[frame.seed.isin(params["seeds"])].reset_index(drop=True)
            path = out / f"{name}.csv"
            if not todo and path.is_file() and earlier is not None and len(earlier) == len(frame):
                print(f"blocks: {name}: all {len(frame)} models already in {path}", flush=True)
                continue
            _write_csv(frame, path, {**meta, "parameters": {**base["parameters"], "seeds": params["seeds"]}})
            for stale in (out / "partial" / f"{name}.csv", out / "partial" / f"{name}.json"):
                stale.unlink(missing_ok=True)
        else:  # some seeds only (--seeds, or a block cut short): merged into grid/partial/, never into grid/
            path = out / "partial" / f"{name}.csv"
            _write_csv(frame, path, {**meta, "partial": True, "seeds_done": sorted(int(s) for s in frame.seed)})
        print(f"blocks: {name}: {len(frame)} models -> {path}", flush=True)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="blocks", description=__doc__.split("\n\n")[0])
    ap.add_argument("block", nargs="+", metavar="PRIOR=λ,λ", help="priors (tv, entropy, pearson) and their λ")
    ap.add_argument("--mode", default="mu_only", choices=("mu_only", "full"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seeds", default=None, help="comma-separated seeds (default: the committed run's)")
    ap.add_argument("--harvest", action="store_true", help="train nothing: save the stored models of unfinished "
                    "groups to grid/partial/ so the next session trains only the rest")
    args = ap.parse_args(argv)
    block = parse_block(args.block)
    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else None
    setup_device()
    run_block(block, args.mode, max(1, args.workers), seeds, harvest=args.harvest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
