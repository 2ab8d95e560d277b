"""The statistics behind notebook 03a's verdicts, computed from the long score table (one row per data set,
seed, method and metric) that :func:`~.experiment.run_benchmark` returns and ``benchmark_scores.csv`` stores.

Every function here returns numbers and :class:`~attrprior.compendium.verdicts.Evidence` records; the rules that
turn them into verdicts are in :mod:`.verdicts`. Effects are signed so that the paper's claim reads ``effect > 0``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from attrprior.compendium.verdicts import ALPHA, Evidence

from . import experiment as AB

EG = "expected_gradients"


def seed_tables(scores: pd.DataFrame, key: str) -> dict[int, pd.DataFrame]:
    """Methods × metrics table of each seed of data set ``key``."""
    sub = scores[scores["key"] == key]
    return {int(seed): AB.mean_table(g, key) for seed, g in sub.groupby("seed")}


def metric_range(table: pd.DataFrame) -> pd.Series:
    """Per metric: best − worst method (the unit the tie margin and the EG-lead effect are measured in)."""
    return table.max(0) - table.min(0)


def eg_lead(table: pd.DataFrame) -> pd.Series:
    """Per metric: (EG − the best other method) / the metric's best-to-worst range; > 0 where EG is first."""
    others = table.drop(index=EG).max(0)
    return (table.loc[EG] - others) / metric_range(table)


@dataclass(frozen=True)
class EgFirstStats:
    """EG against the runner-up of every metric, paired over seeds (the 'EG ranks first' rule)."""

    per_metric: pd.DataFrame  # metric, runner_up, effect (EG − runner-up), p_value, outcome (ahead/level/behind)
    pooled: Evidence | None  # mean EG lead over metrics, per seed; None with fewer than two seeds
    lead: float  # EG's lead over the runner-up averaged over metrics and seeds (share of a metric's range)
    n_ahead: int
    n_behind: int
    n_metrics: int
    target: float  # the same pooled lead on the paper's table


def eg_first_stats(scores: pd.DataFrame, key: str, alpha: float = ALPHA) -> EgFirstStats:
    """Per metric, a two-sided paired t-test over seeds of EG against the runner-up (the other method with the
    best mean); pooled, a one-sided one-sample t-test over seeds of EG's lead averaged over the 18 metrics, in
    units of each metric's best-to-worst range (of the mean table), with the paper's lead as target."""
    means = AB.mean_table(scores, key)
    tables = seed_tables(scores, key)
    seeds = sorted(tables)
    rng = metric_range(means)
    rows, lead = [], np.zeros(len(seeds))
    for metric in means.columns:
        runner = means[metric].drop(EG).idxmax()
        diff = np.array([tables[s].loc[EG, metric] - tables[s].loc[runner, metric] for s in seeds])
        p = _ttest_p(diff, "two-sided")
        outcome = "level" if not (p < alpha) else "ahead" if diff.mean() > 0 else "behind"
        rows.append({"metric": metric, "runner_up": runner, "effect": float(diff.mean()), "p_value": p,
                     "outcome": outcome})
        lead += diff / rng[metric] / len(means.columns)
    per_metric = pd.DataFrame(rows)
    target = float(eg_lead(AB.PAPER_TABLES[key]).mean())
    pooled = None
    if len(seeds) > 1:
        res = stats.ttest_1samp(lead, 0.0, alternative="greater")
        pooled = Evidence.from_samples(lead, test="one-sided one-sample t-test over seeds of EG's lead over the "
                                       "runner-up, averaged over the 18 metrics", p_value=res.pvalue,
                                       statistic=res.statistic, target=target, alternative="larger",
                                       unit="share of a metric's range")
    return EgFirstStats(per_metric, pooled, float(lead.mean()), int((per_metric["outcome"] == "ahead").sum()),
                        int((per_metric["outcome"] == "behind").sum()), len(per_metric), target)


def _ttest_p(diff: np.ndarray, alternative: str) -> float:
    """Paired t-test p-value of ``diff`` against 0; NaN with fewer than two values, 0/1 for a zero spread."""
    if len(diff) < 2:
        return float("nan")
    if np.allclose(diff, diff[0]):
        return 1.0 if diff[0] == 0 else 0.0
    return float(stats.ttest_1samp(diff, 0.0, alternative=alternative).pvalue)


def binomial_power(n: int, p_true: float, alpha: float = ALPHA) -> float:
    """Power of the one-tailed binomial test (H0: p = 0.5, n trials, level ``alpha``) when the true rate is
    ``p_true``."""
    k = next(k for k in range(n + 2) if k > n or stats.binom.sf(k - 1, n, 0.5) <= alpha)
    return float(stats.binom.sf(k - 1, n, p_true)) if k <= n else 0.0


@dataclass(frozen=True)
class BinomialStats:
    """The paper's EG-vs-IG test on one methods × metrics table, with the paper's table beside it."""

    wins: int
    n: int
    p_value: float
    paper_wins: int
    paper_p: float
    evidence: Evidence


def eg_vs_ig_stats(scores: pd.DataFrame, key: str, alpha: float = ALPHA) -> BinomialStats:
    """The paper's one-tailed binomial test over the metrics of the mean table (ties count against EG); the
    effect is the share of metrics EG wins minus ½, with its Clopper-Pearson CI and the test's power at the
    share the paper's own table gives."""
    wins, n, p = AB.eg_vs_ig_binomial(AB.mean_table(scores, key))
    pw, pn, pp = AB.eg_vs_ig_binomial(AB.PAPER_TABLES[key])
    ci = stats.binomtest(wins, n, 0.5).proportion_ci(confidence_level=0.95, method="exact")  # two-sided
    evidence = Evidence(test="one-tailed binomial test over the metrics, H0: P(EG > IG) = ½ (ties count against EG)",
                        effect=wins / n - 0.5, n=n, unit="share of metrics won − ½", p_value=p, statistic=wins,
                        ci=(ci.low - 0.5, ci.high - 0.5), target=pw / pn - 0.5, power=binomial_power(n, pw / pn, alpha))
    return BinomialStats(wins, n, p, pw, pp, evidence)


def _per_seed(scores: pd.DataFrame, keys: list[str], fn) -> np.ndarray:
    """``fn`` applied to every seed's tables of the data sets ``keys`` ({key: table} → float)."""
    tables = {k: seed_tables(scores, k) for k in keys}
    seeds = sorted(set.intersection(*(set(t) for t in tables.values())))
    return np.array([fn({k: tables[k][s] for k in keys}) for s in seeds])


def _margin_evidence(margins: np.ndarray, test: str, target: float, unit: str) -> Evidence | None:
    """Evidence that a per-seed margin below a threshold is > 0 (one-sided t-test); None with one seed."""
    if len(margins) < 2:
        return None
    p = _ttest_p(margins, "greater")
    statistic = None if np.allclose(margins, margins[0]) else stats.ttest_1samp(margins, 0.0).statistic
    return Evidence.from_samples(margins, test=test, p_value=p, statistic=statistic, target=target,
                                 alternative="larger", unit=unit)


IG_GAP_MAX = 0.10  # "IG close behind": median relative gap at most this (rule fixed before the first run)
IG_SECOND_MIN = 0.75  # ... and IG second or better on at least this share of the metrics
BASELINE_RATIO_MAX = 0.25  # "far behind": best baseline / EG at most this on the signed metrics


@dataclass(frozen=True)
class CloseBehindStats:
    """IG's gap to EG relative to EG's lead over gradients/random, pooled over the data sets."""

    median_gap: float  # on the mean tables
    second_share: float  # IG second or better (ties within the tie margin)
    paper_gap: float
    evidence: Evidence | None  # margin IG_GAP_MAX − median gap, per seed


def ig_close_behind_stats(scores: pd.DataFrame, keys: list[str], fraction: float) -> CloseBehindStats:
    """The statistics of the 'IG close behind' rule, with a per-seed margin to its threshold as evidence."""
    means = {k: AB.mean_table(scores, k) for k in keys}
    gap = float(pd.concat([AB.relative_gap(means[k]) for k in keys]).median())
    second = float(np.mean([AB.second_or_better_fraction(means[k], fraction=fraction) for k in keys]))
    paper = float(pd.concat([AB.relative_gap(AB.PAPER_TABLES[k]) for k in keys]).median())
    margins = IG_GAP_MAX - _per_seed(scores, keys, lambda t: float(pd.concat([AB.relative_gap(v)
                                                                              for v in t.values()]).median()))
    evidence = _margin_evidence(margins, f"one-sided t-test over seeds of {IG_GAP_MAX} − the seed's median "
                                "relative gap", IG_GAP_MAX - paper, "relative gap")
    return CloseBehindStats(gap, second, paper, evidence)


@dataclass(frozen=True)
class FarBehindStats:
    """The best baseline's score as a share of EG's on the signed metrics, pooled over the data sets."""

    ratios: pd.Series  # (data set, metric) -> best baseline / EG on the mean tables
    worst: float
    share_ok: float  # share of signed metrics with a ratio ≤ BASELINE_RATIO_MAX
    paper_ratios: pd.Series
    evidence: Evidence | None  # margin BASELINE_RATIO_MAX − the largest ratio, per seed


def baselines_far_behind_stats(scores: pd.DataFrame, keys: list[str], titles: dict[str, str]) -> FarBehindStats:
    """The statistics of the 'gradients and random far behind' rule, with a per-seed margin as evidence."""
    ratios = pd.concat({titles[k]: AB.baseline_ratio(AB.mean_table(scores, k)) for k in keys})
    paper = pd.concat({titles[k]: AB.baseline_ratio(AB.PAPER_TABLES[k]) for k in keys})
    margins = BASELINE_RATIO_MAX - _per_seed(scores, keys, lambda t: float(max(AB.baseline_ratio(v).max()
                                                                              for v in t.values())))
    evidence = _margin_evidence(margins, f"one-sided t-test over seeds of {BASELINE_RATIO_MAX} − the seed's largest "
                                "baseline/EG ratio", BASELINE_RATIO_MAX - float(paper.max()), "ratio")
    return FarBehindStats(ratios, float(ratios.max()), float((ratios <= BASELINE_RATIO_MAX).mean()), paper, evidence)


__all__ = ["BASELINE_RATIO_MAX", "BinomialStats", "CloseBehindStats", "EgFirstStats", "FarBehindStats",
           "IG_GAP_MAX", "IG_SECOND_MIN", "baselines_far_behind_stats", "binomial_power", "eg_first_stats",
           "eg_lead", "eg_vs_ig_stats", "ig_close_behind_stats", "metric_range", "seed_tables"]
