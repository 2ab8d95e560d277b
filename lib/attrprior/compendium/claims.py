"""Record a notebook's claims as machine-readable JSON with provenance.

A notebook creates one :class:`ClaimRecorder` from its :class:`~attrprior.compendium.params.Config`,
calls :meth:`ClaimRecorder.add` once per claim and :meth:`ClaimRecorder.save` at the end.
The book's scoreboard is built from every ``claims.json`` these write.

Every claim says what it is (:data:`KINDS`: a claim the *paper* makes, our *extension*, or a data/software
*check*), where its paper value comes from (a :class:`Source`: the paper's text, a table, a figure read off,
the reference code's results, or nowhere in the paper), what it ran on (:data:`DATA_KINDS`: real data, a
*stand-in* — real inputs with a simulated outcome — or fully simulated data) and, when a test decides it, its
statistics in one :class:`~attrprior.compendium.verdicts.Evidence` record with a confidence interval or a power.
"""
from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Sequence

from attrprior.compendium.atomic import write_atomic
from attrprior.compendium.params import Config
from attrprior.compendium.verdicts import ALPHA, VERDICTS, Evidence, gate

CLAIMS_FILE = "claims.json"
KINDS = ("paper", "extension", "check")
SOURCE_KINDS = ("paper text", "paper table", "paper figure", "reference code", "not in the paper")
DATA_KINDS = ("real", "stand-in", "simulated")
_PACKAGES = ("torch", "torchvision", "numpy", "scipy", "scikit-learn", "statsmodels", "captum", "shap", "gseapy",
             "pandas")


class ClaimError(ValueError):
    """A claim is incomplete or malformed."""


@dataclass(frozen=True)
class Source:
    """Where a claim's paper value comes from: ``kind`` is one of :data:`SOURCE_KINDS`, ``where`` the section,
    figure or table (or, for the reference code, which results)."""

    kind: str
    where: str = ""

    def __post_init__(self) -> None:
        if self.kind not in SOURCE_KINDS:
            raise ClaimError(f"source kind {self.kind!r} is not one of {SOURCE_KINDS}")
        if self.kind != "not in the paper" and not self.where:
            raise ClaimError(f"a '{self.kind}' source must say where (section, figure, table or file)")

    def __str__(self) -> str:
        return f"{self.kind}, {self.where}" if self.where else self.kind


def paper_text(where: str) -> Source:
    """The paper's text states the value (``where``: section, e.g. "§4.1")."""
    return Source("paper text", where)


def paper_table(where: str) -> Source:
    return Source("paper table", where)


def paper_figure(where: str) -> Source:
    """A value read off a figure of the paper (approximate by nature)."""
    return Source("paper figure", where)


def reference_code(where: str) -> Source:
    """The authors' published code or its results, not the paper's text."""
    return Source("reference code", where)


NOT_IN_PAPER = Source("not in the paper")


@dataclass
class Claim:
    id: str
    statement: str
    kind: str  # paper | extension | check
    paper_value: str
    source_kind: str
    source: str
    measured: float | str
    verdict: str
    data_kind: str  # real | stand-in | simulated
    data: str = ""
    reason: str = ""
    unit: str = ""
    seeds: list[int] = field(default_factory=list)
    evidence: dict[str, Any] | None = None
    scale: str = ""
    section: str = ""  # anchor in the notebook, for the scoreboard link
    extra: dict[str, Any] = field(default_factory=dict)


def _finite_or_none(x: Any, name: str) -> float | None:
    if x is None:
        return None
    try:
        value = float(x)
    except (TypeError, ValueError):
        raise ClaimError(f"{name} must be a number, got {x!r}") from None
    return value if math.isfinite(value) else None


def _alpha(cfg: Config, alpha: float | None) -> float:
    """The recorder's significance level: ``alpha`` if given, else the notebook's ``alpha`` parameter, else ALPHA."""
    value = alpha if alpha is not None else cfg.values.get("alpha")
    if value is None:
        return ALPHA
    level = _finite_or_none(value, "alpha")
    if level is None or not 0 < level < 1:
        raise ClaimError(f"the claims' significance level alpha must lie in (0, 1), got {value!r}")
    return level


class ClaimRecorder:
    """Collects the claims of one notebook run and writes them atomically.

    ``data_kind`` and ``data`` describe what the run ran on (a claim may override them); ``scale`` is one line
    saying how big the run is (seeds, epochs, data size), added to the reason of every verdict short of
    *reproduced* at a profile other than ``paper``, so a reader sees at once what a weak verdict rests on.
    ``alpha`` is the significance level the inconclusive rule gates at: the notebook's own ``alpha`` parameter
    when it has one (notebook 03c judges at the paper's 1e-4), else :data:`~attrprior.compendium.verdicts.ALPHA`.
    """

    def __init__(self, cfg: Config, paper: str, data: str = "", data_kind: str = "", scale: str = "",
                 alpha: float | None = None) -> None:
        self.cfg = cfg
        self.alpha = _alpha(cfg, alpha)
        self.paper = paper
        self.data = data
        self.data_kind = data_kind
        self.scale = scale
        self.claims: list[Claim] = []
        self._start = time.time()
        self._commit = git_commit()  # the code this run started from, not whatever HEAD is when it ends
        self.data_checksums: dict[str, str] = {}

    def note_data(self, name: str, sha256: str) -> None:
        """Record a data file's checksum in the provenance."""
        self.data_checksums[name] = sha256

    def add(
        self,
        id: str,
        statement: str,
        paper_value: str,
        measured: float | str,
        verdict: str,
        *,
        kind: str,
        source: Source,
        evidence: Evidence | None = None,
        reason: str = "",
        data_kind: str = "",
        data: str = "",
        seeds: Sequence[int] = (),
        section: str = "",
        unit: str = "",
        **extra: Any,
    ) -> Claim:
        """Add one claim. The verdict passes through :func:`attrprior.compendium.verdicts.gate` (the
        inconclusive rule) when the claim carries ``evidence``; a verdict other than 'reproduced' needs a reason."""
        if not id or not statement:
            raise ClaimError("a claim needs an id and a statement")
        if any(c.id == id for c in self.claims):
            raise ClaimError(f"duplicate claim id {id!r}")
        if verdict not in VERDICTS:
            raise ClaimError(f"claim {id!r}: verdict {verdict!r} is not one of {VERDICTS}")
        if kind not in KINDS:
            raise ClaimError(f"claim {id!r}: kind {kind!r} is not one of {KINDS}")
        if not isinstance(source, Source):
            raise ClaimError(f"claim {id!r}: source must be a claims.Source (paper_text(...), ...), got {source!r}")
        if kind == "paper" and source.kind == "not in the paper":
            raise ClaimError(f"claim {id!r}: a paper claim must say where the paper makes it")
        data_kind = data_kind or self.data_kind
        if data_kind not in DATA_KINDS:
            raise ClaimError(f"claim {id!r}: data kind {data_kind!r} is not one of {DATA_KINDS} "
                             "(set it on the recorder or the claim)")
        if extra.keys() & {"p_value", "statistic", "test", "spread", "spread_kind"}:
            raise ClaimError(f"claim {id!r}: test statistics go in evidence=Evidence(...), not keyword arguments")
        if evidence is not None and not isinstance(evidence, Evidence):
            raise ClaimError(f"claim {id!r}: evidence must be a verdicts.Evidence")
        if evidence is not None and evidence.ci is None and evidence.power is None and verdict != "not tested":
            raise ClaimError(f"claim {id!r}: a statistical claim needs a confidence interval or a power in its evidence")
        verdict, reason = gate(verdict, reason, evidence, self.alpha)
        if verdict != "reproduced" and not reason:
            raise ClaimError(f"claim {id!r}: verdict {verdict!r} needs a reason")
        if not isinstance(measured, str):
            value = _finite_or_none(measured, "measured")
            if value is None:
                raise ClaimError(f"claim {id!r}: measured value is not finite ({measured!r})")
            measured = value
        scale = self.scale if self.cfg.profile != "paper" else ""
        if verdict not in ("reproduced", "not tested") and self.cfg.profile != "paper":
            reason = f"{reason.rstrip()} [{self.cfg.profile} profile{': ' + self.scale if self.scale else ''}]"
        claim = Claim(
            id=id, statement=statement, kind=kind, paper_value=str(paper_value), source_kind=source.kind,
            source=source.where, measured=measured, verdict=verdict, data_kind=data_kind, data=data or self.data,
            reason=reason, unit=unit, seeds=[int(s) for s in seeds],
            evidence=evidence.to_dict() if evidence is not None else None, scale=scale, section=section,
            extra={k: _jsonable(v) for k, v in extra.items()},
        )
        self.claims.append(claim)
        return claim

    def provenance(self) -> dict[str, Any]:
        return {
            "notebook": self.cfg.notebook,
            "paper": self.paper,
            "profile": self.cfg.profile,
            "parameters": _jsonable(self.cfg.as_dict()),
            "overrides": _jsonable(self.cfg.overrides),
            "alpha": self.alpha,
            "data_kind": self.data_kind,
            "scale": self.scale,
            "git_commit": self._commit,
            "packages": package_versions(),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "device": _device(),
            "data_checksums": dict(self.data_checksums),
            "wall_time_s": round(time.time() - self._start, 2),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }

    def save(self, directory: Path | None = None) -> Path:
        """Write ``claims.json`` (temp file + rename) and return its path."""
        directory = Path(directory) if directory is not None else self.cfg.results_dir
        payload = {"provenance": self.provenance(), "claims": [asdict(c) for c in self.claims]}
        return write_json_atomic(directory / CLAIMS_FILE, payload)

    def table(self):
        """The claims as a pandas DataFrame, for display in the notebook."""
        import pandas as pd

        cols = ["id", "kind", "paper_value", "measured", "verdict", "reason"]
        rows = [{**asdict(c), "measured": _measured(c)} for c in self.claims]
        return pd.DataFrame(rows)[cols] if rows else pd.DataFrame(columns=cols)


def _measured(claim: Claim) -> str:
    """``measured unit (test, p = …, power …)`` for the notebook's claims table."""
    text = f"{claim.measured:.4g}" if isinstance(claim.measured, float) else str(claim.measured)
    text += f" {claim.unit}" if claim.unit else ""
    ev = claim.evidence
    if ev:
        parts = [f"n = {ev['n']}"]
        if ev.get("p_value") is not None:
            parts.append(f"p = {ev['p_value']:.2g}")
        if ev.get("ci"):
            parts.append(f"CI [{ev['ci'][0]:.3g}, {ev['ci'][1]:.3g}]")
        if ev.get("power") is not None:
            parts.append(f"power {ev['power']:.0%}")
        text += " (" + ", ".join(parts) + ")"
    return text


def write_json_atomic(path: Path, payload: Any) -> Path:
    """Write JSON to ``path`` through a temp file in the same folder and an atomic rename."""
    return write_atomic(path, lambda fh: json.dump(_jsonable(payload), fh, indent=2, allow_nan=False))


def load_claims(path: Path) -> dict[str, Any]:
    """Read a ``claims.json``; raise ClaimError if it is not one."""
    try:
        payload = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ClaimError(f"cannot read claims file {path}: {err}") from None
    if not isinstance(payload, dict) or "claims" not in payload or "provenance" not in payload:
        raise ClaimError(f"{path} is not a claims file (needs 'claims' and 'provenance')")
    return payload


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if hasattr(x, "item") and callable(x.item) and getattr(x, "ndim", 1) == 0:
        x = x.item()
    elif hasattr(x, "tolist") and callable(x.tolist) and getattr(x, "ndim", 0) > 0:  # numpy / torch arrays
        return _jsonable(x.tolist())
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, (str, int, float, bool)) or x is None:
        return x
    if isinstance(x, Path):
        return str(x)
    return repr(x)


def git_commit() -> str:
    """The checked-out commit, with "+dirty" when tracked files differ from it."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=5, cwd=Path(__file__).resolve().parent)
        commit = out.stdout.strip() or "unknown"
        return commit + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def package_versions() -> dict[str, str]:
    """Versions of the packages that shape results."""
    out = {}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def _device() -> str:
    try:
        import torch

        if torch.cuda.is_available():
            return f"cuda: {torch.cuda.get_device_name(0)}"
        return f"cpu ({os.cpu_count()} cores, {torch.get_num_threads()} torch threads)"
    except Exception:  # torch missing: still record something honest
        return f"cpu ({os.cpu_count()} cores)"
