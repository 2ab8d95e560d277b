"""A λ grid that brackets each model's optimum: extend it where the selected λ piles up on an edge.

The rule is fixed before any run: after training on the grid, a model whose selected λ (best validation ROC-AUC
per replicate) sits on the grid's lowest or highest point in at least :data:`EDGE_SHARE` of the replicates gets
:data:`NEW_POINTS` more λ values beyond that edge, spaced like the grid; the new slots are trained, the best λ is
re-selected over the whole grid, and the check repeats up to ``max_rounds`` times.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from . import experiment as N
from . import jobs as J

EDGE_SHARE = 0.25
NEW_POINTS = 2


def edges(best: pd.DataFrame, grids: dict[str, tuple[float, ...]], share: float = EDGE_SHARE) -> dict[str, str]:
    """Models whose selected λ is the grid's minimum ("low") or maximum ("high") in ≥ ``share`` of replicates
    (the side with more replicates wins; a one-point grid counts as both, reported as "low")."""
    out = {}
    for model, grid in grids.items():
        lams = best.loc[best["model"] == model, "lam"].to_numpy(float)
        if model == "unregularized" or len(lams) == 0 or not np.isfinite(lams).all():
            continue
        lo, hi = np.mean(np.isclose(lams, min(grid))), np.mean(np.isclose(lams, max(grid)))
        if max(lo, hi) >= share:
            out[model] = "low" if lo >= hi else "high"
    return out


def extend(grid: tuple[float, ...], side: str, n_new: int = NEW_POINTS) -> tuple[float, ...]:
    """``n_new`` λ values beyond the ``side`` ("low"/"high") edge of a log grid, at the grid's own log step
    (one decade for a one-point grid)."""
    if side not in ("low", "high"):
        raise ValueError(f"side must be 'low' or 'high', got {side!r}")
    logs = np.log10(sorted(grid))
    step = float(np.diff(logs).mean()) if len(logs) > 1 else 1.0
    start, sign = (logs[0], -1) if side == "low" else (logs[-1], 1)
    return tuple(float(10 ** (start + sign * step * i)) for i in range(1, n_new + 1))


def search(reps: N.Replicates, settings: N.NhanesSettings, grids: dict[str, tuple[float, ...]], *, seed: int = 0,
           n_test_eval: int = 0, max_rounds: int = 2, workers: int = 1, store_dir: Path | str | None = None,
           progress: bool = True) -> tuple[pd.DataFrame, np.ndarray, dict[str, tuple[float, ...]], pd.DataFrame]:
    """:func:`jobs.run_all` on ``grids``, then up to ``max_rounds`` extensions (module docstring). Returns
    every slot, the row-aligned importances, the final grids and a log (round, model, side, new λ)."""
    slots, importances = J.run_all(reps, settings, seed=seed, n_test_eval=n_test_eval, grids=grids, workers=workers,
                                   store_dir=store_dir, progress=progress)
    grids = {m: tuple(sorted(g)) for m, g in grids.items()}
    log = []
    for round_ in range(1, max_rounds + 1):
        todo = edges(N.select_best(slots), grids)
        if not todo:
            break
        new = {m: extend(grids[m], side) for m, side in todo.items()}
        more, more_imp = J.run_all(reps, replace(settings, models=tuple(new)), seed=seed, n_test_eval=n_test_eval,
                                   grids=new, workers=workers, store_dir=store_dir, progress=progress)
        slots = pd.concat([slots, more], ignore_index=True)
        importances = np.concatenate([importances, more_imp])
        for m, values in new.items():
            grids[m] = tuple(sorted(grids[m] + values))
            log.append({"round": round_, "model": m, "side": todo[m], "new λ": ", ".join(f"{v:.3g}" for v in values)})
    return slots, importances, grids, pd.DataFrame(log, columns=["round", "model", "side", "new λ"])


__all__ = ["EDGE_SHARE", "NEW_POINTS", "edges", "extend", "search"]
