"""Executed notebooks made into reader's pages for the book (the run's own copy is left untouched).

* a box at the top with the notebook's verdicts at a glance (badges, scale) and one with how to rerun it (the exact
  ``make run`` line and the parameters with their type, range and value per profile, from the spec);
* plumbing folded away: the parameters and set-up cells show their output but hide their code (``hide-input``);
* no progress bars or warnings (stderr streams stay in the run's log, not on the page) and no local paths.
"""
from __future__ import annotations

import copy
import json
from typing import Any, Mapping, Sequence

from attrprior.compendium.params import PROFILES, NotebookSpec
from attrprior.compendium.scoreboard import cell, data_tag, fmt_number, verdict_badge

HIDDEN = "hide-input"


def _value(v: Any) -> str:
    if isinstance(v, list):
        return ", ".join(fmt_number(x) if not isinstance(x, str) else x for x in v)
    return fmt_number(v) if not isinstance(v, str) else v


def glance_box(claims: Mapping[str, Any] | None, profile: str) -> list[str]:
    """A note listing each claim with its verdict badge (stand-ins marked) and the run's scale."""
    if not claims or not claims.get("claims"):
        return [":::{admonition} Verdicts at a glance", ":class: note", "", f"This notebook has not been run at the `{profile}` profile "
                "for this book, so it records no verdicts here.", ":::"]
    prov = claims.get("provenance", {})
    lines = [":::{admonition} Verdicts at a glance", ":class: note", "",
             f"Run at the `{prov.get('profile', profile)}` profile"
             + (f" — {prov['scale']}" if prov.get("scale") else "") + ". "
             "Each verdict holds for this scale; the claims table at the end has the numbers.", ""]
    for c in claims["claims"]:
        kind = "" if c.get("kind", "paper") == "paper" else f" *({c['kind']})*"
        lines.append(f"- {verdict_badge(c.get('verdict', ''))}{data_tag(c)} {c.get('statement', '')}{kind}")
    return lines + ["", ":::"]


def rerun_box(spec: NotebookSpec) -> list[str]:
    """A folded tip: the ``make run`` line and the parameter table generated from the spec."""
    example = next((p for p in spec.params if p.name in ("seeds", "n_replicates", "epochs")), None)
    params = ""
    if example is not None:
        value = spec.profiles["default"][example.name]
        params = f' PARAMS="{example.name}={_value(value).replace(" ", "")}"'
    lines = [":::{dropdown} Rerun this notebook", "",
             "```bash", f"make run NB={spec.name}{params} [PROFILE=smoke|default|paper]", "```", "",
             "Any parameter below can be given in `PARAMS` (lists as `a,b,c`); values are checked against the "
             "type and range before anything runs. `python -m attrprior.run --list` prints the same table.", "",
             "| parameter | type and range | " + " | ".join(PROFILES) + " | meaning |",
             "|---|---|" + "---|" * len(PROFILES) + "---|"]
    for p in spec.params:
        row = [f"`{p.name}`", p.describe(), *[_value(spec.profiles[prof][p.name]) for prof in PROFILES], p.doc]
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return lines + ["", ":::"]


def _scrub(text: str, paths: Sequence[tuple[str, str]]) -> str:
    for path, label in paths:
        if path:
            text = text.replace(path, label)
    return text


def reader_notebook(nb: Mapping[str, Any], spec: NotebookSpec, claims: Mapping[str, Any] | None, profile: str,
                    paths: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """A copy of an executed notebook for the book (see the module docstring). ``paths`` are
    ``(local path, shown as)`` pairs scrubbed from every output."""
    out = copy.deepcopy(dict(nb))
    cells = out.get("cells", [])
    escaped = [(json.dumps(p)[1:-1], json.dumps(lab)[1:-1]) for p, lab in paths]  # as they appear inside JSON
    for i, c in enumerate(cells):
        if c.get("cell_type") != "code":
            continue
        if i in (1, 2):  # the parameters and set-up cells: plumbing, folded
            tags = c.setdefault("metadata", {}).setdefault("tags", [])
            if HIDDEN not in tags:
                tags.append(HIDDEN)
        kept = []
        for o in c.get("outputs", []):
            if o.get("output_type") == "stream" and o.get("name") == "stderr":
                continue  # progress bars and warnings: in the run's log, not on the page
            o = json.loads(_scrub(json.dumps(o), escaped))
            kept.append(o)
        c["outputs"] = kept
    box = "\n".join(glance_box(claims, profile) + [""] + rerun_box(spec))
    header = {"cell_type": "markdown", "id": "reader-header", "metadata": {}, "source": box}
    first = cells[0] if cells else {}
    text = "".join(first.get("source", "")) if first.get("cell_type") == "markdown" else ""
    if text.startswith("# "):  # the boxes go right under the title, on the first screen
        title, _, rest = text.partition("\n")
        first["source"] = title
        intro = [{"cell_type": "markdown", "id": "reader-intro", "metadata": {}, "source": rest.strip("\n")}]
        cells[1:1] = [header] + (intro if rest.strip() else [])
    else:
        cells.insert(0, header)
    return out


__all__ = ["glance_box", "reader_notebook", "rerun_box"]
