"""The notebook runner end to end on a tiny notebook: execute, cache, re-execute, fail, interrupt."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from attrprior.compendium import runner as run
from attrprior.compendium.params import ParameterError

DATA = {"fake.csv": "0" * 64}


def _leftovers(build: Path) -> list[Path]:
    return [p for p in build.rglob(".*") if p.name.startswith((".tmp-", ".old-"))]


def _job(tiny_notebook: Path, *pairs: str) -> run.Job:
    (job,) = run.plan(["99_tiny"], "smoke", list(pairs), notebooks_dir=tiny_notebook.parent)
    return job


def _run(job: run.Job, build: Path, lib: Path, **kw) -> run.RunResult:
    return run.run_job(job, build, progress=False, lib_root=lib, checksums=DATA, log=lambda *_: None, **kw)


@pytest.fixture
def lib(tmp_path: Path) -> Path:
    for rel in ("core/m.py", "papers/nb99_tiny/experiment.py", "papers/nb00_other/experiment.py"):
        (tmp_path / "lib" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "lib" / rel).write_text("X = 1\n")
    return tmp_path / "lib"


def test_plan_validates_before_running(tiny_notebook: Path):
    with pytest.raises(ParameterError, match="bogus"):
        _job(tiny_notebook, "bogus=1")
    with pytest.raises(ParameterError, match="'x'"):
        _job(tiny_notebook, "x=11")
    job = _job(tiny_notebook, "x=3", "profile=paper")
    assert job.profile == "paper" and job.overrides == {"x": 3} and job.params == {"x": 3, "fail": False}


def test_plan_all_notebooks_needs_specs(tmp_path: Path):
    from tests.conftest import write_notebook

    write_notebook(tmp_path / "nb" / "42_unknown.ipynb", [("code", "x = 1", [])])
    with pytest.raises(ParameterError, match="42_unknown.*has no spec"):
        run.plan([], "smoke", [], notebooks_dir=tmp_path / "nb")


def test_execute_cache_rerun_fail_interrupt(tiny_notebook: Path, tmp_path: Path, lib: Path, monkeypatch):
    build = tmp_path / "build"
    out = build / "runs" / "smoke" / "99_tiny"

    first = _run(_job(tiny_notebook), build, lib)
    assert first.status == "executed", first.error
    assert first.out_dir == out
    assert json.loads((out / "claims.json").read_text()) == {"x": 1, "profile": "smoke"}
    meta = json.loads((out / "meta.json").read_text())
    assert meta["parameters"] == {"x": 1, "fail": False} and meta["wall_s"] > 0 and len(meta["cache_key"]) == 64
    executed = json.loads((out / "99_tiny.ipynb").read_text())
    assert any("injected-parameters" in c["metadata"].get("tags", []) for c in executed["cells"])
    assert not _leftovers(build)

    # unchanged -> cached, nothing executed
    monkeypatch.setattr(run, "_execute", lambda *a, **k: pytest.fail("should have been cached"))
    assert _run(_job(tiny_notebook), build, lib).status == "cached"
    monkeypatch.undo()
    from attrprior.compendium import params as experiments
    from tests.conftest import TINY
    monkeypatch.setitem(experiments.specs(), TINY.name, TINY)

    # changed parameter -> re-executed, result replaced
    second = _run(_job(tiny_notebook, "x=2"), build, lib)
    assert second.status == "executed", second.error
    assert json.loads((out / "claims.json").read_text())["x"] == 2
    good = {p.name: p.read_bytes() for p in out.iterdir()}

    # failing notebook -> 'failed', previous good result untouched, no temp folder left
    failed = _run(_job(tiny_notebook, "x=2", "fail=true"), build, lib)
    assert failed.status == "failed" and "boom" in failed.error
    assert {p.name: p.read_bytes() for p in out.iterdir()} == good
    assert (build / "failed" / "smoke" / "99_tiny.ipynb").is_file()
    assert not _leftovers(build)

    # interrupt in the middle of execution -> re-raised, temp folder removed, previous result kept
    def interrupted(job, output, kernel_name, progress):
        output.write_text("{half a notebook")
        (output.parent / "claims.json").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "_execute", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _run(_job(tiny_notebook, "x=5"), build, lib)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == good
    assert not _leftovers(build)

    # the interrupted run did not poison the cache: x=2 is still cached, x=5 would run
    assert _run(_job(tiny_notebook, "x=2"), build, lib).status == "cached"


def test_force_and_lib_change_reexecute(tiny_notebook: Path, tmp_path: Path, lib: Path, monkeypatch):
    build = tmp_path / "build"
    calls = []

    def fake(job, output, kernel_name, progress):
        calls.append(job.overrides)
        output.write_text("{}")

    monkeypatch.setattr(run, "_execute", fake)
    assert _run(_job(tiny_notebook), build, lib).status == "executed"
    assert _run(_job(tiny_notebook), build, lib).status == "cached"
    assert _run(_job(tiny_notebook), build, lib, force=True).status == "executed"
    (lib / "core" / "m.py").write_text("X = 2\n")
    assert _run(_job(tiny_notebook), build, lib).status == "executed"
    assert len(calls) == 3


def test_staleness_names_what_changed_and_runs_nothing(tiny_notebook: Path, tmp_path: Path, lib: Path, monkeypatch):
    build = tmp_path / "build"
    monkeypatch.setattr(run, "_execute", lambda job, output, *a: output.write_text("{}"))

    def state(job=None):
        return run.staleness(job or _job(tiny_notebook), build, lib_root=lib, checksums=DATA)[0]

    assert state().execute and state().reasons == ["no previous run"]
    _run(_job(tiny_notebook), build, lib)
    assert not state().execute and "cached" in state().describe()
    (lib / "papers" / "nb00_other" / "experiment.py").write_text("X = 2\n")  # another paper: still cached
    assert not state().execute
    (lib / "papers" / "nb99_tiny" / "experiment.py").write_text("X = 2\n")
    assert state().reasons == ["its paper's code changed"]
    assert state(_job(tiny_notebook, "x=3")).reasons == ["parameters or profile changed", "its paper's code changed"]
    monkeypatch.setattr(run, "_execute", lambda *a, **k: pytest.fail("a dry run must not execute"))
    assert state().execute
