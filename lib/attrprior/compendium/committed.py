"""Paper-scale results committed under ``results/paper/<notebook>/``, read back by the notebooks.

A notebook run at the ``default`` profile can show the committed paper-profile run next to its own
(:func:`load_committed`): its claims, its result tables and a one-line description of how it was made
(device, wall time, commit, parameters that differ from the ``paper`` profile).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd

from attrprior.compendium.claims import CLAIMS_FILE, ClaimError, load_claims
from attrprior.core.data import sha256_file

RESULTS_SUBDIR = Path("results") / "paper"


def committed_dir(notebook: str, root: Path | None = None) -> Path:
    """``<repo>/results/paper/<notebook>``."""
    if root is None:
        from attrprior.core.data import repo_root

        root = repo_root()
    return Path(root) / RESULTS_SUBDIR / notebook


def committed_digest(notebook: str, root: Path | None = None) -> str:
    """sha256 over the committed files of ``notebook`` (names and bytes); "" when none are committed.
    Part of the runner's cache key: a notebook that displays them re-runs when they change."""
    folder = committed_dir(notebook, root)
    files = sorted(p for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []
    if not files:
        return ""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + sha256_file(path).encode())
    return digest.hexdigest()


def _differences(params: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k in reference and json.dumps(v) != json.dumps(reference[k])}


@dataclass(frozen=True)
class CommittedRun:
    """One committed paper-profile run of a notebook."""

    notebook: str
    path: Path
    provenance: dict[str, Any]
    claims: list[dict[str, Any]]

    def deviations(self, paper_profile: Mapping[str, Any]) -> dict[str, Any]:
        """Parameters whose committed value differs from ``paper_profile`` (the spec's ``paper`` values)."""
        return _differences(self.provenance.get("parameters", {}), paper_profile)

    def scale(self, paper_profile: Mapping[str, Any] | None = None) -> str:
        """How the run was made, in one line: profile, device, wall time, commit, deviations."""
        prov = self.provenance
        minutes = float(prov.get("wall_time_s") or 0) / 60
        text = (f"committed `{prov.get('profile', '?')}`-profile run on {prov.get('device', 'an unknown device')}, "
                f"{minutes:.0f} min, commit {str(prov.get('git_commit', '?'))[:8]}, {prov.get('finished', '')[:10]}")
        devs = self.deviations(paper_profile or {}) if paper_profile else prov.get("overrides", {})
        if devs:
            text += "; differs from the paper profile in " + ", ".join(f"{k}={json.dumps(v)}" for k, v in devs.items())
        return text

    def table(self, name: str) -> pd.DataFrame:
        """A committed CSV table (``name`` without ``.csv``); a clear error when it is missing."""
        path = self.path / f"{name}.csv"
        if not path.is_file():
            have = sorted(p.stem for p in self.path.glob("*.csv"))
            raise FileNotFoundError(f"{path} is not committed; committed tables: {have}")
        return pd.read_csv(path)

    def verdicts(self, current: Iterable[Any] = ()) -> pd.DataFrame:
        """Claim by claim: the committed verdict and value beside the ``current`` claims (Claim objects or
        dicts, e.g. this notebook run's), matched by id; claims only one of the two runs made are listed too."""
        def as_dict(c: Any) -> dict[str, Any]:
            return c if isinstance(c, dict) else asdict(c)

        now = {as_dict(c)["id"]: as_dict(c) for c in current}
        committed = {c["id"]: c for c in self.claims}
        rows = []
        for cid in list(committed) + [i for i in now if i not in committed]:
            c = committed.get(cid, {})
            row = {"claim": cid, "paper value": c.get("paper_value", now.get(cid, {}).get("paper_value", "")),
                   "paper-profile measured": c.get("measured"),
                   "paper-profile verdict": c.get("verdict", "not run at this scale")}
            if now:
                other = now.get(cid, {})
                row.update({"this run measured": other.get("measured"), "this run verdict": other.get("verdict", "")})
            rows.append(row)
        return pd.DataFrame(rows)


def load_committed(notebook: str, root: Path | None = None) -> CommittedRun | None:
    """The committed paper-profile run of ``notebook``, or None when nothing is committed.

    Raises :class:`attrprior.compendium.claims.ClaimError` if a committed ``claims.json`` is unreadable or is not
    a paper-profile run of this notebook."""
    folder = committed_dir(notebook, root)
    if not (folder / CLAIMS_FILE).is_file():
        return None
    payload = load_claims(folder / CLAIMS_FILE)
    prov = payload["provenance"]
    if prov.get("notebook") != notebook or prov.get("profile") != "paper":
        raise ClaimError(f"{folder / CLAIMS_FILE} holds a {prov.get('profile')!r} run of {prov.get('notebook')!r}, "
                         f"not a paper-profile run of {notebook!r}")
    return CommittedRun(notebook, folder, prov, list(payload["claims"]))


def describe_committed(notebook: str, profile: str, paper_profile: Mapping[str, Any] | None = None,
                       root: Path | None = None) -> tuple[CommittedRun | None, str]:
    """The committed paper-profile run of ``notebook`` and what a chapter should say about it.

    ``profile`` is the profile of the run being shown: a paper-profile run is told that its own claims are the
    paper-scale ones. The text names the scale (device, wall time, commit, departures from ``paper_profile``)
    and any re-judging."""
    run = load_committed(notebook, root)
    if profile == "paper":
        return run, "This run is itself at the paper profile: its claims below are the paper-scale ones."
    if run is None:
        return None, (f"No paper-profile run of this notebook is committed yet: `make run NB={notebook} "
                      f"PROFILE=paper`, then copy its claims.json, meta.json and CSV tables to "
                      f"results/paper/{notebook}/.")
    lines = [run.scale(paper_profile)]
    note = run.provenance.get("rejudged")
    if note:
        lines.append(f"re-judged {note.get('on', '')} from the committed tables ({note.get('statistics', '')})".strip())
    return run, "\n".join(lines)


__all__ = ["CommittedRun", "committed_digest", "committed_dir", "describe_committed", "load_committed"]
