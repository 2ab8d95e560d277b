"""The verdict vocabulary, the inconclusive rule and controls that can fail, on synthetic numbers."""
from __future__ import annotations

import pytest

from attrprior.compendium.verdicts import Evidence, better, detected, gate, null_control


def ev(effect, p, ci=None, target=None, power=None):
    return Evidence("t-test", effect=effect, n=(5, 5), p_value=p, ci=ci, target=target, power=power)


def test_better_gives_each_outcome():
    assert better(ev(1.0, 0.001, (0.5, 1.5), 1.0, 0.99)) == ("reproduced", "")
    assert better(ev(-1.0, 0.001, (-1.5, -0.5), 1.0, 0.99))[0] == "not reproduced"  # the opposite, significant
    v, why = better(ev(0.05, 0.6, (-0.2, 0.3), 1.0, 0.95))  # had the power, saw nothing
    assert v == "not reproduced" and "not significant" in why
    v, why = better(ev(0.4, 0.3, (-0.5, 1.3), 1.0, 0.3))  # could not tell
    assert v == "inconclusive" and "holds both 0 and the paper's effect" in why
    v, why = better(ev(0.4, 0.3, (-0.5, 1.3), 1.0, 0.95), partial_if="the direction holds")
    assert v == "inconclusive"  # a partial verdict on a weak test is not evidence either
    assert better(ev(0.4, 0.1, (0.01, 0.8), 1.0, 0.95), partial_if="the direction holds")[0] == "partly reproduced"


def test_gate_keeps_significant_and_powered_results():
    assert gate("partly reproduced", "size", ev(0.3, 0.01, (0.1, 0.5), 1.0, 0.2)) == ("partly reproduced", "size")
    assert gate("not reproduced", "x", ev(0.0, 0.9, (-0.1, 0.1), 1.0, 0.99)) == ("not reproduced", "x")
    v, why = gate("not reproduced", "x", ev(0.0, 0.9, (-3.0, 3.0), None, 0.5))
    assert v == "inconclusive" and "power" in why and "the rule alone says 'not reproduced' (x)" in why
    assert gate("reproduced", "", ev(0.0, 0.9)) == ("reproduced", "")
    assert gate("not reproduced", "no data", None) == ("not reproduced", "no data")
    with pytest.raises(ValueError, match="verdict"):
        gate("maybe", "", None)


def test_a_not_significant_test_with_an_interval_on_the_claims_side_is_not_evidence_against():
    v, why = gate("not reproduced", "n.s.", ev(0.3, 0.056, (0.07, 0.57)))  # e.g. permutation p vs bootstrap CI
    assert v == "inconclusive" and "lies on the claim's side of 0" in why and "p = 0.056" in why
    assert gate("not reproduced", "n.s.", ev(-0.3, 0.06, (-0.57, -0.07)))[0] == "not reproduced"  # leans against
    assert gate("partly reproduced", "p", ev(0.3, 0.056, (0.07, 0.57)))[0] == "partly reproduced"


def test_detected_means_significantly_positive():
    assert detected(ev(0.5, 0.01, (0.2, 0.8)))
    assert not detected(ev(-0.5, 0.01, (-0.8, -0.2))) and not detected(ev(0.5, 0.2, (-0.1, 1.1)))
    assert not detected(None)


def test_a_control_counts_only_when_the_method_was_detected():
    null = ev(0.01, 0.8, (-0.2, 0.2))
    assert null_control(null, method_detected=True) == ("reproduced", "")
    v, why = null_control(null, method_detected=False, method="the graph prior")
    assert v == "inconclusive" and "the graph prior" in why
    assert null_control(ev(0.5, 0.01, (0.2, 0.8)), method_detected=True)[0] == "not reproduced"
    assert null_control(ev(-0.5, 0.01, (-0.8, -0.2)), method_detected=True)[0] == "partly reproduced"


def test_evidence_from_samples():
    e = Evidence.from_samples([2.0, 2.5, 3.0, 2.2], [1.0, 1.1, 0.9, 1.2], test="Welch t-test", p_value=0.001,
                              target=1.0, alternative="larger", unit="acc")
    assert e.effect == pytest.approx(1.375) and e.n == (4, 4) and e.ci[0] < 1.375 < e.ci[1]
    assert 0.5 < e.power <= 1 and e.to_dict()["n"] == [4, 4]
    with pytest.raises(ValueError, match="finite"):
        Evidence("t", float("nan"), 3)
