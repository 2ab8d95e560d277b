"""The notebook runner: validated parameters, a content cache and atomic outputs (papermill underneath).

The command line is :mod:`attrprior.run`. All parameters are checked against the notebooks' specs
(:mod:`attrprior.compendium.params`) before any kernel starts. A run executes into a temp
folder under ``build/runs/<profile>/`` with ``$ATTRPRIOR_RESULTS_DIR`` pointing there,
and is renamed to ``build/runs/<profile>/<nb>/`` only when it succeeds; a failed or
interrupted run leaves the previous result untouched. An unchanged run (see
:mod:`attrprior.compendium.cache`) is skipped and reported as ``cached``.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from attrprior.compendium import cache
from attrprior.compendium.params import (PROFILE_ENV, PROFILES, RESULTS_ENV, NotebookSpec, ParameterError, check_profile,
                          get_spec, parse_overrides, validate_overrides)

META_FILE = "meta.json"
KERNEL_NAME = "python3"


def _root() -> Path:
    from attrprior.core.data import repo_root

    return repo_root()


def default_notebooks_dir() -> Path:
    """``<repo>/notebooks``."""
    return _root() / "notebooks"


def default_build_dir() -> Path:
    """``<repo>/build``."""
    return _root() / "build"


@dataclass
class Job:
    """One validated notebook run, ready to execute."""

    spec: NotebookSpec
    path: Path
    profile: str
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def params(self) -> dict[str, Any]:
        """Resolved parameter values: the profile's, overridden by the user's."""
        return {**self.spec.profiles[self.profile], **self.overrides}


@dataclass
class RunResult:
    """What happened to one job: ``status`` is 'executed', 'cached', 'failed' or 'busy' (another process had it)."""

    name: str
    profile: str
    status: str
    out_dir: Path
    wall_s: float = 0.0
    error: str = ""


def find_notebooks(notebooks_dir: Path) -> list[Path]:
    """Every ``NN_name.ipynb`` in ``notebooks_dir``, sorted."""
    return sorted(p for p in Path(notebooks_dir).glob("*.ipynb") if not p.name.startswith((".", "_")))


def plan(
    names: Sequence[str],
    profile: str = "default",
    pairs: Sequence[str] = (),
    notebooks_dir: Path | None = None,
) -> list[Job]:
    """Resolve notebook names and ``key=value`` overrides into jobs; raise ParameterError on anything wrong.

    Nothing is executed here, so a bad parameter fails in well under a second.
    """
    notebooks_dir = Path(notebooks_dir) if notebooks_dir is not None else default_notebooks_dir()
    check_profile(profile)
    if names:
        specs = [get_spec(n) for n in names]
    else:
        paths = find_notebooks(notebooks_dir)
        if not paths:
            raise ParameterError(f"no notebooks found in {notebooks_dir}")
        specs = []
        for p in paths:
            try:
                specs.append(get_spec(p.stem))
            except ParameterError:
                raise ParameterError(f"notebook {p.name} has no spec: add lib/attrprior/papers/nb{p.stem}/spec.py "
                                     f"defining SPEC = NotebookSpec(name='{p.stem}', ...)") from None
    jobs = []
    for spec in specs:
        overrides = parse_overrides(spec.name, pairs)
        job_profile = check_profile(overrides.pop("profile", profile))
        overrides = validate_overrides(spec.name, overrides, job_profile)
        path = notebooks_dir / f"{spec.name}.ipynb"
        if not path.is_file():
            raise ParameterError(f"notebook {spec.name}: file {path} does not exist")
        jobs.append(Job(spec=spec, path=path, profile=job_profile, overrides=overrides))
    return jobs


def read_meta(out_dir: Path) -> dict[str, Any] | None:
    """The ``meta.json`` of a finished run, or None."""
    try:
        return json.loads((Path(out_dir) / META_FILE).read_text())
    except (OSError, json.JSONDecodeError):
        return None


@contextmanager
def _env(**values: str) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _install(tmp: Path, final: Path) -> None:
    """Move a finished temp folder into place; the old result is removed only after the rename."""
    trash = None
    if final.exists():
        trash = final.with_name(f".old-{final.name}-{uuid.uuid4().hex[:8]}")
        os.rename(final, trash)
    os.rename(tmp, final)
    if trash is not None:
        shutil.rmtree(trash, ignore_errors=True)


def _execute(job: Job, output: Path, kernel_name: str, progress: bool) -> None:
    import papermill as pm

    pm.execute_notebook(
        str(job.path), str(output), parameters={"profile": job.profile, **job.overrides},
        kernel_name=kernel_name, progress_bar=progress, cwd=str(job.path.parent),
    )


@dataclass
class Staleness:
    """Whether a job would execute, and why: ``reasons`` names the changed key parts (see :mod:`.cache`)."""

    name: str
    profile: str
    execute: bool
    reasons: list[str]
    out_dir: Path

    def describe(self) -> str:
        verdict = "would execute" if self.execute else "cached"
        why = f" — {'; '.join(self.reasons)}" if self.reasons else ""
        return f"{self.name} [{self.profile}]: {verdict}{why}"


def staleness(
    job: Job,
    build_dir: Path | None = None,
    force: bool = False,
    lib_root: Path = cache.LIB_ROOT,
    checksums: Mapping[str, str] | None = None,
    device: str = "cpu",
) -> tuple[Staleness, dict[str, str]]:
    """Decide, without executing anything, whether ``job`` would run; also return its key parts."""
    build_dir = Path(build_dir) if build_dir is not None else default_build_dir()
    final = build_dir / "runs" / job.profile / job.name
    parts = cache.key_parts(job.path, job.profile, job.params, lib_root, checksums, device)
    meta = read_meta(final)
    if meta is None or not (final / f"{job.name}.ipynb").is_file():
        reasons = ["no previous run"]
    elif meta.get("cache_key") == cache.combine(parts):
        reasons = []
    else:
        changed = cache.changed_parts(meta.get("key_parts"), parts)
        reasons = [f"{cache.PART_LABELS.get(n, n)} changed" for n in changed] or ["cache key changed"]
    if force:
        reasons = ["--force", *reasons]
    return Staleness(job.name, job.profile, bool(reasons), reasons, final), parts


def run_job(
    job: Job,
    build_dir: Path | None = None,
    force: bool = False,
    kernel_name: str = KERNEL_NAME,
    progress: bool = True,
    lib_root: Path = cache.LIB_ROOT,
    checksums: Mapping[str, str] | None = None,
    log=print,
    device: str = "cpu",
) -> RunResult:
    """Execute one job unless its cache key is unchanged. Failures return status 'failed'; a notebook and
    profile already being run by another process return 'busy'. KeyboardInterrupt is re-raised, after the temp
    folder is removed."""
    build_dir = Path(build_dir) if build_dir is not None else default_build_dir()
    runs = build_dir / "runs" / job.profile
    final = runs / job.name
    runs.mkdir(parents=True, exist_ok=True)
    with notebook_lock(runs, job.name) as held:
        if not held:
            log(f"{job.name} [{job.profile}]: another process is running this notebook at this profile; "
                "not started (its result will be the one kept)")
            return RunResult(job.name, job.profile, "busy", final)
        remove_stale_temps(runs, job.name)
        return _run_locked(job, build_dir, runs, final, force, kernel_name, progress, lib_root, checksums, log,
                           device)


@contextmanager
def notebook_lock(runs: Path, name: str) -> Iterator[bool]:
    """An exclusive, non-blocking lock on ``runs/.<name>.lock``; yields whether it was taken. The lock dies
    with its process, so a killed run never leaves it held."""
    import fcntl

    with open(runs / f".{name}.lock", "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def remove_stale_temps(runs: Path, name: str) -> list[Path]:
    """Remove temp and trash folders of ``name`` left by a killed run (call with the notebook's lock held)."""
    stale = [p for pattern in (f".tmp-{name}-*", f".old-{name}-*") for p in runs.glob(pattern) if p.is_dir()]
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    return stale


def check_build_dir(build_dir: Path) -> Path:
    """Refuse, with a clear message, a build folder that is a file or cannot be written to."""
    build_dir = Path(build_dir)
    if build_dir.exists() and not build_dir.is_dir():
        raise ParameterError(f"build folder {build_dir} exists and is not a folder; pass --build-dir <folder>")
    try:
        build_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=build_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise ParameterError(f"cannot write to the build folder {build_dir} ({err.strerror or err}); "
                             "fix its permissions or pass --build-dir <writable folder>") from None
    return build_dir


def failure_summary(err: BaseException, limit: int = 2000) -> str:
    """What failed, first: the notebook cell and its error (papermill's), then the tail of the message."""
    head = ""
    if getattr(err, "ename", None):
        source = (getattr(err, "source", "") or "").strip().splitlines()
        first = f" `{source[0][:80]}`" if source else ""
        head = f"cell [{getattr(err, 'exec_count', '?')}]{first} raised {err.ename}: {str(err.evalue)[:500]}"
    msg = f"{type(err).__name__}: {err}".strip()
    tail = msg if len(msg) <= limit else "…" + msg[-limit:]
    return f"{head}\n{tail}" if head else tail


def _run_locked(job: Job, build_dir: Path, runs: Path, final: Path, force: bool, kernel_name: str, progress: bool,
                lib_root: Path, checksums: Mapping[str, str] | None, log, device: str) -> RunResult:
    state, parts = staleness(job, build_dir, force, lib_root, checksums, device)
    key = cache.combine(parts)
    if not state.execute:
        log(f"{job.name} [{job.profile}]: cached ({final})")
        return RunResult(job.name, job.profile, "cached", final, (read_meta(final) or {}).get("wall_s", 0.0))
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{job.name}-", dir=runs))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; the result folder should be readable like any other
    output = tmp / f"{job.name}.ipynb"
    started = time.time()
    log(f"{job.name} [{job.profile}]: executing {job.path.name} with {job.overrides or 'profile defaults'}")
    try:
        with _env(**{RESULTS_ENV: str(tmp), PROFILE_ENV: job.profile}):
            _execute(job, output, kernel_name, progress)
        wall = round(time.time() - started, 2)
        meta = {
            "notebook": job.name, "profile": job.profile, "parameters": job.params, "overrides": job.overrides,
            "cache_key": key, "key_parts": parts, "wall_s": wall,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "python": sys.version.split()[0],
            "kernel": kernel_name,
        }
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2, default=repr))
        _install(tmp, final)
    except BaseException as err:
        failed = build_dir / "failed" / job.profile / f"{job.name}.ipynb"
        if output.is_file():
            failed.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(output, failed)
        shutil.rmtree(tmp, ignore_errors=True)
        if not isinstance(err, Exception):  # KeyboardInterrupt, SystemExit
            raise
        msg = failure_summary(err)
        where = f"; executed copy at {failed}" if failed.is_file() else ""
        log(f"{job.name} [{job.profile}]: FAILED — {msg}{where}; previous result (if any) kept")
        return RunResult(job.name, job.profile, "failed", final, round(time.time() - started, 2),
                         f"{type(err).__name__}: {err}")
    log(f"{job.name} [{job.profile}]: executed in {wall:.1f} s -> {final}")
    return RunResult(job.name, job.profile, "executed", final, wall)


def run_all(jobs: Sequence[Job], build_dir: Path | None = None, force: bool = False,
            kernel_name: str = KERNEL_NAME, progress: bool = True, device: str = "cpu") -> list[RunResult]:
    """Run jobs in order with a progress bar across notebooks; keep going after a failure."""
    from tqdm.auto import tqdm

    from attrprior.core.data import data_checksums

    checksums = data_checksums()  # hash the data once for all jobs
    results = []
    bar = tqdm(jobs, desc="notebooks", unit="nb", disable=not progress or len(jobs) < 2, file=sys.stderr)
    for job in bar:
        bar.set_postfix_str(job.name)
        results.append(run_job(job, build_dir, force, kernel_name, progress, checksums=checksums, log=tqdm.write,
                               device=device))
    return results
