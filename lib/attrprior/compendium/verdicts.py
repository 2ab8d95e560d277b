"""What a verdict may say, and the one rule that turns a weak run into *inconclusive*.

Vocabulary (:data:`VERDICTS`):

* **reproduced** — the run shows what the paper claims;
* **partly reproduced** — part of the claim holds (e.g. the direction, but not the size the paper reports);
* **not reproduced** — the run could have seen the paper's effect and did not, or saw the opposite;
* **inconclusive** — the run cannot tell the paper's effect from no effect;
* **not tested** — the run did not test the claim (e.g. data not available offline).

**The inconclusive rule** (:func:`gate`, applied by the claims recorder to every claim that carries
:class:`Evidence`): a verdict other than *reproduced* that rests on a non-significant test becomes
*inconclusive* when the run lacked the power to see the paper's effect — the confidence interval of the measured
effect contains both zero and the paper's effect, or the test's power at the paper's effect is below
:data:`MIN_POWER`. A *not reproduced* from a non-significant test whose confidence interval lies wholly on the
claim's side of zero (test and interval disagree) is *inconclusive* too. A significant result, in either
direction, always stands.

**Controls that can fail** (:func:`null_control`): a claim "A is no better than B" (a random graph, noise
meta-features, fine-tuning alone) is *reproduced* only when the same run detected the real method's own effect;
otherwise a null result says nothing and the verdict is *inconclusive*.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Sequence

from attrprior.core.metrics import power as P

VERDICTS = ("reproduced", "partly reproduced", "not reproduced", "inconclusive", "not tested")
MIN_POWER = 0.8
ALPHA = 0.05

Verdict = tuple[str, str]  # (verdict, reason)


def _finite(x: Any) -> float | None:
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Evidence:
    """The statistics behind one verdict, in one record.

    ``effect`` is the measured effect, signed so that the paper's claim reads ``effect > 0`` (or, for a
    "no better than" claim, ``effect ≈ 0``); ``target`` is the paper's effect in the same units (None when the
    paper gives none); ``ci`` its confidence interval; ``power`` the test's power at ``target``; ``n`` the
    replicates per arm. ``spread`` is a dispersion a reader can judge the effect by (``spread_kind`` says which).
    """

    test: str
    effect: float
    n: int | tuple[int, ...]
    unit: str = ""
    p_value: float | None = None
    statistic: float | None = None
    ci: tuple[float, float] | None = None
    ci_level: float = 0.95
    target: float | None = None
    power: float | None = None
    spread: float | None = None
    spread_kind: str = ""

    def __post_init__(self) -> None:
        if not self.test:
            raise ValueError("Evidence needs the name of its test")
        if _finite(self.effect) is None:
            raise ValueError(f"Evidence.effect must be a finite number, got {self.effect!r}")
        if self.ci is not None and len(self.ci) != 2:
            raise ValueError(f"Evidence.ci must be (low, high), got {self.ci!r}")

    @classmethod
    def from_samples(cls, a: Sequence[float], b: Sequence[float] | None = None, *, paired: bool = False,
                     test: str, p_value: float | None = None, statistic: float | None = None,
                     target: float | None = None, alternative: str = "two-sided", alpha: float = ALPHA,
                     unit: str = "") -> "Evidence":
        """Effect, CI and power at ``target`` from the replicates (``a`` vs ``b``, paired or not, or ``a``
        alone against 0). The test's own p-value and statistic are passed in: the rule's test decides."""
        effect = P.mean_difference(a, b, paired)
        ci = P.difference_ci(a, b, paired)
        power = P.power_at(target, a, b, paired, alpha, alternative) if target is not None else None
        n = len(a) if b is None or paired else (len(a), len(b))
        sd = P.difference_sd(a, b, paired)
        return cls(test=test, effect=effect, n=n, unit=unit, p_value=_finite(p_value),
                   statistic=_finite(statistic), ci=None if any(_finite(c) is None for c in ci) else ci,
                   target=_finite(target), power=_finite(power), spread=_finite(sd),
                   spread_kind="SD of the paired differences" if paired else "SD (pooled)" if b is not None else "SD")

    def significant(self, alpha: float = ALPHA) -> bool:
        return self.p_value is not None and self.p_value < alpha

    def lacks_power(self) -> str | None:
        """Why this run cannot tell the paper's effect from none, or None if it can (or cannot be judged)."""
        if self.ci is not None and self.target is not None:
            lo, hi = sorted(self.ci)
            if lo <= 0 <= hi and lo <= self.target <= hi:
                return (f"its {self.ci_level:.0%} CI [{lo:.3g}, {hi:.3g}] holds both 0 and the paper's effect "
                        f"{self.target:.3g}")
        if self.power is not None and self.power < MIN_POWER:
            size = f" ({self.target:.3g})" if self.target is not None else ""
            return f"its power to see the paper's effect{size} is {self.power:.0%} (< {MIN_POWER:.0%})"
        if self.target is None and self.ci is not None:
            lo, hi = sorted(self.ci)
            if lo <= 0 <= hi and self.power is None:
                return f"its {self.ci_level:.0%} CI [{lo:.3g}, {hi:.3g}] holds 0 and the paper gives no effect size to size the run by"
        return None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ci"] = list(self.ci) if self.ci is not None else None
        out["n"] = list(self.n) if isinstance(self.n, tuple) else self.n
        return out


def gate(verdict: str, reason: str, evidence: Evidence | None, alpha: float = ALPHA) -> Verdict:
    """The inconclusive rule (module docstring): applied to every claim with evidence."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict {verdict!r} is not one of {VERDICTS}")
    if evidence is None or verdict in ("reproduced", "inconclusive", "not tested") or evidence.significant(alpha):
        return verdict, reason
    why = evidence.lacks_power()
    if verdict == "not reproduced" and evidence.ci is not None and min(evidence.ci) > 0:
        lo, hi = sorted(evidence.ci)
        why = (f"its test is not significant (p = {evidence.p_value:.2g}) while its {evidence.ci_level:.0%} CI "
               f"[{lo:.3g}, {hi:.3g}] lies on the claim's side of 0, so it has not seen the effect absent")
    if why is None:
        return verdict, reason
    was = f"the rule alone says '{verdict}'" + (f" ({reason.rstrip('.')})" if reason else "")
    return "inconclusive", f"Inconclusive: {why}; {was}."


def better(evidence: Evidence, alpha: float = ALPHA, partial_if: str = "") -> Verdict:
    """Claim "A beats B" (``evidence.effect`` = A − B, claimed > 0): *reproduced* if significant and positive;
    *not reproduced* if significant and negative, or if not significant with enough power; *partly* when
    ``partial_if`` names a part of the claim that held although the test did not; then :func:`gate`."""
    e = evidence
    if e.significant(alpha):
        if e.effect > 0:
            return "reproduced", ""
        return "not reproduced", f"the opposite is significant: effect {e.effect:+.3g}{' ' + e.unit if e.unit else ''}, p = {e.p_value:.2g}"
    verdict = "partly reproduced" if partial_if else "not reproduced"
    reason = partial_if or (f"effect {e.effect:+.3g}{' ' + e.unit if e.unit else ''} is not significant "
                            f"(p = {e.p_value:.2g})" if e.p_value is not None else "no significant effect")
    return gate(verdict, reason, e, alpha)


def detected(evidence: Evidence | None, alpha: float = ALPHA) -> bool:
    """Did this run detect the method's own effect (significantly positive)? The ``method_detected`` of
    :func:`null_control`."""
    return evidence is not None and evidence.significant(alpha) and evidence.effect > 0


def null_control(evidence: Evidence, method_detected: bool, method: str = "the method", alpha: float = ALPHA) -> Verdict:
    """Claim "control A is no better than B" (``evidence.effect`` = A − B). *Reproduced* only when the test finds
    no significant gain **and** the same run detected ``method``'s own effect (so the control could have failed);
    *not reproduced* when the control is significantly better; *partly* when it is significantly worse."""
    e = evidence
    if e.significant(alpha) and e.effect > 0:
        return "not reproduced", f"the control is significantly better (effect {e.effect:+.3g}, p = {e.p_value:.2g})"
    if not method_detected:
        return "inconclusive", (f"Inconclusive: the same run did not detect {method}'s own effect, so it could not "
                                "have told a control that fails from one that works.")
    if e.significant(alpha):
        return "partly reproduced", f"the control is significantly worse (effect {e.effect:+.3g}, p = {e.p_value:.2g})"
    return "reproduced", ""


__all__ = ["ALPHA", "Evidence", "MIN_POWER", "VERDICTS", "Verdict", "better", "detected", "gate", "null_control"]
