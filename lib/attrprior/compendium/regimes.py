"""Verdicts of a positive-control sweep over a simulated stand-in's regimes.

A stand-in (real inputs, simulated outcome) can only test a method where it has the structure the method
exploits. A sweep retrains the method and its baseline in several simulated regimes. Two rules read it:

* :func:`positive_control` — does the method beat the baseline in at least one regime? Each regime is tested
  paired over retrainings at α / (number of regimes) (Bonferroni). Without such a regime, nothing on the
  stand-in can tell a working method from a broken one.
* :func:`stand_in_regime` — is the *default* stand-in in a regime where the method wins? The default regime's
  test is sized by the gain the method shows where it wins best, so a tie counts as *not reproduced* only when
  the run could have seen a gain that large; otherwise the inconclusive rule applies.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import pandas as pd

from attrprior.compendium.verdicts import ALPHA, Evidence, Verdict, better, gate
from attrprior.core.metrics.seed_tests import paired_ttest


def run_regimes(job: Callable[[tuple[Any, int], Mapping[str, Any]], dict[str, Any]], grid: Sequence[Any],
                retrainings: int, shared: Mapping[str, Any], *, workers: int = 1,
                store_dir: Path | str | None = None, progress: bool = True) -> pd.DataFrame:
    """A positive-control sweep on the sweep executor: ``job((regime, r), shared)`` for every regime of ``grid``
    (:class:`attrprior.core.simulate.regimes.Regime`) and retraining ``r``, one row each."""
    from attrprior.compendium.sweep import run_jobs

    if retrainings < 2:
        raise ValueError(f"retrainings must be at least 2 for a paired test, got {retrainings}")
    tasks = [(regime, r) for regime in grid for r in range(retrainings)]
    rows = run_jobs(job, tasks, workers, dict(shared), desc="positive controls", progress=progress,
                    describe=lambda t: f"{t[0].label}, retraining {t[1]}", store_dir=store_dir,
                    job_key=lambda t: {t[0].axis: t[0].level, "nonlinearity": t[0].nonlinearity, "r": t[1]})
    return pd.DataFrame(rows)


def setting_evidence(rows: pd.DataFrame, method: str, baseline: str, *, setting: str = "setting",
                     unit: str = "", target: float | None = None) -> dict[str, Evidence]:
    """Per regime (column ``setting``), the paired test of ``rows[method] − rows[baseline]`` over retrainings.
    Regimes with fewer than two retrainings are left out."""
    missing = [c for c in (method, baseline, setting) if c not in rows.columns]
    if missing:
        raise KeyError(f"setting_evidence: rows lack the columns {missing}")
    out: dict[str, Evidence] = {}
    for label, group in rows.groupby(setting, sort=False):
        a, b = group[method].to_numpy(float), group[baseline].to_numpy(float)
        if len(a) < 2:
            continue
        t, p = paired_ttest(a, b)
        out[str(label)] = Evidence.from_samples(a, b, paired=True, p_value=p, statistic=t, target=target, unit=unit,
                                                test=f"paired t-test over {len(a)} retrainings ({label})")
    return out


def detected_settings(evidence: Mapping[str, Evidence], alpha: float = ALPHA) -> list[str]:
    """Regimes where the method is significantly ahead at ``alpha`` / number of regimes."""
    level = alpha / max(len(evidence), 1)
    return [k for k, e in evidence.items() if e.significant(level) and e.effect > 0]


def positive_control(evidence: Mapping[str, Evidence], alpha: float = ALPHA) -> Verdict:
    """Claim "the method beats the baseline in some regime of the stand-in": *reproduced* if it is ahead in at least
    one regime at the Bonferroni level; *not reproduced* if the best regime shows it significantly behind;
    otherwise *inconclusive* — with no effect size to size the sweep by, a miss cannot tell "cannot win" from "too
    few retrainings"."""
    if not evidence:
        return "inconclusive", "Inconclusive: no regime had two retrainings."
    if detected_settings(evidence, alpha):
        return "reproduced", ""
    level = alpha / len(evidence)
    best = max(evidence, key=lambda k: evidence[k].effect)
    e = evidence[best]
    if e.significant(alpha) and e.effect < 0:
        return "not reproduced", f"even the best regime '{best}' is significantly behind (p = {e.p_value:.2g})"
    p = f"p = {e.p_value:.2g}" if e.p_value is not None else "the test is undefined"
    return "inconclusive", (f"Inconclusive: the best regime '{best}' gains {e.effect:+.3g}{' ' + e.unit if e.unit else ''} "
                            f"({p}), short of the Bonferroni level {level:.2g} for {len(evidence)} regimes; more "
                            "retrainings per regime would tell.")


def level_contrast(rows: pd.DataFrame, gain: str, high: str, low: str, *, level: str = "level",
                   nonlinearity: float | None = None, unit: str = "") -> Evidence | None:
    """Does the method's gain need the structure it encodes? Gain in the ``high`` level minus the ``low`` level,
    at the non-linearity ``nonlinearity`` (default: the largest in ``rows``), Welch's t-test over retrainings (the
    data sets differ between levels). None when either level has fewer than two retrainings."""
    from scipy import stats

    w = rows["nonlinearity"].max() if nonlinearity is None else nonlinearity
    at = rows[rows["nonlinearity"] == w]
    a = at.loc[at[level] == high, gain].to_numpy(float)
    b = at.loc[at[level] == low, gain].to_numpy(float)
    if len(a) < 2 or len(b) < 2:
        return None
    res = stats.ttest_ind(a, b, equal_var=False)
    return Evidence.from_samples(a, b, p_value=res.pvalue, statistic=res.statistic, unit=unit,
                                 test=f"Welch t-test over retrainings: gain at {high} − at {low} {level} (w = {w:g})")


def stand_in_regime(rows: pd.DataFrame, method: str, baseline: str, default: str,
                    evidence: Mapping[str, Evidence], *, setting: str = "setting", unit: str = "",
                    alpha: float = ALPHA) -> tuple[str, str, Evidence | None]:
    """Claim "the default stand-in is in a regime where the method beats the baseline" (``default`` names the
    default regime in ``rows[setting]``; ``evidence`` is :func:`setting_evidence` of the same rows). Returns the
    verdict, its reason and the default regime's evidence, sized by the best detected regime's gain.

    *Inconclusive* when no regime shows the method winning (the sweep cannot place the stand-in); *reproduced* if
    the default regime's gain is significant; otherwise *not reproduced*, through the inconclusive rule with the
    best detected regime's gain as the effect the run had to be able to see."""
    found = detected_settings(evidence, alpha)
    target = max(evidence[k].effect for k in found) if found else None
    sized = setting_evidence(rows[rows[setting] == default], method, baseline, setting=setting, unit=unit,
                             target=target).get(default)
    if sized is None:
        return "inconclusive", "Inconclusive: the default regime had fewer than two retrainings.", None
    if not found:
        return "inconclusive", ("Inconclusive: no regime of the sweep showed the method winning, so the sweep "
                                "cannot say where the default stand-in lies."), sized
    if sized.significant(alpha) and sized.effect > 0:
        return "reproduced", "", sized
    p = f"p = {sized.p_value:.2g}" if sized.p_value is not None else "the test is undefined"
    reason = (f"the method wins in {', '.join(repr(k) for k in found)} but not in the default regime (gain "
              f"{sized.effect:+.3g}{' ' + unit if unit else ''}, {p}): verdicts on the default stand-in describe the "
              "simulator's regime")
    return (*gate("not reproduced", reason, sized, alpha), sized)




def stand_in_reading(verdict: str, method: str, found: Sequence[str]) -> str:
    """One sentence for a stand-in's chapter: what a reader may and may not conclude about the paper from it,
    given the verdict of :func:`stand_in_regime` and the regimes where the method won."""
    if verdict == "reproduced":
        return (f"The default stand-in is in a regime where {method} wins, so its verdicts bear on the paper's claim "
                "for data with this simulator's structure; they still say nothing about the paper's real data.")
    if verdict == "not reproduced":
        return (f"{method} wins on this simulator only in {', '.join(repr(k) for k in found)}, and the default "
                "stand-in is not such a regime: its verdicts describe how the method behaves on this simulator, "
                "not whether the paper's result holds — neither a tie nor a loss there counts against the paper.")
    return (f"The sweep could not place the default stand-in (no regime showed {method} winning, or the default "
            "regime's test lacked power): read the stand-in's verdicts as neither support for nor evidence "
            "against the paper.")


__all__ = ["detected_settings", "level_contrast", "positive_control", "run_regimes", "setting_evidence", "stand_in_reading", "stand_in_regime"]
