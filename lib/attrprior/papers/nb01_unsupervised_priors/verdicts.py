"""Verdict rules of notebook 01 (Amad), each ``(statistics) -> (verdict, reason)``.

A claim of several parts is judged part by part: a part *holds* (True), *fails* (False) or *cannot be told*
(None: its test is not significant and the run lacks the power to see the reference effect, see
:meth:`attrprior.compendium.verdicts.Evidence.lacks_power`). :func:`resolve` then gives the verdict that every way
the undecided parts could turn out agrees on; when they disagree it keeps what is certain (*partly reproduced*
if every outcome is at least that) or else says *inconclusive*. Each rule ends with the compendium's
:func:`~attrprior.compendium.verdicts.gate` on its headline test, as the claims recorder does.
"""
from __future__ import annotations

import itertools
from typing import Callable, Mapping

from attrprior.compendium.verdicts import ALPHA, Evidence, Verdict, better, gate

RANKED = ("not reproduced", "partly reproduced", "reproduced")
COLLAPSE_ENTROPY = 0.1  # nats: a model whose saliency sits in one latent
TV_FACTOR = 10.0  # raw TV at least this many times lower (the paper: 50×)
PEARSON_FACTOR = 2.0  # Pearson at most half the baseline (the paper: "close to 0")
RECON_TOLERANCE = 0.01  # the paper's "less than 1%" more reconstruction error


def status(ev: Evidence, size_ok: bool = True, alpha: float = ALPHA) -> bool | None:
    """True: significant in the claimed direction (and ``size_ok``); None: no test, or not significant and the
    run cannot tell the reference effect from none; False otherwise."""
    if ev.significant(alpha):
        return bool(ev.effect > 0 and size_ok)
    if ev.p_value is None:  # no test (fewer than two runs in an arm)
        return None
    return None if ev.lacks_power() else False


def resolve(rule: Callable[[Mapping[str, bool]], str], parts: Mapping[str, bool | None]) -> str:
    """The verdict of ``rule`` over every way the undecided (None) parts could turn out (module docstring)."""
    open_ = [k for k, v in parts.items() if v is None]
    outcomes = {rule({**parts, **dict(zip(open_, values))})
                for values in itertools.product((True, False), repeat=len(open_))}
    if len(outcomes) == 1:
        return outcomes.pop()
    return "partly reproduced" if outcomes <= {"reproduced", "partly reproduced"} else "inconclusive"


def describe(parts: Mapping[str, bool | None]) -> str:
    """``holds: …; fails: …; cannot tell: …`` for a reason string."""
    groups = {"holds": [k for k, v in parts.items() if v is True], "fails": [k for k, v in parts.items() if v is False],
              "cannot tell (too little power)": [k for k, v in parts.items() if v is None]}
    return "; ".join(f"{name}: {', '.join(keys)}" for name, keys in groups.items() if keys)


def _finish(verdict: str, parts: Mapping[str, bool | None], detail: str, headline: Evidence) -> Verdict:
    reason = describe(parts) + (f" ({detail})" if detail else "")
    if verdict == "inconclusive":
        reason = "Inconclusive: " + reason
    return gate(verdict, reason, headline)


def tv_rule(smooth: Evidence, raw: Evidence, raw_factor: float, recon_change: float,
            mu_rms_change: float) -> Verdict:
    """Claim 1. ``smooth``: relative fall of the scale-free TV (TV / total saliency), the headline; ``raw``:
    relative fall of the raw TV; ``raw_factor`` = mean of λ=0 TV / prior TV over seeds; ``recon_change`` and
    ``mu_rms_change``: relative changes. *Reproduced*: smoother on the scale-free TV, raw TV ≥ 10× lower
    (p < 0.05) and reconstruction up < 1 %; *partly*: smoother but one of the others fails; *not*: not smoother."""
    parts = {"maps smoother on the scale-free TV": status(smooth),
             f"raw TV >= {TV_FACTOR:g}x lower": status(raw, raw_factor >= TV_FACTOR),
             f"reconstruction up < {RECON_TOLERANCE:.0%}": bool(recon_change < RECON_TOLERANCE)}
    keys = list(parts)
    verdict = resolve(lambda p: "reproduced" if all(p.values()) else "partly reproduced" if p[keys[0]]
                      else "not reproduced", parts)
    scale = (1 + mu_rms_change) ** 2
    shrink = (f", which alone gives {1 / scale:.3g}x: the saliency |μ_j·attr_j| is quadratic in the scale of μ"
              if scale > 0 else "")
    detail = (f"scale-free TV {-smooth.effect:+.1%}; raw TV λ=0/prior {raw_factor:.3g}x; RMS(μ) "
              f"{mu_rms_change:+.0%}{shrink}; reconstruction {recon_change:+.1%}")
    return _finish(verdict, parts, detail, smooth)


def entropy_rule(entropy: Evidence, pearson: Evidence, recon: Evidence,
                 collapsed: Mapping[float, tuple[int, int]]) -> Verdict:
    """Claim 2 at the largest λ: (a) entropy lower, (b) Pearson higher, (c) reconstruction worse (each a
    one-sided test), (d) at every λ ≥ 1 at least one model collapsed (entropy < 0.1 nats); ``collapsed``:
    λ -> (collapsed models, models). *Reproduced*: all four; *partly*: (a) and one more; *not*: otherwise."""
    big = {lam: counts for lam, counts in collapsed.items() if lam >= 1}
    parts = {"entropy lower": status(entropy), "Pearson higher": status(pearson),
             "reconstruction worse": status(recon),
             "a collapsed model at every λ >= 1": all(n >= 1 for n, _ in big.values()) if big else None}
    verdict = resolve(lambda p: "reproduced" if all(p.values()) else "partly reproduced"
                      if p["entropy lower"] and sum(p.values()) >= 2 else "not reproduced", parts)
    detail = ", ".join(f"λ={lam:g}: {n}/{m} collapsed" for lam, (n, m) in sorted(big.items())) or "no λ >= 1 run"
    return _finish(verdict, parts, detail, entropy)


def pearson_rule(pearson: Evidence, factor: float, entropy: Evidence, recon: Evidence) -> Verdict:
    """Claim 3 at the largest λ: (a) Pearson lower, p < 0.05, by ≥ 2× (``factor`` = mean λ=0 / prior over
    seeds), (b) entropy lower, (c) reconstruction lower (``recon``: relative fall). *Reproduced*: all three;
    *partly*: (a) with or without the others; *not*: (a) fails."""
    parts = {f"Pearson >= {PEARSON_FACTOR:g}x lower": status(pearson, factor >= PEARSON_FACTOR),
             "entropy lower": status(entropy), "reconstruction lower": status(recon)}
    first = next(iter(parts))
    verdict = resolve(lambda p: "reproduced" if all(p.values()) else "partly reproduced" if p[first]
                      else "not reproduced", parts)
    detail = (f"Pearson λ=0/prior {factor:.3g}x, entropy {-entropy.effect:+.3g} nats, "
              f"reconstruction {-recon.effect:+.1%}")
    return _finish(verdict, parts, detail, pearson)


def beta_rule(evidence: Evidence, best: str) -> Verdict:
    """Claim 4: Pearson(best β model) − Pearson(prior) > 0, one-sided; :func:`~attrprior.compendium.verdicts.better`
    (a non-significant difference is *inconclusive* when the run cannot size it)."""
    verdict, reason = better(evidence)
    if verdict != "reproduced":
        reason = f"{reason.rstrip('.')}; compared with the lowest-Pearson β model, {best}."
    return verdict, reason


def modes_rule(pairs: Mapping[str, tuple[str, str]]) -> Verdict:
    """Claim 5: ``pairs`` claim -> (verdict in one mode, in the other). A pair agrees when both verdicts are the same
    and decided (not *inconclusive* / *not tested*); an undecided pair may go either way. *Reproduced*: all agree;
    *partly*: at least one; *not*: none."""
    decided = set(RANKED)
    parts = {k: (a == b) if a in decided and b in decided else None for k, (a, b) in pairs.items()}
    verdict = resolve(lambda p: "reproduced" if all(p.values()) else "partly reproduced" if any(p.values())
                      else "not reproduced", parts)
    detail = "; ".join(f"{k}: {a} / {b}" for k, (a, b) in pairs.items())
    groups = {"same verdict": [k for k, v in parts.items() if v is True],
              "different": [k for k, v in parts.items() if v is False],
              "cannot tell (a verdict is undecided)": [k for k, v in parts.items() if v is None]}
    summary = "; ".join(f"{name}: {', '.join(keys)}" for name, keys in groups.items() if keys)
    reason = "" if verdict == "reproduced" else f"{summary} ({detail})"
    return verdict, ("Inconclusive: " + reason) if verdict == "inconclusive" else reason


__all__ = ["COLLAPSE_ENTROPY", "PEARSON_FACTOR", "RECON_TOLERANCE", "TV_FACTOR", "beta_rule", "describe",
           "entropy_rule", "modes_rule", "pearson_rule", "resolve", "status", "tv_rule"]
