"""The command line of the compendium's runner.

    python -m attrprior.run [NB ...] [--profile smoke|default|paper] [-p key=value ...] [--force] [--dry-run]

``NB`` is a notebook name or unique prefix (``00`` = ``00_data``); none means every ``notebooks/*.ipynb``.
Parameters are checked against the notebooks' specs before any kernel starts; ``--dry-run`` prints, per
notebook, whether it would execute and which part of its cache key changed, and runs nothing.
The engine is :mod:`attrprior.compendium.runner`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from attrprior.compendium import environment
from attrprior.compendium.params import PROFILES, NotebookSpec, ParameterError
from attrprior.compendium.runner import KERNEL_NAME, check_build_dir, default_build_dir, plan, run_all, staleness

def _check_kernel(kernel_name: str) -> None:
    """Warn when the kernel would not run this interpreter (a stale user-level kernelspec)."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        argv0 = KernelSpecManager().get_kernel_spec(kernel_name).argv[0]
    except Exception as err:  # noqa: BLE001 - report, papermill will fail clearly if it matters
        print(f"warning: kernel {kernel_name!r} not found ({err}); run `make install`", file=sys.stderr)
        return
    if argv0 not in ("python", "python3") and Path(argv0).resolve() != Path(sys.executable).resolve():
        print(f"warning: kernel {kernel_name!r} runs {argv0}, not {sys.executable}", file=sys.stderr)


def _describe(spec: NotebookSpec) -> str:
    lines = [f"{spec.name}: {spec.title}"]
    for p in spec.params:
        vals = ", ".join(f"{prof}={spec.profiles[prof][p.name]!r}" for prof in PROFILES)
        lines.append(f"  {p.name} ({p.describe()}): {p.doc}  [{vals}]")
    return "\n".join(lines)


def check_data() -> None:
    """One clear message when shipped data are missing or corrupt, instead of a failure in every notebook."""
    from attrprior.core.data import data_dir, manifest_files, verify_all

    bad = [rel for rel, ok in verify_all().items() if not ok]
    if bad:
        folder = data_dir()
        what = "is missing" if not folder.is_dir() else f"lacks or has corrupt copies of {len(bad)} file(s)"
        files = manifest_files()
        lines = [f"  {rel}: {files[rel].get('obtain') or files[rel].get('source', '')}" for rel in bad[:12]]
        raise ParameterError(f"the shipped data folder {folder} {what}:\n" + "\n".join(lines)
                             + "\nSet ATTRPRIOR_DATA_DIR to the folder holding them (see data/manifest.json).")


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point (``python -m attrprior.run`` / ``attrprior-run``)."""
    ap = argparse.ArgumentParser(prog="attrprior-run", description=__doc__.split("\n\n")[0].strip())
    ap.add_argument("notebooks", nargs="*", metavar="NB", help="notebook names or prefixes (default: all)")
    ap.add_argument("--profile", default="default", help=f"one of {', '.join(PROFILES)} (default: default)")
    ap.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                    help="override a parameter; lists as a,b,c; repeatable")
    ap.add_argument("--params", default="", metavar="'K=V K=V'",
                    help="several overrides in one string, separated by spaces (what `make run PARAMS=...` passes)")
    ap.add_argument("--check-data", action="store_true", help="only check the shipped data files, then exit")
    ap.add_argument("--force", action="store_true", help="execute even if the cache says unchanged")
    ap.add_argument("--list", action="store_true", help="list notebooks with their parameters and exit")
    ap.add_argument("--dry-run", action="store_true",
                    help="print whether each notebook would execute and why (which part of its key changed)")
    ap.add_argument("--no-progress", action="store_true", help="no progress bars")
    ap.add_argument("--build-dir", type=Path, default=None, help="default: <repo>/build")
    args = ap.parse_args(argv)
    try:
        if args.check_data:
            check_data()
            print("attrprior-run: every shipped data file is present and matches its checksum")
            return 0
        pairs = [*args.param, *args.params.split()]
        jobs = plan(args.notebooks, args.profile, pairs)
        device = environment.prepare() if not args.list else "cpu"
        if not args.list:
            check_data()
        build_dir = check_build_dir(args.build_dir or default_build_dir()) if not (args.list or args.dry_run) \
            else args.build_dir
    except ParameterError as err:
        print(f"attrprior-run: error: {err}", file=sys.stderr)
        return 2
    if args.list:
        print("\n\n".join(_describe(j.spec) for j in jobs))
        return 0
    if args.dry_run:
        from attrprior.core.data import data_checksums

        checksums = data_checksums()
        states = [staleness(j, build_dir, args.force, checksums=checksums, device=device)[0] for j in jobs]
        print("\n".join(s.describe() for s in states))
        print(f"attrprior-run [{args.profile}]: {sum(s.execute for s in states)} of {len(states)} would execute")
        return 0
    _check_kernel(KERNEL_NAME)
    try:
        results = run_all(jobs, build_dir, args.force, KERNEL_NAME, not args.no_progress, device)
    except KeyboardInterrupt:
        print("attrprior-run: interrupted; the unfinished run was discarded, earlier results kept", file=sys.stderr)
        return 130
    failed = [r for r in results if r.status in ("failed", "busy")]
    summary = ", ".join(f"{r.name}: {r.status}" for r in results)
    print(f"attrprior-run [{args.profile}]: {summary}")
    if failed:
        print(f"attrprior-run: {len(failed)} notebook(s) failed or were busy: "
              f"{', '.join(r.name for r in failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
