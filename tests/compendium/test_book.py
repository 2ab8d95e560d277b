"""Scoreboard and page generation (pure functions) and assembling the book sources."""
from __future__ import annotations

import json
import os
from pathlib import Path

from attrprior.compendium import book, scoreboard
from tests.conftest import write_notebook


def _claims(profile: str, *claims: dict) -> dict:
    return {"provenance": {"paper": "Erion et al. 2021", "profile": profile, "notebook": "03_eg"},
            "claims": list(claims)}


C1 = {"id": "acc", "statement": "EG prior improves accuracy", "kind": "paper", "paper_value": "0.92 | 0.90",
      "source_kind": "paper table", "source": "Table 2", "measured": 0.9123456, "seeds": [0, 1, 2],
      "evidence": {"test": "Welch t", "p_value": 0.0123, "n": [3, 3], "ci": [0.001, 0.02], "power": 0.41},
      "verdict": "partly reproduced", "reason": "smaller gain", "section": "results", "unit": "",
      "data_kind": "stand-in"}
C2 = {"id": "n", "statement": "10,000 test images", "kind": "check", "paper_value": "10,000",
      "source_kind": "not in the paper", "measured": 10000.0, "verdict": "reproduced", "section": "no-such-heading",
      "data_kind": "real"}


def test_scoreboard_markdown():
    md = scoreboard.scoreboard_markdown(
        [("03_eg", _claims("default", C1, C2))], [("03_eg", _claims("paper", C2))], "default",
        anchors={"03_eg": {"results"}}, missing=["04_svae"], labels={"03_eg": {"nb03-paper-scale"}},
        downloads={"runs": {"03_eg": "claims/runs/03_eg.json"}}, figure="_static/m.png")
    lines = md.splitlines()
    assert lines[0] == "# Claims scoreboard"
    header = "| claim | verdict | measured | evidence |"
    assert md.count(header) == 2  # one compact table per notebook: the default run and the paper-scale run
    row = next(line for line in lines if "`acc`" in line and line.startswith("| EG prior"))
    assert row.count("|") == 5  # four narrow columns: the verdict stays in view
    assert "{bdg-warning}`partly reproduced` (stand-in)" in row  # a stand-in verdict says so
    assert "[03_eg § results](notebooks/03_eg.ipynb#results)" in row
    detail = next(line for line in lines if line.startswith("- **`acc`**"))
    assert "0.92 \\| 0.90" not in detail and "(paper table, Table 2)" in detail and "smaller gain" in detail
    assert "n = 3 vs 3; Welch t, p = 0.012; 95% CI [0.001, 0.02]; power 41%" in detail
    row2 = next(line for line in lines if "`n`" in line and line.startswith("| 10,000"))
    assert "[03_eg](notebooks/03_eg.ipynb)" in row2  # unknown anchor: plain link
    # the headline counts paper claims only; the check is counted apart
    assert "Paper claims: {bdg-success}`reproduced` 0, {bdg-warning}`partly reproduced` 1" in md
    assert "1 paper claim from 1 notebook; our 0 extensions and 1 data/software checks" in md
    summary = next(line for line in lines if line.startswith("| 03 Erion et al. |"))
    assert summary.endswith("| 0 | 1 |") and "`04_svae`" in md
    assert "```{figure} _static/m.png" in md and "{download}`claims JSON <claims/runs/03_eg.json>`" in md
    paper_part = md.split("## Paper-scale results")[1]
    assert "{ref}`03_eg § nb03-paper-scale <nb03-paper-scale>`" in paper_part  # paper rows link to the paper run
    with_overrides = _claims("default", C2)
    with_overrides["provenance"]["overrides"] = {"seeds": 3}
    assert "Profile: default with seeds=3." in scoreboard.scoreboard_markdown([("03_eg", with_overrides)])
    on_cpu = _claims("paper", C2)
    on_cpu["provenance"].update(device="cpu (2 cores)", overrides={"prior_batch": 60})
    md = scoreboard.scoreboard_markdown([("03_eg", _claims("default", C2))], [("03_eg", on_cpu)])
    assert "Profile: default." in md  # the device is named in the paper-scale section only
    assert "Profile: paper with prior_batch=60 on cpu (2 cores)." in md.split("## Paper-scale results")[1]


def test_reader_notebook_folds_plumbing_and_drops_noise():
    from attrprior.compendium.params import get_spec
    from attrprior.compendium.reader_pages import reader_notebook

    nb = {"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "# Title"},
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "profile = 'x'", "outputs": []},
        {"cell_type": "code", "metadata": {}, "source": "cfg = configure(...)", "outputs": [
            {"output_type": "stream", "name": "stderr", "text": "100%|#####| 5/5 [00:01]\nTqdmWarning"},
            {"output_type": "stream", "name": "stdout", "text": "data in /home/me/repo/build/x"}]}]}
    claims = {"provenance": {"profile": "default", "scale": "3 seeds"},
              "claims": [{"statement": "A beats B", "verdict": "inconclusive", "kind": "paper", "data_kind": "stand-in"}]}
    out = reader_notebook(nb, get_spec("00_data"), claims, "default", [("/home/me/repo/build", "build")])
    assert out["cells"][1]["id"] == "reader-header"
    box = out["cells"][1]["source"]
    assert "{bdg-info}`inconclusive` (stand-in) A beats B" in box and "3 seeds" in box
    assert "| `merge_top` |" in box and "make run NB=00_data" in box
    setup = out["cells"][3]
    assert "hide-input" in setup["metadata"]["tags"] and "hide-input" in out["cells"][2]["metadata"]["tags"]
    assert [o["name"] for o in setup["outputs"]] == ["stdout"] and setup["outputs"][0]["text"] == "data in build/x"
    assert nb["cells"][2]["outputs"][0]["name"] == "stderr"  # the run's own copy is untouched


def test_verdict_matrix_draws_a_png(tmp_path):
    from attrprior.compendium.verdict_figure import verdict_matrix

    path = verdict_matrix([("03_eg", _claims("default", C1, C2))], [], tmp_path / "m.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_scoreboard_empty():
    md = scoreboard.scoreboard_markdown([], [], "smoke")
    assert "No claims recorded yet" in md and "No paper-scale results" in md


def test_helpers():
    assert scoreboard.slugify("NHANES I") == "nhanes-i"
    assert scoreboard.slugify("MERGE meta-features") == "merge-meta-features"
    nb = {"cells": [{"cell_type": "markdown", "source": "# Title\n## Sub Section\n```\n# not a heading\n```"},
                    {"cell_type": "code", "source": "# comment"}]}
    assert scoreboard.notebook_anchors(nb) == {"title", "sub-section"}
    assert scoreboard.fmt_number(3.0) == "3" and scoreboard.fmt_number(0.123456) == "0.1235"
    assert scoreboard.shift_headings("# A\n```\n# code\n```\n## B", 2) == "### A\n```\n# code\n```\n#### B"
    toc = book.toc_yaml(["00_data", "01_x"])
    assert "root: intro" in toc and "- file: notebooks/01_x" in toc and "- file: scoreboard" in toc


def test_methods_markdown():
    metas = [{"notebook": "00_data", "wall_s": 12.5, "finished": "t", "parameters": {"n": 1}, "cache_key": "ab" * 32},
             {"notebook": "01_x", "wall_s": 600, "finished": "t", "parameters": {}, "cache_key": "cd" * 32}]
    md = scoreboard.methods_markdown("# Methods\n\ntext", metas, [("attr_bench", "# Bench\n\n## Speed\n|a|\n")])
    assert "| 00_data | 12.5 s |" in md and "| 01_x | 10.0 min |" in md and "Total: 10.2 min" in md
    assert "### attr_bench" in md and "#### Bench" in md and "##### Speed" in md


def test_assemble(tmp_path: Path):
    root = tmp_path
    (root / "book").mkdir()
    (root / "book" / "_config.yml").write_text("title: t\n")
    (root / "book" / "intro.md").write_text("# Intro\n")
    (root / "book" / "methods.md").write_text("# Methods\n")
    write_notebook(root / "notebooks" / "00_data.ipynb", [("markdown", "# Data\n## Checksums", [])])
    write_notebook(root / "notebooks" / "01_later.ipynb", [("markdown", "# Later", [])])
    run = root / "build" / "runs" / "default" / "00_data"
    write_notebook(run / "00_data.ipynb", [("markdown", "# Data\n## Checksums", []), ("code", "1", [])])
    (run / "claims.json").write_text(json.dumps(_claims("default", {**C2, "section": "checksums"})))
    (run / "meta.json").write_text(json.dumps({"notebook": "00_data", "wall_s": 3.0, "parameters": {}}))
    (root / "results" / "paper" / "00_data").mkdir(parents=True)
    (root / "results" / "paper" / "00_data" / "claims.json").write_text(json.dumps(_claims("paper", C2)))
    (root / "benchmarks" / "results").mkdir(parents=True)
    (root / "benchmarks" / "results" / "speed.md").write_text("| a |\n|---|\n| 1 |\n")

    src = book.assemble("default", root, root / "build")
    names = sorted(p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file())
    assert names == ["_config.yml", "_static/verdict_matrix.png", "_toc.yml", "claims/paper/00_data.json",
                     "claims/runs/00_data.json", "intro.md", "methods.md", "notebooks/00_data.ipynb",
                     "notebooks/01_later.ipynb", "scoreboard.md"]
    page = json.loads((src / "notebooks" / "00_data.ipynb").read_text())
    header = "".join(page["cells"][1]["source"])
    assert "Verdicts at a glance" in header and "make run NB=00_data" in header and "`n_examples`" in header
    assert page["cells"][0]["source"] == "# Data"  # the boxes sit right under the title, the intro follows
    assert "".join(page["cells"][2]["source"]) == "## Checksums"
    score = (src / "scoreboard.md").read_text()
    assert "notebooks/00_data.ipynb#checksums" in score and "`01_later`" in score
    assert "### speed" in (src / "methods.md").read_text() and "| 00_data | 3.0 s |" in (src / "methods.md").read_text()

    stamp = {p: p.stat().st_mtime_ns for p in src.rglob("*") if p.is_file()}
    os.utime(src / "intro.md", ns=(1, 1))
    stamp[src / "intro.md"] = 1
    book.assemble("default", root, root / "build")  # unchanged: nothing rewritten
    assert {p: p.stat().st_mtime_ns for p in src.rglob("*") if p.is_file()} == stamp
    digest = book.source_digest(src)
    (root / "notebooks" / "01_later.ipynb").unlink()
    book.assemble("default", root, root / "build")
    assert not (src / "notebooks" / "01_later.ipynb").exists() and book.source_digest(src) != digest


def test_claims_link_to_myst_labels_with_ref_role():
    nb = {"cells": [{"cell_type": "markdown", "source": "(nb09-result)=\n## Result\n"},
                    {"cell_type": "code", "source": "(not-a-label)=\n"}]}
    labels = {"09_x": scoreboard.notebook_labels(nb)}
    assert labels["09_x"] == {"nb09-result"}
    assert scoreboard.claim_link("09_x", "nb09-result", {}, labels=labels) == "{ref}`09_x § nb09-result <nb09-result>`"
    assert scoreboard.claim_link("09_x", "missing", {"09_x": set()}, labels=labels) == "[09_x](notebooks/09_x.ipynb)"
