"""ClaimRecorder: validation, provenance, atomic writing and reading back."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from attrprior.compendium import claims as claims_mod
from attrprior.compendium.claims import (NOT_IN_PAPER, ClaimError, ClaimRecorder, Source, load_claims, paper_text,
                                         write_json_atomic)
from attrprior.compendium.verdicts import Evidence
from tests.conftest import cell_namespace
from attrprior.compendium.params import configure


@pytest.fixture
def rec() -> ClaimRecorder:
    return ClaimRecorder(configure("00_data", cell_namespace("00_data", "smoke")), paper="Test paper",
                         data_kind="real", scale="2 seeds, 1 epoch")


PAPER = dict(kind="paper", source=paper_text("§2"))


def test_rejects_bad_claims(rec: ClaimRecorder):
    with pytest.raises(ClaimError, match="verdict"):
        rec.add("a", "s", "1", 1.0, "kinda reproduced", **PAPER)
    with pytest.raises(ClaimError, match="needs a reason"):
        rec.add("a", "s", "1", 1.0, "not reproduced", **PAPER)
    with pytest.raises(ClaimError, match="not finite"):
        rec.add("a", "s", "1", math.nan, "reproduced", **PAPER)
    with pytest.raises(ClaimError, match="not finite"):
        rec.add("a", "s", "1", float("inf"), "reproduced", **PAPER)
    with pytest.raises(ClaimError, match="id and a statement"):
        rec.add("", "s", "1", 1.0, "reproduced", **PAPER)
    rec.add("a", "s", "1", 1.0, "reproduced", **PAPER)
    with pytest.raises(ClaimError, match="duplicate"):
        rec.add("a", "s", "1", 1.0, "reproduced", **PAPER)


def test_every_claim_says_what_it_is(rec: ClaimRecorder):
    """Kind, paper-value source and data kind are required; statistics come as one Evidence with a CI or power."""
    with pytest.raises(TypeError, match="kind"):
        rec.add("b", "s", "1", 1.0, "reproduced", source=NOT_IN_PAPER)
    with pytest.raises(ClaimError, match="kind 'claim'"):
        rec.add("b", "s", "1", 1.0, "reproduced", kind="claim", source=NOT_IN_PAPER)
    with pytest.raises(ClaimError, match="must say where the paper makes it"):
        rec.add("b", "s", "1", 1.0, "reproduced", kind="paper", source=NOT_IN_PAPER)
    with pytest.raises(ClaimError, match="must say where"):
        Source("paper text")
    with pytest.raises(ClaimError, match="data kind 'synthetic'"):
        rec.add("b", "s", "1", 1.0, "reproduced", data_kind="synthetic", **PAPER)
    with pytest.raises(ClaimError, match="evidence=Evidence"):
        rec.add("b", "s", "1", 1.0, "reproduced", p_value=0.01, **PAPER)
    with pytest.raises(ClaimError, match="confidence interval or a power"):
        rec.add("b", "s", "1", 1.0, "reproduced", evidence=Evidence("t-test", 1.0, 3, p_value=0.01), **PAPER)
    rec.add("b", "s", "1", 1.0, "reproduced", kind="check", source=NOT_IN_PAPER, data_kind="simulated")
    assert rec.claims[-1].data_kind == "simulated" and rec.claims[-1].kind == "check"


def test_recorder_applies_the_inconclusive_rule_and_the_scale_caveat(rec: ClaimRecorder):
    weak = Evidence("Welch t-test", effect=0.2, n=(3, 3), p_value=0.4, ci=(-0.5, 0.9), target=0.5, power=0.2)
    c = rec.add("w", "A beats B", "0.5", 0.2, "not reproduced", reason="not significant", evidence=weak, **PAPER)
    assert c.verdict == "inconclusive" and "holds both 0 and the paper's effect" in c.reason
    assert c.reason.endswith("[smoke profile: 2 seeds, 1 epoch]")
    strong = Evidence("Welch t-test", effect=-0.1, n=(30, 30), p_value=0.5, ci=(-0.2, 0.05), target=0.5, power=0.99)
    c = rec.add("s", "A beats B", "0.5", -0.1, "not reproduced", reason="no gain", evidence=strong, **PAPER)
    assert c.verdict == "not reproduced" and c.evidence["power"] == 0.99 and c.evidence["ci"] == [-0.2, 0.05]


def test_recorder_gates_at_the_notebooks_alpha():
    """p = 0.01 is significant at 0.05 but not at 03c's paper-profile 1e-4: only there does the gate apply."""
    ev = Evidence("paired t-test", effect=0.02, n=10, p_value=0.01, ci=(0.005, 0.035), target=0.05, power=0.3)
    default = ClaimRecorder(configure("00_data", cell_namespace("00_data", "smoke")), paper="p", data_kind="real")
    paper = ClaimRecorder(configure("03c_nhanes_sparsity", {**cell_namespace("03c_nhanes_sparsity", "smoke"),
                                                            "alpha": 1e-4}), paper="p", data_kind="real")
    assert (default.alpha, paper.alpha) == (0.05, 1e-4)
    args = ("A beats B", "0.05", 0.02, "partly reproduced")
    assert default.add("x", *args, reason="direction only", evidence=ev, **PAPER).verdict == "partly reproduced"
    c = paper.add("x", *args, reason="direction only", evidence=ev, **PAPER)
    assert c.verdict == "inconclusive" and "power" in c.reason and paper.provenance()["alpha"] == 1e-4
    with pytest.raises(ClaimError, match="alpha"):
        ClaimRecorder(default.cfg, paper="p", alpha=1.5)


def test_round_trip_with_provenance(rec: ClaimRecorder, tmp_path: Path):
    import numpy as np

    rec.note_data("mnist/x.gz", "ab" * 32)
    ev = Evidence("Welch t", effect=0.01, n=(3, 3), p_value=0.03, ci=(0.001, 0.02), spread=0.01, spread_kind="sd")
    rec.add("acc", "accuracy improves", "0.9", np.float64(0.91), "partly reproduced", evidence=ev,
            seeds=[0, 1, 2], reason="smaller gain", section="results", unit="", curve=np.arange(3), **PAPER)
    path = rec.save(tmp_path)
    assert path == tmp_path / "claims.json" and oct(path.stat().st_mode)[-3:] != "600"
    payload = load_claims(path)
    (c,) = payload["claims"]
    assert c["measured"] == 0.91 and c["seeds"] == [0, 1, 2] and c["extra"]["curve"] == [0, 1, 2]
    assert c["kind"] == "paper" and c["source_kind"] == "paper text" and c["source"] == "§2"
    assert c["data_kind"] == "real" and c["evidence"]["p_value"] == 0.03 and c["evidence"]["n"] == [3, 3]
    prov = payload["provenance"]
    for key in ("git_commit", "packages", "parameters", "profile", "device", "data_checksums", "wall_time_s"):
        assert key in prov
    assert prov["profile"] == "smoke" and prov["data_checksums"] == {"mnist/x.gz": "ab" * 32}
    assert prov["parameters"]["n_examples"] == 8
    assert rec.table().shape[0] == 1


def test_atomic_write_leaves_no_temp_file_on_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    target = tmp_path / "claims.json"
    write_json_atomic(target, {"claims": [], "provenance": {"v": 1}})

    def broken_dump(obj, fh, **kw):
        fh.write('{"half": ')
        raise OSError("disk full")

    monkeypatch.setattr(claims_mod.json, "dump", broken_dump)
    with pytest.raises(OSError, match="disk full"):
        write_json_atomic(target, {"claims": [1], "provenance": {}})
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["claims.json"]
    assert json.loads(target.read_text())["provenance"] == {"v": 1}


def test_load_claims_rejects_other_files(tmp_path: Path):
    bad = tmp_path / "x.json"
    bad.write_text('{"claims": []}')
    with pytest.raises(ClaimError, match="not a claims file"):
        load_claims(bad)
    bad.write_text("{not json")
    with pytest.raises(ClaimError, match="cannot read"):
        load_claims(bad)


def test_results_dir_follows_runner_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    cfg = configure("00_data", cell_namespace("00_data", "smoke"))
    monkeypatch.setenv("ATTRPRIOR_RESULTS_DIR", str(tmp_path / "r"))
    assert cfg.results_dir == tmp_path / "r" and (tmp_path / "r").is_dir()


def test_commit_is_the_one_the_run_started_from(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """A long run must not record whatever HEAD is when it ends (commits made meanwhile are not its code)."""
    from attrprior.compendium import claims as C

    monkeypatch.setattr(C, "git_commit", lambda: "start-commit")
    rec = C.ClaimRecorder(configure("00_data", cell_namespace("00_data", "smoke")), paper="p")
    monkeypatch.setattr(C, "git_commit", lambda: "later-commit")
    rec.add("a", "s", "1", 1.0, "reproduced", kind="check", source=NOT_IN_PAPER, data_kind="real")
    assert load_claims(rec.save(tmp_path))["provenance"]["git_commit"] == "start-commit"
