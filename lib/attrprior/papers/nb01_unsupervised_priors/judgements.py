"""Notebook 01's claims from a sweep's runs: the statistics of each claim, its verdict by the rules of
:mod:`attrprior.papers.nb01_unsupervised_priors.verdicts`, and the keyword arguments of ``claims.add``.

Every test compares a configuration with the λ = 0 VAEs (or, for claim 4, the best β model) over seeds: a
one-sided Welch t-test in the claimed direction, as fixed before the first run. Its
:class:`~attrprior.compendium.verdicts.Evidence` is signed so that the claim reads ``effect > 0``.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from attrprior.compendium.claims import NOT_IN_PAPER
from attrprior.compendium.verdicts import Evidence
from attrprior.core.metrics.seed_tests import welch
from .analysis import contrast, select_runs
from .reference import (PAPER_SOURCES, PAPER_TV_FACTOR, PAPER_VALUES, REF_ENTROPY, REF_PEARSON, REF_RECON_SOURCE,
                        REF_SOURCE, REFERENCE_VALUES, ref_drop, ref_recon_change)
from .verdicts import COLLAPSE_ENTROPY, beta_rule, entropy_rule, modes_rule, pearson_rule, tv_rule

BASELINE = {"kind": "vae"}


def _label(where: Mapping[str, Any]) -> str:
    if where.get("kind") == "prior":
        return f"{where['prior']} λ={where['lam']:g} ({where['mode']})"
    return "λ=0 VAE" if where.get("kind") == "vae" else f"{where['kind']} β={where.get('beta', 1):g}"


def evidence(frame: pd.DataFrame, metric: str, claimed: str, where: Mapping[str, Any],
             baseline: Mapping[str, Any] | None = None, target: float | None = None,
             relative: bool = False) -> Evidence:
    """``metric`` of the runs ``where`` against ``baseline`` (default λ = 0): effect = baseline − runs when
    ``claimed`` is "lower", runs − baseline when "higher"; ``relative`` divides both by the baseline mean (effect
    = relative change). One-sided Welch t-test, power at ``target`` (same units)."""
    if claimed not in ("lower", "higher"):
        raise ValueError(f"claimed must be 'lower' or 'higher', got {claimed!r}")
    baseline = baseline or BASELINE
    runs = select_runs(frame, **where)[metric].to_numpy(float)
    base = select_runs(frame, **baseline)[metric].to_numpy(float)
    if not len(runs) or not len(base):
        raise ValueError(f"no finished runs for {dict(where)} or for the baseline {dict(baseline)}")
    scale = float(base.mean()) if relative else 1.0
    a, b = (base / scale, runs / scale) if claimed == "lower" else (runs / scale, base / scale)
    t, p = welch(a, b, "greater")
    test = f"one-sided Welch t-test over seeds: {metric} of {_label(where)} {claimed} than {_label(baseline)}"
    unit = f"fraction of the {_label(baseline)} {metric}" if relative else metric
    return Evidence.from_samples(a, b, test=test, p_value=p, statistic=t, target=target, alternative="larger",
                                 unit=unit)


def _tested(claim: dict[str, Any]) -> dict[str, Any]:
    """``claim`` as is, or *not tested* when its headline test could not run (fewer than two runs in an arm)."""
    ev = claim["evidence"]
    if ev.ci is None and ev.power is None:
        claim.update(verdict="not tested", reason=f"no test: fewer than two finished runs in an arm (n = {ev.n})")
    return claim


def _where(prior: str, lam: float, mode: str) -> dict[str, Any]:
    return {"kind": "prior", "prior": prior, "lam": float(lam), "mode": mode}


def _seeds(frame: pd.DataFrame, where: Mapping[str, Any]) -> list[int]:
    return sorted(int(s) for s in select_runs(frame, **where).seed)


def _in_mode(mode: str, claim: str) -> tuple[str, str, str]:
    """(id suffix, kind, statement prefix) of a claim judged in ``mode``: the μ-only runs are the paper's claims,
    the full mode is our extension."""
    if mode == "mu_only":
        return "", "paper", ""
    return f"-{mode}", "extension", f"{claim} in the {mode} mode (beyond the paper): "


def tv_claim(frame: pd.DataFrame, lam: float, mode: str, claim_id: str = "1-tv-prior") -> dict[str, Any]:
    """Claim 1 (§4.1): the TV prior smooths the maps (scale-free TV), raw TV falls, reconstruction barely moves."""
    where = _where("total_variation", lam, mode)
    suffix, kind, prefix = _in_mode(mode, "Claim 1")
    smooth = evidence(frame, "tv_rel", "lower", where, relative=True)
    raw = evidence(frame, "tv", "lower", where, relative=True, target=1 - 1 / PAPER_TV_FACTOR)
    tv, rec, mu = (contrast(frame, m, alt, **where) for m, alt in (("tv", "less"), ("recon", "greater"),
                                                                   ("mu_rms", "less")))
    verdict, reason = tv_rule(smooth, raw, tv["factor"], rec["rel_change"], mu["rel_change"])
    return _tested(dict(
        id=claim_id + suffix, kind=kind, source=PAPER_SOURCES["tv"], paper_value=PAPER_VALUES["tv"],
        statement=f"{prefix}TV prior (λ={lam:g}, {mode}): the saliency maps get smoother — on the scale-free TV "
                  "(TV / total saliency), which shrinking μ cannot lower — with < 1% more reconstruction error",
        measured=-100 * smooth.effect, unit="% change of the scale-free TV against λ = 0", verdict=verdict,
        reason=reason, evidence=smooth, seeds=_seeds(frame, where), section="nb01-tv" if not suffix else "nb01-modes",
        lam=lam, mode=mode, raw_tv_factor=tv["factor"], raw_tv_factor_sd=tv["factor_sd"], raw_tv=raw.to_dict(),
        mu_rms_change_pct=100 * mu["rel_change"], recon_change_pct=100 * rec["rel_change"],
        targets={"scale-free TV": "none: the paper gives no scale-free number ('slightly visually smoother')",
                 "raw TV": "paper text §4.1: 50x lower"}))


def collapsed_models(frame: pd.DataFrame, lams: Sequence[float], mode: str) -> dict[float, tuple[int, int]]:
    """λ -> (entropy-prior models with entropy < 0.1 nats, finished models) for each λ ≥ 1."""
    out = {}
    for lam in (l for l in lams if l >= 1):
        rows = select_runs(frame, **_where("entropy", lam, mode))
        out[float(lam)] = (int((rows.entropy < COLLAPSE_ENTROPY).sum()), len(rows))
    return out


def entropy_claim(frame: pd.DataFrame, lams: Sequence[float], mode: str,
                  claim_id: str = "2-entropy-prior") -> dict[str, Any]:
    """Claim 2 (§4.2) at the largest λ: entropy ↓, Pearson ↑, reconstruction ↑, collapse at λ ≥ 1."""
    lam = max(lams)
    where = _where("entropy", lam, mode)
    suffix, kind, prefix = _in_mode(mode, "Claim 2")
    drop_p = ref_drop(REF_PEARSON, "entropy", lam)
    ent = evidence(frame, "entropy", "lower", where, target=ref_drop(REF_ENTROPY, "entropy", lam))
    pea = evidence(frame, "pearson", "higher", where, target=None if drop_p is None else -drop_p)
    rec = evidence(frame, "recon", "higher", where, relative=True, target=ref_recon_change("entropy", lam))
    collapsed = collapsed_models(frame, lams, mode)
    verdict, reason = entropy_rule(ent, pea, rec, collapsed)
    return _tested(dict(
        id=claim_id + suffix, kind=kind, source=PAPER_SOURCES["entropy"], paper_value=PAPER_VALUES["entropy"],
        statement=f"{prefix}Entropy prior ({mode}): entropy falls and Pearson rises with λ, reconstruction worsens, "
                  "and training is pushed to a single active latent at λ >= 1",
        measured=float(select_runs(frame, **where).entropy.mean()), unit=f"nats (entropy at λ = {lam:g})",
        verdict=verdict, reason=reason, evidence=ent, seeds=_seeds(frame, where),
        section="nb01-entropy" if not suffix else "nb01-modes", lam=lam, mode=mode,
        entropy_base=float(select_runs(frame, **BASELINE).entropy.mean()), pearson=pea.to_dict(), recon=rec.to_dict(),
        collapsed={f"{k:g}": list(v) for k, v in collapsed.items()}, reference_values=REFERENCE_VALUES["entropy"],
        targets={"entropy, Pearson": str(REF_SOURCE), "reconstruction": str(REF_RECON_SOURCE)}))


def pearson_claim(frame: pd.DataFrame, lam: float, mode: str, claim_id: str = "3-pearson-prior") -> dict[str, Any]:
    """Claim 3 (§4.3) at the largest λ: Pearson ↓ by ≥ 2×, entropy ↓, reconstruction ↓."""
    where = _where("pearson", lam, mode)
    suffix, kind, prefix = _in_mode(mode, "Claim 3")
    drop_r = ref_recon_change("pearson", lam)
    pea = evidence(frame, "pearson", "lower", where, target=ref_drop(REF_PEARSON, "pearson", lam))
    ent = evidence(frame, "entropy", "lower", where, target=ref_drop(REF_ENTROPY, "pearson", lam))
    rec = evidence(frame, "recon", "lower", where, relative=True, target=None if drop_r is None else -drop_r)
    factor = contrast(frame, "pearson", "less", **where)["factor"]
    verdict, reason = pearson_rule(pea, factor, ent, rec)
    return _tested(dict(
        id=claim_id + suffix, kind=kind, source=PAPER_SOURCES["pearson"], paper_value=PAPER_VALUES["pearson"],
        statement=f"{prefix}Pearson prior (λ={lam:g}, {mode}): the Pearson correlation falls to a fraction of the "
                  "baseline, the entropy falls and reconstruction improves",
        measured=float(select_runs(frame, **where).pearson.mean()), unit=f"Pearson correlation at λ = {lam:g}",
        verdict=verdict, reason=reason, evidence=pea, seeds=_seeds(frame, where),
        section="nb01-pearson" if not suffix else "nb01-modes", lam=lam, mode=mode, pearson_factor=factor,
        pearson_base=float(select_runs(frame, **BASELINE).pearson.mean()), entropy=ent.to_dict(), recon=rec.to_dict(),
        reference_values=REFERENCE_VALUES["pearson"],
        targets={"Pearson, entropy": str(REF_SOURCE), "reconstruction": str(REF_RECON_SOURCE)}))


def beta_configs(frame: pd.DataFrame) -> list[tuple[str, float]]:
    """The (kind, β) of the β-VAE / β-TCVAE runs in ``frame`` (β = 1 is the baseline VAE)."""
    rows = frame[frame.kind.isin(["beta_vae", "beta_tcvae"]) & (frame.beta != 1)]
    return sorted({(str(k), float(b)) for k, b in zip(rows.kind, rows.beta)})


def beta_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per β model: Pearson, entropy and reconstruction, their % change against λ = 0 and one-sided p-values."""
    rows = []
    for kind, b in beta_configs(frame):
        r: dict[str, Any] = {"model": kind, "beta": b}
        for m, alt in (("pearson", "less"), ("entropy", "less"), ("recon", "greater")):
            c = contrast(frame, m, alt, kind=kind, beta=b)
            r.update({m: c["mean"], f"{m} change %": 100 * c["rel_change"], f"{m} p": c["p"]})
        rows.append(r)
    return pd.DataFrame(rows)


def beta_claim(frame: pd.DataFrame, lam: float, mode: str) -> dict[str, Any]:
    """Claim 4 (§4.3): the Pearson prior's correlation is below the best (lowest-Pearson) β-VAE / β-TCVAE's."""
    configs = beta_configs(frame)
    if not configs:
        raise ValueError("no β-VAE / β-TCVAE runs in the frame")
    kind, beta = min(configs, key=lambda kb: select_runs(frame, kind=kb[0], beta=kb[1]).pearson.mean())
    where = _where("pearson", lam, mode)
    ev = evidence(frame, "pearson", "lower", where, baseline={"kind": kind, "beta": beta})
    verdict, reason = beta_rule(ev, f"{kind} β={beta:g}")
    return _tested(dict(
        id="4-beta-vae-tcvae", kind="paper", source=PAPER_SOURCES["beta"], paper_value=PAPER_VALUES["beta"],
        statement="The Pearson prior separates the latents' saliency maps more than β-VAE / β-TCVAE (lower Pearson "
                  "than the best disentangling configuration)",
        measured=ev.effect, unit="Pearson(best β model) − Pearson(prior)", verdict=verdict, reason=reason, evidence=ev,
        seeds=_seeds(frame, where), section="nb01-beta", best=f"{kind} β={beta:g}",
        beta_models=beta_table(frame).to_dict("records"),
        targets={"Pearson difference": "none: the paper says 'well below' and gives no number"}))


def modes_claim(pairs: Mapping[str, tuple[str, str]], modes: Sequence[str], seeds: Sequence[int]) -> dict[str, Any]:
    """Claim 5 (ours): claims 1–3 get the same verdict in both modes; ``pairs``: claim -> (verdicts by mode). When
    only some of the three claims ran in both modes (the paper-scale grid has the full mode for TV only), all of
    them agreeing makes the claim *partly* reproduced at most: the others are untested."""
    verdict, reason = modes_rule(pairs)
    agree = sum(a == b for a, b in pairs.values())
    missing = [f"claim {i}" for i in (1, 2, 3) if f"claim {i}" not in pairs]
    if missing:
        untested = f"{', '.join(missing)} not run in both modes"
        if verdict == "reproduced":
            verdict, reason = "partly reproduced", f"same verdict in both modes for {', '.join(pairs)}; {untested}"
        else:
            reason = f"{reason.rstrip('.')}; {untested}"
    return dict(
        id="5-full-vs-mu-only", kind="extension", source=NOT_IN_PAPER,
        paper_value="not in the paper (the reference code back-propagates the prior through μ only)",
        statement="The priors' effects (claims 1–3) are the same whether the prior's gradient flows through the "
                  "attribution (full second-order) or only through μ (reference code)",
        measured=agree, verdict=verdict, reason=reason,
        unit=f"of {len(pairs)} claim{'s' if len(pairs) != 1 else ''} run in both modes with the same verdict in both",
        seeds=list(seeds), section="nb01-modes",
        verdicts={k: dict(zip(modes, v)) for k, v in pairs.items()})


def judge_all(frame: pd.DataFrame, lambdas: Mapping[str, Sequence[float]], modes: Sequence[str],
              lam_tv: float) -> list[dict[str, Any]]:
    """Every claim of the notebook, in its order, from a runs table (the committed run's, for instance)."""
    ref = "mu_only" if "mu_only" in modes else modes[0]
    lam_pea = max(lambdas["pearson"])
    out = [tv_claim(frame, lam_tv, ref), entropy_claim(frame, lambdas["entropy"], ref),
           pearson_claim(frame, lam_pea, ref), beta_claim(frame, lam_pea, ref)]
    other = [m for m in modes if m != ref]
    if other:
        ran = lambda prior, lam: len(select_runs(frame, **_where(prior, lam, other[0]))) >= 2  # noqa: E731
        makers = [(lambda: tv_claim(frame, lam_tv, other[0], "5.1-tv-prior"), ran("total_variation", lam_tv)),
                  (lambda: entropy_claim(frame, lambdas["entropy"], other[0], "5.2-entropy-prior"),
                   ran("entropy", max(lambdas["entropy"]))),
                  (lambda: pearson_claim(frame, lam_pea, other[0], "5.3-pearson-prior"), ran("pearson", lam_pea))]
        alt = [(i, make()) for i, (make, ok) in enumerate(makers) if ok]
        pairs = {f"claim {i + 1}": (out[i]["verdict"], claim["verdict"]) for i, claim in alt}
        out += [claim for _, claim in alt]
        out.append(modes_claim(pairs, (ref, other[0]), sorted(set(frame.seed))) if pairs else not_tested_modes(modes))
    else:
        out.append(not_tested_modes(modes))
    return out


def not_tested_modes(modes: Sequence[str]) -> dict[str, Any]:
    """Claim 5 when only one mode was run."""
    return dict(id="5-full-vs-mu-only", kind="extension", source=NOT_IN_PAPER, paper_value="not in the paper",
                statement="The priors' effects are the same in the full and μ-only modes", measured="one mode run",
                verdict="not tested", reason=f"modes={list(modes)}: both are needed", section="nb01-modes")


def report(claim: Any) -> str:
    """One line on a recorded claim (a ``claims.add`` result): verdict, measure, evidence and reason."""
    c = claim if isinstance(claim, dict) else vars(claim)
    measured = f"{c['measured']:.4g}" if isinstance(c["measured"], (int, float)) else str(c["measured"])
    line = f"{c['id']} ({c['kind']}): {c['verdict']} — measured {measured} {c.get('unit', '')}".rstrip()
    ev = c.get("evidence")
    if ev:
        ev = ev if isinstance(ev, dict) else ev.to_dict()
        parts = [f"effect {ev['effect']:+.3g}"]
        parts += [f"95% CI [{ev['ci'][0]:.3g}, {ev['ci'][1]:.3g}]"] if ev.get("ci") else []
        parts += [f"p = {ev['p_value']:.2g}"] if ev.get("p_value") is not None else []
        parts += [f"power {ev['power']:.0%} at {ev['target']:.3g}"] if ev.get("power") is not None else []
        line += "\n  evidence: " + ", ".join(parts)
    return line + (f"\n  reason: {c['reason']}" if c.get("reason") else "")


def nearest(values: Sequence[float], target: float) -> float | None:
    """The value of ``values`` nearest ``target`` on a log scale (the claim's λ when it was not run exactly)."""
    return min(values, key=lambda v: abs(np.log(v) - np.log(target))) if len(values) else None


__all__ = ["beta_claim", "beta_configs", "beta_table", "collapsed_models", "entropy_claim", "evidence", "judge_all",
           "modes_claim", "nearest", "not_tested_modes", "pearson_claim", "report", "tv_claim"]
