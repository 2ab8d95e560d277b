"""Does expected gradients converge by 100–200 background samples? (Erion et al., Supplement C.1)

The supplement explains all 1,000 rows of Correlated Groups 60 with the whole data set as background, then
measures the mean absolute difference between the attribution matrix at n background draws and at 1,000, and
finds them "well-converged by the time 100-200 background samples are drawn". :func:`eg_convergence` repeats
that measurement for one trained network; :func:`converged` is the claim's rule; :func:`convergence_claim` the
claim (the recorder's keyword arguments), :func:`convergence_figure` its figure.
"""
from __future__ import annotations

from typing import Any, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from attrprior.compendium.claims import paper_text
from attrprior.compendium.verdicts import Verdict
from attrprior.core import attributions as A

from .datasets import BenchmarkData
from .experiment import BenchmarkSettings, split, train_model

COUNTS = (1, 2, 5, 10, 20, 50, 100, 200, 500)
REFERENCE_DRAWS = 1000  # the supplement's baseline: as many draws as rows
AT = 200  # "by the time 100-200 background samples are drawn"
MAX_REL_ERROR = 0.10  # at 200 draws: mean |φ_n − φ_1000| ≤ 10 % of mean |φ_1000|
MAX_LATE_GAIN = 0.10  # flat by 200: what 200 → 500 draws still removes ≤ 10 % of what 1 → 200 removed


def eg_convergence(model: torch.nn.Module, X: np.ndarray, counts: Sequence[int] = COUNTS,
                   reference_draws: int = REFERENCE_DRAWS, seed: int = 0, rows: int | None = None,
                   chunk: int = 100) -> pd.DataFrame:
    """EG of the first ``rows`` rows of ``X`` (all by default, as the supplement) with every row of ``X`` as
    background, at each number of draws in ``counts``, against ``reference_draws`` draws.
    Columns: draws, mad (mean |φ_n − φ_ref|), rel_error (mad / mean |φ_ref|)."""
    counts = sorted({int(c) for c in counts})
    if not counts or counts[0] < 1 or counts[-1] >= reference_draws:
        raise ValueError(f"eg_convergence: counts must lie in [1, {reference_draws}), got {counts}")
    if rows is not None and not 1 <= rows <= len(X):
        raise ValueError(f"eg_convergence: rows must lie in [1, {len(X)}], got {rows}")
    Xt = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    explained = Xt[:rows] if rows is not None else Xt
    gen = torch.Generator().manual_seed(int(seed))

    def eg(n: int) -> np.ndarray:
        parts = [A.expected_gradients(model, explained[i:i + chunk], references=Xt, n_samples=n, generator=gen)
                 .detach() for i in range(0, len(explained), chunk)]
        return torch.cat(parts).double().numpy()

    ref = eg(reference_draws)
    scale = float(np.abs(ref).mean())
    records = []
    for n in counts:
        mad = float(np.abs(eg(n) - ref).mean())
        records.append({"draws": n, "mad": mad, "rel_error": mad / scale if scale > 0 else np.nan})
    return pd.DataFrame(records)


def convergence_runs(data: BenchmarkData, seeds: Sequence[int], settings: BenchmarkSettings = BenchmarkSettings(),
                     counts: Sequence[int] = COUNTS, reference_draws: int = REFERENCE_DRAWS,
                     rows: int | None = None) -> pd.DataFrame:
    """:func:`eg_convergence` of each seed's benchmark network (trained on that seed's split, as in the benchmark),
    explaining the first ``rows`` rows of the data set (all by default); one curve per seed (column ``seed``)."""
    curves = []
    for seed in seeds:
        train, _ = split(len(data.y), settings.n_test, seed)
        model = train_model(data.X[train], data.y[train], seed, settings)
        curves.append(eg_convergence(model, data.X, counts, reference_draws, seed=seed, rows=rows).assign(seed=seed))
    return pd.concat(curves, ignore_index=True)


def converged(curve: pd.DataFrame, at: int = AT, late: int = 500) -> Verdict:
    """The rule, on the mean curve over seeds: *reproduced* when at ``at`` draws the relative error is
    ≤ :data:`MAX_REL_ERROR` **and** the curve is flat (``at`` → ``late`` removes ≤ :data:`MAX_LATE_GAIN` of the
    error that 1 → ``at`` removed); *partly* when one of the two holds; *not reproduced* when neither does."""
    by = curve.groupby("draws")["rel_error"].mean()
    missing = [n for n in (1, at, late) if n not in by.index]
    if missing:
        raise ValueError(f"converged: the curve lacks draws {missing}")
    small = by[at] <= MAX_REL_ERROR
    early, later = by[1] - by[at], by[at] - by[late]
    flat = early > 0 and later <= MAX_LATE_GAIN * early
    facts = (f"relative error {by[at]:.3f} at {at} draws (limit {MAX_REL_ERROR}); {at} → {late} draws removes "
             f"{later / early:.0%} of what 1 → {at} removed (limit {MAX_LATE_GAIN:.0%})" if early > 0 else
             f"relative error {by[at]:.3f} at {at} draws; it did not fall from 1 to {at} draws")
    if small and flat:
        return "reproduced", facts
    if small or flat:
        return "partly reproduced", facts
    return "not reproduced", facts


def convergence_claim(curve: pd.DataFrame) -> dict[str, Any]:
    """The recorder's keyword arguments for the Supplement C.1 claim (the notebook adds ``seeds``)."""
    verdict, reason = converged(curve)
    by = curve.groupby("draws")["rel_error"].mean()
    return dict(
        id="eg-converges-by-200",
        statement=("Expected gradients of the benchmark network on Correlated Groups 60 are well converged by 200 "
                   f"background draws: mean |φ₂₀₀ − φ₁₀₀₀| ≤ {MAX_REL_ERROR:.0%} of mean |φ₁₀₀₀|, and 200 → 500 "
                   f"draws removes ≤ {MAX_LATE_GAIN:.0%} of the error that 1 → 200 removed"),
        paper_value="\"well-converged by the time 100-200 background samples are drawn\" (Supplement C.1, Fig. 2; "
                    "no number in the text)",
        measured=float(by[AT]), unit=f"relative error at {AT} draws", verdict=verdict, reason=reason, kind="paper",
        source=paper_text("Supplement C.1"), section="nb03a-convergence",
    )


def convergence_figure(curve: pd.DataFrame, title: str = ""):
    """Relative error against draws (log–log): one thin line per seed, their mean, and the Monte-Carlo 1/√n slope."""
    fig, ax = plt.subplots(figsize=(6.0, 3.6), layout="constrained")
    for _, rows in curve.groupby("seed"):
        ax.plot(rows.draws, rows.rel_error, color="tab:red", alpha=0.35, lw=0.8)
    mean = curve.groupby("draws")["rel_error"].mean()
    ax.plot(mean.index, mean.values, "o-", color="tab:red", label="EG, mean over seeds")
    n = np.asarray(mean.index, float)
    ax.plot(n, mean.iloc[0] / np.sqrt(n), "k:", lw=1, label="1/√n (Monte-Carlo rate)")
    ax.axvspan(100, 200, color="grey", alpha=0.15, label="the paper's 100–200")
    ax.axhline(MAX_REL_ERROR, color="grey", ls="--", lw=0.8, label=f"rule: {MAX_REL_ERROR:.0%} at {AT}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("background draws per row")
    ax.set_ylabel(f"mean |φₙ − φ_{REFERENCE_DRAWS}| / mean |φ_{REFERENCE_DRAWS}|")
    ax.legend(fontsize=7)
    ax.set_title(title, fontsize=9, wrap=True)
    return fig


__all__ = ["AT", "COUNTS", "MAX_LATE_GAIN", "MAX_REL_ERROR", "REFERENCE_DRAWS", "convergence_claim",
           "convergence_figure", "convergence_runs", "converged", "eg_convergence"]
