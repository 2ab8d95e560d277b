"""Statistics behind notebook 04's verdicts, from the Table 1 grid: comparisons per α (seed means) and the
per-seed values the tests of :mod:`.verdicts` run over."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from attrprior.compendium.verdicts import Evidence

from . import verdicts as V
from .experiment import RunConfig


def svae_label(alpha: float, beta: float) -> str:
    return RunConfig("svae", alpha, beta).label


def semi_label(alpha: float) -> str:
    return RunConfig("semivae", alpha).label


def seed_values(runs: pd.DataFrame, model: str, col: str) -> pd.Series:
    """``col`` of ``model`` per seed (sorted by seed)."""
    sub = runs.loc[runs["model"] == model]
    if sub.empty:
        raise ValueError(f"no runs of {model!r}")
    return sub.set_index("seed")[col].sort_index()


@dataclass(frozen=True)
class Comparison:
    """Model A minus model B at each α (seed means, ``deltas``), and the per-seed values ``a``, ``b`` (aligned
    by seed) at the α where A is worst off (``worst``), with the two models compared there (``labels``)."""

    deltas: dict[float, float]
    worst: float
    a: np.ndarray
    b: np.ndarray
    labels: tuple[str, str]


def compare(runs: pd.DataFrame, pairs: Mapping[float, tuple[str, str]], col: str) -> Comparison:
    """A − B on ``col`` for each α's pair of models (``pairs[α] = (A, B)``)."""
    deltas = {a: float(seed_values(runs, m1, col).mean() - seed_values(runs, m2, col).mean())
              for a, (m1, m2) in pairs.items()}
    worst = min(deltas, key=deltas.get)
    sa, sb = (seed_values(runs, m, col) for m in pairs[worst])
    seeds = sa.index.intersection(sb.index)
    return Comparison(deltas, worst, sa[seeds].to_numpy(float), sb[seeds].to_numpy(float), pairs[worst])


def best_beta(runs: pd.DataFrame, alpha: float, betas: Sequence[float]) -> float:
    """The β with the highest seed-mean accuracy at ``alpha`` (Table 1 compares the better β with the SemiVAE)."""
    accs = {b: seed_values(runs, svae_label(alpha, b), "accuracy").mean() for b in betas}
    return max(accs, key=accs.get)


def accuracy_comparison(runs: pd.DataFrame, alphas: Sequence[float], betas: Sequence[float]) -> Comparison:
    """Best-β SVAE minus SemiVAE accuracy (points) at each α."""
    return compare(runs, {a: (svae_label(a, best_beta(runs, a, betas)), semi_label(a)) for a in alphas}, "accuracy")


def reconstruction_comparison(runs: pd.DataFrame, alphas: Sequence[float], beta: float) -> Comparison:
    """R of the SVAE at ``beta`` minus R of the SemiVAE (nats per image) at each α."""
    return compare(runs, {a: (svae_label(a, beta), semi_label(a)) for a in alphas}, "R")


def beta_comparison(runs: pd.DataFrame, alphas: Sequence[float], betas: Sequence[float], col: str) -> Comparison:
    """SVAE at the largest β minus SVAE at the smallest β on ``col`` at each α."""
    lo, hi = min(betas), max(betas)
    return compare(runs, {a: (svae_label(a, hi), svae_label(a, lo)) for a in alphas}, col)


def invariance_gaps(records: Sequence[dict], sigmas: Sequence[float]) -> tuple[np.ndarray, dict[float, float], list[int]]:
    """Per seed, the SVAE family-mean invariance curve minus the SemiVAE family-mean curve: returns the area
    between them over the σ grid per seed (:func:`verdicts.invariance_area`), the seed-mean gap per σ, and the
    seeds. Family means average every trained (α, β) setting of a family, as Fig. 2 shows them all."""
    df = pd.DataFrame(records)
    seeds = sorted(df["seed"].unique())
    gaps = []
    for s in seeds:
        sub = df[df["seed"] == s]
        fam = {k: np.mean(np.stack(sub.loc[sub["kind"] == k, "invariance"].tolist()), 0) for k in ("svae", "semivae")}
        gaps.append(fam["svae"] - fam["semivae"])
    gaps = np.stack(gaps)
    areas = np.array([V.invariance_area(sigmas, g) for g in gaps])
    return areas, {float(s): float(g) for s, g in zip(sigmas, gaps.mean(0))}, [int(s) for s in seeds]


@dataclass(frozen=True)
class Judgement:
    """What ``claims.add`` needs for one claim besides its text: measured value, verdict, reason, evidence and
    extra numbers for the record."""

    measured: float
    verdict: str
    reason: str
    evidence: Evidence | None
    extra: dict


def paper_gain(paper: Mapping[str, tuple[float, float]], alpha: float, col: int, beta: float | None = None) -> float | None:
    """The paper's SVAE-minus-SemiVAE difference at ``alpha`` (``col`` 0: R, 1: accuracy): at ``beta``, or at the
    paper's better β (0.01 or 0.9) when ``beta`` is None; None when the paper has no such α."""
    semi = paper.get(semi_label(alpha))
    svae = [paper[k][col] for b in ((beta,) if beta is not None else (0.01, 0.9))
            if (k := svae_label(alpha, b)) in paper]
    return None if semi is None or not svae else float(max(svae) - semi[col])


def table1_judgements(runs: pd.DataFrame, alphas: Sequence[float], betas: Sequence[float],
                      paper: Mapping[str, tuple[float, float]]) -> dict[str, Judgement]:
    """The three Table 1 claims on one data set: ``accuracy`` (SVAE ≥ SemiVAE), ``reconstruction`` (SVAE at the
    largest β has a higher R than the SemiVAE) and ``beta`` (raising β raises R, accuracy barely moves)."""
    acc = runs.groupby("model")["accuracy"].mean().to_dict()
    out = {}
    c = accuracy_comparison(runs, alphas, betas)
    ev = V.seed_evidence(c.a, c.b, test=f"paired t over seeds (two-sided), {c.labels[0]} vs {c.labels[1]}",
                         target=paper_gain(paper, c.worst, 1), unit="accuracy points")
    out["accuracy"] = Judgement(min(c.deltas.values()), *V.accuracy_rule(ev, c.deltas, acc), ev,
                                {"deltas": {f"{a:g}": d for a, d in c.deltas.items()}, "compared": list(c.labels)})
    c = reconstruction_comparison(runs, alphas, max(betas))
    ev = V.seed_evidence(c.a, c.b, test=f"paired t over seeds (two-sided), {c.labels[0]} vs {c.labels[1]}",
                         unit="nats per image")
    out["reconstruction"] = Judgement(min(c.deltas.values()), *V.reconstruction_rule(ev, c.deltas), ev,
                                      {"delta_R": {f"{a:g}": d for a, d in c.deltas.items()}, "compared": list(c.labels)})
    c = beta_comparison(runs, alphas, betas, "R")
    dacc = beta_comparison(runs, alphas, betas, "accuracy").deltas
    ev = V.seed_evidence(c.a, c.b, test=f"paired t over seeds (two-sided), {c.labels[0]} vs {c.labels[1]}",
                         unit="nats per image") if len(set(betas)) > 1 else None
    svae_acc = {m: v for m, v in acc.items() if m.startswith("SVAE")}
    out["beta"] = Judgement(min(c.deltas.values()), *V.beta_tradeoff_rule(ev, c.deltas, dacc, svae_acc, len(set(betas))),
                            ev, {"delta_R": {f"{a:g}": d for a, d in c.deltas.items()},
                                 "delta_accuracy": {f"{a:g}": d for a, d in dacc.items()}})
    return out


def diversity_margins(table: pd.DataFrame, chosen: str) -> tuple[np.ndarray, dict[str, float]]:
    """From a per-seed diversity table (columns seed, model, l2_original; SVAE settings only): the chosen setting's
    margin over the next most diverse setting per seed, and the seed-mean ‖x̃ − x‖₂ per setting."""
    wide = table.pivot_table(index="seed", columns="model", values="l2_original")
    others = wide.drop(columns=[chosen])
    margins = (wide[chosen] - others.max(1)).to_numpy(float) if not others.empty else np.zeros(0)
    return margins, {m: float(v) for m, v in wide.mean().items()}


def central_share(maps: np.ndarray, fraction: float = 0.5) -> float:
    """Share of the total |attribution| that falls in the central square of side ``fraction`` × the image side
    (maps ``[B, C, H, W]``); a uniform map gives ``fraction²``. Fig. 4's "general central area", as a number."""
    a = np.abs(np.asarray(maps, dtype=float)).sum(1)
    h, w = a.shape[-2:]
    top, left = int(round(h * (1 - fraction) / 2)), int(round(w * (1 - fraction) / 2))
    inner = a[:, top:h - top, left:w - left].sum()
    return float(inner / max(a.sum(), 1e-300))


__all__ = ["Comparison", "Judgement", "accuracy_comparison", "best_beta", "beta_comparison", "central_share", "compare",
           "diversity_margins", "invariance_gaps", "paper_gain", "reconstruction_comparison", "seed_values",
           "semi_label", "svae_label", "table1_judgements"]
