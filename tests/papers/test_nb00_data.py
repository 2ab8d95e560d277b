"""Notebook 00's data checks: the one rule, the expected values, and re-recording a committed run."""
from __future__ import annotations

import json

import pytest

from attrprior.compendium.claims import ClaimError
from attrprior.papers.nb00_data import checks as C


def test_exact_rule_both_outcomes():
    assert C.exact(11, 11) == ("reproduced", "")
    assert C.exact(11.0, 11) == ("reproduced", "")  # a stored float equals the expected int
    assert C.exact("9,932 × 18", "9,932 × 18") == ("reproduced", "")
    verdict, reason = C.exact(10, 11)
    assert verdict == "not reproduced" and "expected 11" in reason
    assert C.exact("9,931 × 18", "9,932 × 18")[0] == "not reproduced"
    assert C.exact("11", 11)[0] == "not reproduced"  # a string is not the number


def test_claims_are_checks_not_attributed_to_a_paper():
    for id, check in C.CHECKS.items():
        kw = C.claim(id, check.expected)
        assert kw["verdict"] == "reproduced" and kw["kind"] == "check"
        assert kw["source"].kind == "not in the paper" and check.where and check.section.startswith("data-")
    assert C.claim("merge-score-ties", 3160)["verdict"] == "not reproduced"


def test_measured_value_helpers():
    assert C.files_verified({"a": True, "b": False, "c": True}) == 2
    assert C.gene_set_counts(C.EXPECTED_GENE_SETS) == C.CHECKS["gmt-set-counts"].expected


def test_rejudge_keeps_provenance_and_adds_the_new_fields(tmp_path):
    old = {"provenance": {"notebook": "00_data", "profile": "paper", "git_commit": "abc",
                          "parameters": {"profile": "paper", "n_examples": 100, "nhanes_horizon": 10.0, "merge_top": 100}},
           "claims": [{"id": "all-files-verify", "measured": 11.0, "verdict": "reproduced", "data": "shipped"},
                      {"id": "merge-score-ties", "measured": 3000.0, "verdict": "reproduced"}]}
    (tmp_path / "claims.json").write_text(json.dumps(old))
    C.rejudge(tmp_path, when="now")
    new = json.loads((tmp_path / "claims.json").read_text())
    assert new["provenance"]["git_commit"] == "abc" and new["provenance"]["rejudged"]["on"] == "now"
    assert new["provenance"]["data_kind"] == "real"
    first, second = new["claims"]
    assert first["kind"] == "check" and first["data_kind"] == "real" and first["verdict"] == "reproduced"
    assert second["verdict"] == "not reproduced"  # judged again, not copied
    assert new["provenance"]["rejudged"]["verdicts_before"]["merge-score-ties"] == "reproduced"


def test_rejudge_refuses_an_unknown_check(tmp_path):
    (tmp_path / "claims.json").write_text(json.dumps({
        "provenance": {"notebook": "00_data", "profile": "paper", "parameters": {}},
        "claims": [{"id": "not-a-check", "measured": 1}]}))
    with pytest.raises(KeyError):
        C.rejudge(tmp_path)
    with pytest.raises(ClaimError):
        C.rejudge(tmp_path / "missing")
