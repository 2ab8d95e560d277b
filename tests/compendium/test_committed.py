"""Committed paper-profile results: loaded back with their provenance, deviations and tables; bad files refused."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from attrprior.compendium.claims import ClaimError
from attrprior.compendium.committed import committed_digest, describe_committed, load_committed

PROV = {"notebook": "nbx", "profile": "paper", "device": "cpu (2 cores, 1 torch threads)", "wall_time_s": 3600,
        "git_commit": "0123456789abcdef", "finished": "2026-11-25T17:00:00+0000",
        "parameters": {"seeds": [0, 1], "epochs": 50, "prior_batch": 60}, "overrides": {"prior_batch": 60}}
CLAIMS = [{"id": "1-a", "paper_value": "~50x", "measured": 3.0, "verdict": "partly reproduced"},
          {"id": "2-b", "paper_value": "0.1", "measured": 0.5, "verdict": "not reproduced"}]


def write(root: Path, prov=PROV, claims=CLAIMS) -> Path:
    folder = root / "results" / "paper" / "nbx"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "claims.json").write_text(json.dumps({"provenance": prov, "claims": claims}))
    (folder / "runs.csv").write_text("seed,recon\n0,170.5\n1,171.0\n")
    return folder


def test_nothing_committed(tmp_path):
    assert load_committed("nbx", tmp_path) is None
    assert committed_digest("nbx", tmp_path) == ""


def test_load_scale_deviations_and_tables(tmp_path):
    write(tmp_path)
    run = load_committed("nbx", tmp_path)
    assert run.deviations({"seeds": [0, 1, 2, 3, 4], "epochs": 50, "prior_batch": 0}) == {"seeds": [0, 1],
                                                                                          "prior_batch": 60}
    scale = run.scale({"seeds": [0, 1], "epochs": 50, "prior_batch": 0})
    assert "cpu (2 cores" in scale and "60 min" in scale and "01234567" in scale and "prior_batch=60" in scale
    assert "seeds" not in scale
    assert run.table("runs").recon.tolist() == [170.5, 171.0]
    with pytest.raises(FileNotFoundError, match="committed tables: \\['runs'\\]"):
        run.table("summary")


def test_verdicts_side_by_side(tmp_path):
    write(tmp_path)
    table = load_committed("nbx", tmp_path).verdicts([{"id": "1-a", "measured": 2.0, "verdict": "reproduced"},
                                                      {"id": "3-c", "measured": 1.0, "verdict": "not reproduced"}])
    assert table["claim"].tolist() == ["1-a", "2-b", "3-c"]
    assert table["this run verdict"].tolist() == ["reproduced", "", "not reproduced"]
    assert table["paper-profile verdict"].tolist() == ["partly reproduced", "not reproduced", "not run at this scale"]
    assert "this run verdict" not in load_committed("nbx", tmp_path).verdicts().columns


def test_digest_changes_with_content(tmp_path):
    folder = write(tmp_path)
    before = committed_digest("nbx", tmp_path)
    (folder / "runs.csv").write_text("seed,recon\n0,1\n")
    assert committed_digest("nbx", tmp_path) not in ("", before)


@pytest.mark.parametrize("prov", [{**PROV, "profile": "default"}, {**PROV, "notebook": "other"}])
def test_wrong_run_is_refused(tmp_path, prov):
    write(tmp_path, prov=prov)
    with pytest.raises(ClaimError, match="not a paper-profile run of 'nbx'"):
        load_committed("nbx", tmp_path)


def test_corrupt_claims_file_is_refused(tmp_path):
    folder = write(tmp_path)
    (folder / "claims.json").write_text("{not json")
    with pytest.raises(ClaimError, match="cannot read claims file"):
        load_committed("nbx", tmp_path)


def test_describe_committed(tmp_path):
    run, text = describe_committed("nbx", "default", root=tmp_path)
    assert run is None and "make run NB=nbx PROFILE=paper" in text
    write(tmp_path, prov={**PROV, "rejudged": {"on": "2026-12-01", "statistics": "t over seeds"}})
    run, text = describe_committed("nbx", "default", {"seeds": [0, 1], "epochs": 50, "prior_batch": 0}, tmp_path)
    assert run is not None and "prior_batch=60" in text and "re-judged 2026-12-01" in text
    run, text = describe_committed("nbx", "paper", root=tmp_path)
    assert run is not None and "itself at the paper profile" in text
