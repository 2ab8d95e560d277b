"""Pure functions that turn claims and run metadata into the book's generated Markdown pages."""
from __future__ import annotations

import json
import re
from typing import Any, Iterable, Mapping, Sequence

BADGES = {
    "reproduced": "bdg-success",
    "partly reproduced": "bdg-warning",
    "not reproduced": "bdg-danger",
    "inconclusive": "bdg-info",
    "not tested": "bdg-secondary",
}
KIND_TITLES = {"paper": "paper claims", "extension": "our extensions", "check": "data and software checks"}

ClaimsFile = tuple[str, Mapping[str, Any]]  # (notebook name, parsed claims.json)


def slugify(title: str) -> str:
    """The anchor MyST gives a heading (``myst_heading_anchors``): GitHub style."""
    try:
        from myst_parser.mdit_to_docutils.base import default_slugify

        return default_slugify(title.strip())
    except ImportError:  # pragma: no cover - myst-parser is a dependency
        return re.sub(r"[^\w\- ]", "", title.strip().lower().replace(" ", "-"))


def notebook_anchors(nb: Mapping[str, Any], max_level: int = 3) -> set[str]:
    """Anchors of the headings (levels 1..max_level) in a notebook's Markdown cells."""
    anchors: set[str] = set()
    fence = False
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        for line in ("".join(source) if isinstance(source, list) else source).splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                fence = not fence
            m = None if fence else re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
            if m and len(m.group(1)) <= max_level:
                anchors.add(slugify(m.group(2)))
    return anchors


def notebook_labels(nb: Mapping[str, Any]) -> set[str]:
    """MyST targets ``(label)=`` in a notebook's Markdown cells (linked with ``{ref}``)."""
    labels: set[str] = set()
    for cell_ in nb.get("cells", []):
        if cell_.get("cell_type") == "markdown":
            source = cell_.get("source", "")
            text = "".join(source) if isinstance(source, list) else source
            labels.update(re.findall(r"^\(([A-Za-z][\w-]*)\)=\s*$", text, flags=re.M))
    return labels


def cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("\n", " ").replace("|", "\\|").strip()


def fmt_number(x: Any) -> str:
    """Numbers to 4 significant digits, integers without a decimal point; text unchanged."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:.4g}"


def measured_text(claim: Mapping[str, Any]) -> str:
    """``measured unit (n; test, p = …; 95% CI […]; power …)`` for one claim."""
    text = fmt_number(claim.get("measured", ""))
    if claim.get("unit"):
        text += f" {claim['unit']}"
    ev = claim.get("evidence") or {}
    extras = []
    if ev.get("n") is not None:
        n = ev["n"]
        extras.append("n = " + (" vs ".join(map(str, n)) if isinstance(n, list) else str(n)))
    if ev.get("test"):
        p = ev.get("p_value")
        extras.append(ev["test"] + (f", p = {p:.2g}" if p is not None else ""))
    if ev.get("ci"):
        extras.append(f"{ev.get('ci_level', 0.95):.0%} CI [{fmt_number(ev['ci'][0])}, {fmt_number(ev['ci'][1])}]")
    if ev.get("power") is not None:
        extras.append(f"power {ev['power']:.0%} at the paper's effect")
    return text + (f" ({'; '.join(extras)})" if extras else "")


def data_tag(claim: Mapping[str, Any]) -> str:
    """" (stand-in)" / " (simulated)" after a verdict that does not rest on real data."""
    kind = claim.get("data_kind", "")
    return f" ({kind})" if kind in ("stand-in", "simulated") else ""


def verdict_badge(verdict: str) -> str:
    """A coloured sphinx-design badge for a verdict."""
    return f"{{{BADGES.get(verdict, 'bdg-dark')}}}`{verdict}`"


def claim_link(notebook: str, section: str, anchors: Mapping[str, set[str]] | None,
               link_prefix: str = "notebooks/", labels: Mapping[str, set[str]] | None = None) -> str:
    """Link to the claim's section: a ``{ref}`` to a MyST label, else a Markdown link to a heading
    anchor, else to the notebook itself."""
    if section and labels is not None and section in labels.get(notebook, set()):
        return f"{{ref}}`{notebook} § {section} <{section}>`"
    target = f"{link_prefix}{notebook}.ipynb"
    known = None if anchors is None else anchors.get(notebook)
    if section and (known is None or section in known):
        return f"[{notebook} § {section}]({target}#{section})"
    return f"[{notebook}]({target})"


def _profile_text(prov: Mapping[str, Any], show_device: bool) -> str:
    profile = prov.get("profile", "")
    if prov.get("overrides"):  # a run with user parameters is not the plain profile
        profile += " with " + ", ".join(f"{k}={json.dumps(v)}" for k, v in prov["overrides"].items())
    if show_device and prov.get("device"):
        profile += f" on {prov['device']}"
    return profile


def _paper_run_label(notebook: str, labels: Mapping[str, set[str]] | None) -> str:
    """The notebook's section showing its committed paper-scale run (a label ending in ``-paper-scale``)."""
    found = sorted(lab for lab in (labels or {}).get(notebook, set()) if lab.endswith(("-paper-scale", "-paper-run")))
    return found[0] if found else ""


def provenance_fold(payload: Mapping[str, Any], download: str = "") -> list[str]:
    """A folded block with a run's provenance: commit, device, wall time, packages, data checksums."""
    prov = payload.get("provenance", {})
    packages = ", ".join(f"{k} {v}" for k, v in (prov.get("packages") or {}).items())
    checksums = prov.get("data_checksums") or {}
    lines = [":::{dropdown} Provenance of this run", "",
             f"- commit `{prov.get('git_commit', '?')}`, finished {prov.get('finished', '?')}, "
             f"wall time {fmt_number(prov.get('wall_time_s', '?'))} s",
             f"- device: {prov.get('device', '?')}; Python {prov.get('python', '?')}",
             f"- packages: {packages or '?'}"]
    if prov.get("rejudged"):
        lines.append(f"- re-judged: {cell(json.dumps(prov['rejudged'])[:300])}")
    if checksums:
        lines.append("- data: " + "; ".join(f"`{k}` {str(v)[:12]}…" for k, v in checksums.items()))
    if download:
        lines.append(f"- {{download}}`claims JSON <{download}>`")
    return lines + ["", ":::"]


def claims_table(files: Sequence[ClaimsFile], anchors: Mapping[str, set[str]] | None = None,
                 link_prefix: str = "notebooks/", labels: Mapping[str, set[str]] | None = None,
                 show_device: bool = False, downloads: Mapping[str, str] | None = None) -> list[str]:
    """Per notebook: a heading, a compact table (claim | verdict | measured | evidence) whose verdict column
    stays visible in a narrow window, a fold with each claim's paper value, source, test and reason, and a fold
    with the run's provenance. ``show_device`` marks the committed paper-scale runs: their rows link to the
    notebook's paper-run section."""
    lines: list[str] = []
    for notebook, payload in files:
        prov = payload.get("provenance", {})
        lines += [f"### {prov.get('paper', '') or notebook} (`{notebook}`)", "",
                  f"Profile: {_profile_text(prov, show_device)}.", "",
                  "| claim | verdict | measured | evidence |", "|---|---|---|---|"]
        details = []
        paper_label = _paper_run_label(notebook, labels) if show_device else ""
        for c in payload.get("claims", []):
            statement = f"{c.get('statement', '')} (`{c.get('id', '')}`, {c.get('kind', '?')})"
            unit = f" {c['unit']}" if c.get("unit") else ""
            section = paper_label or c.get("section", "")
            row = [statement, verdict_badge(c.get("verdict", "")) + data_tag(c),
                   fmt_number(c.get("measured", "")) + unit,
                   claim_link(notebook, section, anchors, link_prefix, labels)]
            lines.append("| " + " | ".join(cell(v) for v in row) + " |")
            source = c.get("source_kind", "") + (f", {c['source']}" if c.get("source") else "")
            details.append(f"- **`{c.get('id', '')}`** — paper: {c.get('paper_value', '')} ({source}). "
                           f"Measured: {measured_text(c)}." + (f" {c['reason']}" if c.get("reason") else ""))
        lines += ["", ":::{dropdown} Paper values, sources, tests and reasons", "", *details, "", ":::", ""]
        lines += provenance_fold(payload, (downloads or {}).get(notebook, "")) + [""]
    return lines


def verdict_counts(files: Iterable[ClaimsFile], kind: str | None = None) -> dict[str, int]:
    """How many claims (of ``kind``, or all) got each verdict (all verdicts listed, zeros included)."""
    counts = {v: 0 for v in BADGES}
    for _, payload in files:
        for c in payload.get("claims", []):
            if kind is None or c.get("kind") == kind:
                counts[c.get("verdict", "")] = counts.get(c.get("verdict", ""), 0) + 1
    return counts


SHORT_VERDICTS = {"reproduced": "repr.", "partly reproduced": "partly", "not reproduced": "not repr.",
                  "inconclusive": "inconcl.", "not tested": "untested"}


def _short_paper(paper: str) -> str:
    """The authors part of a paper reference, without its year: "Erion et al. 2021, Improving …" -> "Erion et al."."""
    authors = paper.split(",")[0].split(" (")[0].strip()
    return re.sub(r"\s+(19|20)\d\d$", "", authors) or paper


def summary_table(files: Sequence[ClaimsFile]) -> list[str]:
    """Per notebook (paper): its paper claims by verdict, with extensions and checks counted apart — narrow
    enough to be read whole on a laptop screen (short headers; the legend is the line above it)."""
    head = "| paper | " + " | ".join(f"{{{BADGES[v]}}}`{SHORT_VERDICTS[v]}`" for v in BADGES) + " | ext. | checks |"
    lines = [head, "|---|" + "---:|" * (len(BADGES) + 2)]
    for notebook, payload in files:
        counts = verdict_counts([(notebook, payload)], "paper")
        others = [sum(verdict_counts([(notebook, payload)], k).values()) for k in ("extension", "check")]
        paper = _short_paper(payload.get("provenance", {}).get("paper", "") or notebook)
        row = [f"{notebook.split('_')[0]} {paper}", *[str(counts[v]) if counts[v] else "·" for v in BADGES],
               *map(str, others)]
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return lines


def scoreboard_markdown(
    runs: Sequence[ClaimsFile],
    paper: Sequence[ClaimsFile] = (),
    profile: str = "default",
    anchors: Mapping[str, set[str]] | None = None,
    missing: Sequence[str] = (),
    link_prefix: str = "notebooks/",
    labels: Mapping[str, set[str]] | None = None,
    downloads: Mapping[str, Mapping[str, str]] | None = None,
    figure: str = "",
) -> str:
    """The scoreboard page: per-paper verdict counts and the verdict matrix first, then every claim of the
    ``profile`` runs, then the committed paper-scale claims. ``downloads`` maps ``"runs"``/``"paper"`` to
    ``{notebook: claims JSON path}``; ``figure`` is the verdict matrix image."""
    counts = verdict_counts(runs, "paper")
    total = sum(counts.values())
    apart = {k: sum(verdict_counts(runs, k).values()) for k in ("extension", "check")}
    summary = ", ".join(f"{verdict_badge(v)} {n}" for v, n in counts.items())
    out = ["# Claims scoreboard", "",
           f"The papers' claims as re-run for this book (profile `{profile}`): {total} paper "
           f"claim{'s' if total != 1 else ''} from {len(runs)} notebook{'s' if len(runs) != 1 else ''}; "
           f"our {apart['extension']} extensions and {apart['check']} data/software checks are counted apart.", "",
           f"Paper claims: {summary}", ""]
    downloads = downloads or {}
    if runs:
        out += summary_table(runs) + [""]
    out += ["*Inconclusive* means the run could not tell the paper's effect from no effect (too little power); "
            "*not reproduced* is kept for runs that could. A verdict on a *stand-in* (real inputs, simulated "
            "outcome) or on *simulated* data is marked so: it describes the simulator, not the paper's data.", ""]
    if runs:
        if figure:
            out += [f"```{{figure}} {figure}", ":width: 100%", "",
                    "Every claim's verdict, one square per claim (paper claims solid, extensions and checks "
                    "faded): this book's runs (top) and the committed paper-scale runs (bottom).", "```", ""]
        out += ["## Claims of this book's runs", ""]
        out += claims_table(runs, anchors, link_prefix, labels, downloads=downloads.get("runs"))
    else:
        out.append("No claims recorded yet.")
    if missing:
        out += ["", "Notebooks not executed at this profile (shown without outputs): "
                + ", ".join(f"`{m}`" for m in missing) + "."]
    out += ["", "## Paper-scale results", ""]
    if paper:
        out += ["Claims from runs at the `paper` profile, committed under `results/paper/<notebook>/claims.json` "
                "(see each file's provenance for the machine and date).", ""]
        out += summary_table(paper) + [""]
        out += claims_table(paper, anchors, link_prefix, labels, show_device=True, downloads=downloads.get("paper"))
    else:
        out.append("No paper-scale results have been committed yet (`results/paper/<notebook>/claims.json`).")
    return "\n".join(out) + "\n"


def shift_headings(markdown: str, by: int) -> str:
    """Demote every ATX heading outside code fences by ``by`` levels (max level 6)."""
    out, fence = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        m = None if fence else re.match(r"^(#{1,6})(\s.*)$", line)
        out.append("#" * min(6, len(m.group(1)) + by) + m.group(2) if m else line)
    return "\n".join(out)


def methods_markdown(base: str, metas: Sequence[Mapping[str, Any]], benchmarks: Sequence[tuple[str, str]] = (),
                     profile: str = "default") -> str:
    """``book/methods.md`` plus each notebook's last wall time and any benchmark tables."""
    out = [base.rstrip(), "", "## Last runs", ""]
    if metas:
        out += [f"Wall time of each notebook's last execution at profile `{profile}` (cached runs keep the time "
                "of the run that produced them).", "",
                "| notebook | wall time | finished | parameters | cache key |", "|---|---|---|---|---|"]
        for m in metas:
            params = ", ".join(f"{k}={json.dumps(v)}" for k, v in (m.get("parameters") or {}).items())
            wall = m.get("wall_s")
            wall_text = f"{wall / 60:.1f} min" if isinstance(wall, (int, float)) and wall >= 120 else f"{wall} s"
            row = [m.get("notebook", "?"), wall_text, m.get("finished", ""), f"`{params}`" if params else "",
                   f"`{str(m.get('cache_key', ''))[:12]}`"]
            out.append("| " + " | ".join(cell(v) for v in row) + " |")
        total = sum(m.get("wall_s") or 0 for m in metas)
        out += ["", f"Total: {total / 60:.1f} min."]
    else:
        out.append("No notebook has been executed at this profile yet.")
    if benchmarks:
        out += ["", "## Benchmarks", "", "Tables written by `make bench` (`benchmarks/results/*.md`).", ""]
        for name, text in benchmarks:
            levels = [len(m.group(1)) for m in re.finditer(r"^(#{1,6})\s", text, flags=re.M)]
            by = 4 - min(levels) if levels else 0
            out += [f"### {name}", "", shift_headings(text, by).strip(), ""]
    return "\n".join(out).rstrip() + "\n"
