"""Record a notebook's claims as machine-readable JSON with provenance.

A notebook creates one :class:`ClaimRecorder` from its :class:`~attrprior.compendium.params.Config`,
calls :meth:`ClaimRecorder.add` once per claim and :meth:`ClaimRecorder.save` at the end.
The book's scoreboard is built from every ``claims.json`` these write.
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

VERDICTS = ("reproduced", "partly reproduced", "not reproduced", "not tested")
CLAIMS_FILE = "claims.json"
_PACKAGES = ("torch", "torchvision", "numpy", "scipy", "scikit-learn", "captum", "shap", "gseapy", "pandas")


class ClaimError(ValueError):
    """A claim is incomplete or malformed."""


@dataclass
class Claim:
    id: str
    statement: str
    paper_value: str
    measured: float | str
    verdict: str
    spread: float | None = None
    spread_kind: str = ""  # "sd", "se", "IQR", "95% CI" ...
    unit: str = ""
    seeds: list[int] = field(default_factory=list)
    test: str = ""
    p_value: float | None = None
    statistic: float | None = None
    reason: str = ""
    data: str = ""
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


class ClaimRecorder:
    """Collects claims of one notebook run and writes them atomically."""

    def __init__(self, cfg: Config, paper: str, data: str = "") -> None:
        self.cfg = cfg
        self.paper = paper
        self.data = data
        self.claims: list[Claim] = []
        self._start = time.time()
        self._commit = _git_commit()  # the code this run started from, not whatever HEAD is when it ends
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
        spread: float | None = None,
        spread_kind: str = "",
        seeds: Sequence[int] = (),
        test: str = "",
        p_value: float | None = None,
        statistic: float | None = None,
        reason: str = "",
        data: str = "",
        section: str = "",
        unit: str = "",
        **extra: Any,
    ) -> Claim:
        """Add one claim. ``verdict`` must be one of :data:`VERDICTS`; a verdict other
        than 'reproduced' needs a ``reason``."""
        if not id or not statement:
            raise ClaimError("a claim needs an id and a statement")
        if any(c.id == id for c in self.claims):
            raise ClaimError(f"duplicate claim id {id!r}")
        if verdict not in VERDICTS:
            raise ClaimError(f"verdict {verdict!r} is not one of {VERDICTS}")
        if verdict != "reproduced" and not reason:
            raise ClaimError(f"claim {id!r}: verdict {verdict!r} needs a reason")
        if not isinstance(measured, str):
            value = _finite_or_none(measured, "measured")
            if value is None:
                raise ClaimError(f"claim {id!r}: measured value is not finite ({measured!r})")
            measured = value
        claim = Claim(
            id=id, statement=statement, paper_value=str(paper_value), measured=measured,
            verdict=verdict, spread=_finite_or_none(spread, "spread"), spread_kind=spread_kind,
            unit=unit, seeds=[int(s) for s in seeds], test=test,
            p_value=_finite_or_none(p_value, "p_value"), statistic=_finite_or_none(statistic, "statistic"),
            reason=reason, data=data or self.data, section=section,
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
            "git_commit": self._commit,
            "packages": _package_versions(),
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

        cols = ["id", "paper_value", "measured", "spread", "test", "p_value", "verdict", "reason"]
        return pd.DataFrame([asdict(c) for c in self.claims])[cols] if self.claims else pd.DataFrame(columns=cols)


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


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=5, cwd=Path(__file__).resolve().parent)
        commit = out.stdout.strip() or "unknown"
        return commit + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _package_versions() -> dict[str, str]:
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
