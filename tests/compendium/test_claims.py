"""ClaimRecorder: validation, provenance, atomic writing and reading back."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from attrprior.compendium import claims as claims_mod
from attrprior.compendium.claims import ClaimError, ClaimRecorder, load_claims, write_json_atomic
from tests.conftest import cell_namespace
from attrprior.compendium.params import configure


@pytest.fixture
def rec() -> ClaimRecorder:
    return ClaimRecorder(configure("00_data", cell_namespace("00_data", "smoke")), paper="Test paper")


def test_rejects_bad_claims(rec: ClaimRecorder):
    with pytest.raises(ClaimError, match="verdict"):
        rec.add("a", "s", "1", 1.0, "kinda reproduced")
    with pytest.raises(ClaimError, match="needs a reason"):
        rec.add("a", "s", "1", 1.0, "not reproduced")
    with pytest.raises(ClaimError, match="not finite"):
        rec.add("a", "s", "1", math.nan, "reproduced")
    with pytest.raises(ClaimError, match="not finite"):
        rec.add("a", "s", "1", float("inf"), "reproduced")
    with pytest.raises(ClaimError, match="id and a statement"):
        rec.add("", "s", "1", 1.0, "reproduced")
    with pytest.raises(ClaimError, match="must be a number"):
        rec.add("a", "s", "1", 1.0, "reproduced", spread="wide")
    rec.add("a", "s", "1", 1.0, "reproduced")
    with pytest.raises(ClaimError, match="duplicate"):
        rec.add("a", "s", "1", 1.0, "reproduced")


def test_round_trip_with_provenance(rec: ClaimRecorder, tmp_path: Path):
    import numpy as np

    rec.note_data("mnist/x.gz", "ab" * 32)
    rec.add("acc", "accuracy improves", "0.9", np.float64(0.91), "partly reproduced", spread=0.01,
            spread_kind="sd", seeds=[0, 1, 2], test="Welch t", p_value=0.03, reason="smaller gain",
            section="results", unit="", curve=np.arange(3))
    path = rec.save(tmp_path)
    assert path == tmp_path / "claims.json" and oct(path.stat().st_mode)[-3:] != "600"
    payload = load_claims(path)
    (c,) = payload["claims"]
    assert c["measured"] == 0.91 and c["seeds"] == [0, 1, 2] and c["extra"]["curve"] == [0, 1, 2]
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

    monkeypatch.setattr(C, "_git_commit", lambda: "start-commit")
    rec = C.ClaimRecorder(configure("00_data", cell_namespace("00_data", "smoke")), paper="p")
    monkeypatch.setattr(C, "_git_commit", lambda: "later-commit")
    rec.add("a", "s", "1", 1.0, "reproduced")
    assert load_claims(rec.save(tmp_path))["provenance"]["git_commit"] == "start-commit"
