"""Every notebook's parameters, declared once, typed and range-checked.

Each notebook ``NN_name.ipynb`` has a paper subpackage ``attrprior.papers.nbNN_name`` whose
``spec.py`` defines ``SPEC = NotebookSpec(...)``. Subpackages are discovered automatically,
so adding a notebook means adding one subpackage, nothing else.

The notebook's papermill ``parameters`` cell lists ``profile`` plus each
parameter set to ``None`` ("take the profile's value"); its next cell calls
:func:`configure`, which fills in the profile, validates and returns a
:class:`Config`. The runner calls :func:`validate_overrides` before it starts
a kernel, so a bad parameter fails in well under a second, before any training.
"""
from __future__ import annotations

import importlib
import os
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

PROFILES: tuple[str, ...] = ("smoke", "default", "paper")
SEED_MAX = 2**32 - 1  # numpy's legacy seeding and torch accept seeds up to this; declare seeds with high=SEED_MAX
PROFILE_ENV = "ATTRPRIOR_PROFILE"
RESULTS_ENV = "ATTRPRIOR_RESULTS_DIR"


class ParameterError(ValueError):
    """A notebook parameter is unknown, of the wrong type or out of range."""


_TYPE_NAMES = {int: "int", float: "float", str: "str", bool: "bool"}


@dataclass(frozen=True)
class Param:
    """One notebook parameter.

    ``type`` is int, float, str or bool; ``many=True`` makes it a list of that
    type (given on the command line as ``a,b,c``). ``low``/``high`` bound numbers
    (inclusive), ``choices`` restricts values.
    """

    name: str
    type: type
    doc: str
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] | None = None
    many: bool = False

    def describe(self) -> str:
        kind = _TYPE_NAMES[self.type]
        kind = f"list of {kind}" if self.many else kind
        parts = [kind]
        if self.choices is not None:
            parts.append("one of " + ", ".join(map(repr, self.choices)))
        if self.low is not None or self.high is not None:
            lo = "-inf" if self.low is None else self.low
            hi = "inf" if self.high is None else self.high
            parts.append(f"in [{lo}, {hi}]")
        return "; ".join(parts)

    def parse(self, text: str) -> Any:
        """Convert a command-line string to this parameter's type, then check it."""
        if not isinstance(text, str):
            raise ParameterError(f"parameter '{self.name}': expected text, got {type(text).__name__}")
        items = [t.strip() for t in text.split(",")] if self.many else [text.strip()]
        if any(t == "" for t in items):
            raise ParameterError(f"parameter '{self.name}': empty value in {text!r} (expected {self.describe()})")
        try:
            values = [self._parse_one(t) for t in items]
        except (ValueError, OverflowError):
            raise ParameterError(
                f"parameter '{self.name}': cannot read {text!r} as {self.describe()}"
            ) from None
        return self.check(values if self.many else values[0])

    def _parse_one(self, token: str) -> Any:
        if self.type is bool:
            low = token.lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError(token)
        if self.type is int:
            return int(token)
        if self.type is float:
            return float(token)
        return token

    def check(self, value: Any) -> Any:
        """Return ``value`` (ints widened to float where declared) or raise ParameterError."""
        if self.many:
            if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
                raise ParameterError(
                    f"parameter '{self.name}' must be a {self.describe()}, got {type(value).__name__}"
                )
            if len(value) == 0:
                raise ParameterError(f"parameter '{self.name}' must not be empty ({self.describe()})")
            values = [self._check_one(v) for v in value]
            repeated = sorted({repr(v) for v in values if values.count(v) > 1})
            if repeated:  # e.g. seeds=0,0 would count one model twice and fake significance
                raise ParameterError(f"parameter '{self.name}' lists {', '.join(repeated)} more than once; "
                                     "each value may appear once")
            return values
        return self._check_one(value)

    def _check_one(self, value: Any) -> Any:
        ok = isinstance(value, self.type) and not (self.type is int and isinstance(value, bool))
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if not ok:
            raise ParameterError(
                f"parameter '{self.name}' must be {self.describe()}, "
                f"got {value!r} ({type(value).__name__})"
            )
        if self.type is float and value != value:  # NaN
            raise ParameterError(f"parameter '{self.name}' must not be NaN ({self.describe()})")
        if self.type is float and value in (float("inf"), float("-inf")):
            raise ParameterError(f"parameter '{self.name}' must be finite, got {value!r} ({self.describe()})")
        if self.choices is not None and value not in self.choices:
            raise ParameterError(f"parameter '{self.name}' = {value!r} is not allowed: {self.describe()}")
        if self.low is not None and value < self.low or self.high is not None and value > self.high:
            raise ParameterError(f"parameter '{self.name}' = {value!r} is out of range: {self.describe()}")
        return value


@dataclass(frozen=True)
class NotebookSpec:
    """A notebook's interface: its parameters and their value under each profile."""

    name: str
    title: str
    params: tuple[Param, ...]
    profiles: Mapping[str, Mapping[str, Any]]
    data: str = ""  # one line: which data the notebook uses

    def __post_init__(self) -> None:
        names = [p.name for p in self.params]
        if len(set(names)) != len(names) or "profile" in names:
            raise ValueError(f"{self.name}: duplicate or reserved parameter names in {names}")
        for prof in PROFILES:
            if prof not in self.profiles:
                raise ValueError(f"{self.name}: profile '{prof}' is not defined")
            values = self.profiles[prof]
            missing = set(names) - set(values)
            extra = set(values) - set(names)
            if missing or extra:
                raise ValueError(f"{self.name}/{prof}: missing {sorted(missing)}, unknown {sorted(extra)}")
            for p in self.params:
                p.check(values[p.name])

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        allowed = ", ".join(p.name for p in self.params)
        raise ParameterError(f"unknown parameter '{name}' for notebook {self.name}; allowed: profile, {allowed}")


@dataclass
class Config:
    """Resolved parameters of one notebook run: attribute access, plus provenance."""

    notebook: str
    profile: str
    values: dict[str, Any]
    overrides: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(f"{self.__dict__.get('notebook', '?')} has no parameter '{name}'")

    @property
    def results_dir(self) -> Path:
        """Where this run writes claims and metric files (set by the runner)."""
        env = os.environ.get(RESULTS_ENV)
        path = Path(env) if env else _build_root() / "interactive" / self.profile / self.notebook
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def store_dir(self) -> Path:
        """Where this notebook keeps finished jobs so that an interrupted run can resume
        (``build/store/<profile>/<notebook>``; see :mod:`attrprior.compendium.store`)."""
        return _build_root() / "store" / self.profile / self.notebook

    def as_dict(self) -> dict[str, Any]:
        return {"profile": self.profile, **self.values}


def _build_root() -> Path:
    """``<repo>/build`` when running from the repository (so notebooks run from notebooks/
    do not write into notebooks/build), else ``./build``."""
    root = Path(__file__).resolve().parents[3]
    return root / "build" if (root / "pyproject.toml").is_file() else Path("build")


def _discover() -> dict[str, NotebookSpec]:
    from attrprior import papers

    specs: dict[str, NotebookSpec] = {}
    for mod in pkgutil.iter_modules(papers.__path__):
        if not (mod.ispkg and mod.name.startswith("nb")):
            continue
        spec = importlib.import_module(f"{papers.__name__}.{mod.name}.spec").SPEC
        if f"nb{spec.name}" != mod.name:
            raise ValueError(f"attrprior.papers.{mod.name}: SPEC.name {spec.name!r} must match the package name")
        specs[spec.name] = spec
    return specs


_SPECS: dict[str, NotebookSpec] | None = None


def specs() -> dict[str, NotebookSpec]:
    """All notebook specs by name, e.g. ``'01_unsupervised_priors'``."""
    global _SPECS
    if _SPECS is None:
        _SPECS = _discover()
    return _SPECS


def get_spec(notebook: str) -> NotebookSpec:
    """Look a notebook up by full name or by unique prefix (``'01'``)."""
    table = specs()
    if notebook in table:
        return table[notebook]
    hits = sorted(n for n in table if n.startswith(notebook))
    if len(hits) == 1:
        return table[hits[0]]
    if hits:
        raise ParameterError(f"ambiguous notebook '{notebook}': {', '.join(hits)}; give more of the name")
    raise ParameterError(f"unknown notebook '{notebook}'; known: {', '.join(sorted(table))}")


def check_profile(profile: Any) -> str:
    if profile not in PROFILES:
        raise ParameterError(f"unknown profile {profile!r}; allowed: {', '.join(PROFILES)}")
    return profile


def validate_overrides(notebook: str, overrides: Mapping[str, Any], profile: str = "default") -> dict[str, Any]:
    """Check names, types and ranges of user overrides; raise ParameterError naming the culprit."""
    spec = get_spec(notebook)
    check_profile(profile)
    return {name: spec.param(name).check(value) for name, value in overrides.items()}


def parse_overrides(notebook: str, pairs: Iterable[str]) -> dict[str, Any]:
    """Parse ``key=value`` strings from the command line against the notebook's spec."""
    spec = get_spec(notebook)
    out: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise ParameterError(f"expected key=value, got {pair!r}")
        key, text = pair.split("=", 1)
        key = key.strip()
        if key in out:
            raise ParameterError(f"parameter '{key}' is given more than once")
        if key == "profile":
            out["profile"] = check_profile(text.strip())
            continue
        out[key] = spec.param(key).parse(text)
    return out


def configure(notebook: str, namespace: Mapping[str, Any]) -> Config:
    """Resolve a notebook's parameters from its ``parameters`` cell: ``cfg = configure("05_dapr", globals())``.

    Reads ``profile`` and exactly the spec's parameter names from ``namespace``; a name the cell does not
    define is an error (so no parameter can be dropped silently). ``None`` means "the profile's value".
    ``ATTRPRIOR_PROFILE`` in the environment forces the profile (nbval in CI uses it).
    """
    spec = get_spec(notebook)
    missing = [p.name for p in spec.params if p.name not in namespace]
    if "profile" not in namespace:
        missing.insert(0, "profile")
    if missing:
        raise ParameterError(f"notebook {spec.name}: its parameters cell does not define {', '.join(missing)}")
    profile = check_profile(os.environ.get(PROFILE_ENV) or namespace["profile"])
    given = {p.name: namespace[p.name] for p in spec.params if namespace[p.name] is not None}
    overrides = validate_overrides(spec.name, given, profile)
    values = {**spec.profiles[profile], **overrides}
    values = {k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in values.items()}
    return Config(notebook=spec.name, profile=profile, values=values, overrides=overrides)
