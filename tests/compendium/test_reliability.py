"""Bad input is refused before any work, by name; the shell never sees user values; runs do not collide."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attrprior.compendium import runner
from attrprior.compendium.params import ParameterError, Param, get_spec, parse_overrides, specs

ROOT = Path(__file__).resolve().parents[2]
ALL_PARAMS = [(spec.name, p) for spec in specs().values() for p in spec.params]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(ALL_PARAMS), text=st.text(max_size=40))
def test_any_text_parses_to_an_allowed_value_or_a_named_error(case, text):
    """Whatever a user types for any parameter of any notebook: a value the spec allows, or ParameterError
    naming the parameter — never another exception."""
    notebook, param = case
    try:
        value = param.parse(text)
    except ParameterError as err:
        assert f"'{param.name}'" in str(err)
        return
    assert param.check(value) == value  # allowed: checking again is a no-op


@settings(max_examples=200, deadline=None)
@given(case=st.sampled_from(ALL_PARAMS), data=st.data())
def test_allowed_values_round_trip(case, data):
    notebook, param = case
    value = data.draw(_values(param))
    try:
        value = param.check(value)
    except ParameterError:
        return  # the strategy is broader than the spec (e.g. duplicates)
    text = ",".join(map(_text, value)) if param.many else _text(value)
    assert param.parse(text) == value


def _text(v) -> str:
    return repr(v) if isinstance(v, float) else str(v)


def _scalar(param: Param):
    if param.choices is not None:
        return st.sampled_from(param.choices)
    if param.type is bool:
        return st.booleans()
    if param.type is int:
        return st.integers(int(param.low if param.low is not None else -10**6),
                           int(param.high if param.high is not None else 10**6))
    if param.type is float:
        return st.floats(param.low if param.low is not None else -1e6, param.high if param.high is not None else 1e6,
                         allow_nan=False, allow_infinity=False)
    return st.text(alphabet=st.characters(blacklist_characters=",", blacklist_categories=("Cs", "Zs", "Cc")),
                   min_size=1, max_size=8)


def _values(param: Param):
    return st.lists(_scalar(param), min_size=1, max_size=4, unique=True) if param.many else _scalar(param)


@pytest.mark.parametrize("pairs, needle", [
    (["seeds=0,0"], "more than once"),          # one model counted twice fakes significance
    (["n_examples="], "empty value"),
    (["n_examples=3", "n_examples=4"], "given more than once"),
])
def test_named_errors(pairs, needle):
    nb = "02_shap_loadings" if pairs[0].startswith("seeds") else "00_data"
    with pytest.raises(ParameterError, match=needle):
        parse_overrides(nb, pairs)


@pytest.mark.parametrize("text", ["inf", "-inf", "1e400", "nan"])
def test_non_finite_floats_are_refused(text):
    spec = get_spec("01")
    with pytest.raises(ParameterError, match="tv_lambdas"):
        spec.param("tv_lambdas").parse(text)


def test_ambiguous_prefix_lists_the_candidates():
    with pytest.raises(ParameterError, match="ambiguous notebook '03': 03a_attribution_benchmark, 03b"):
        get_spec("03")


def _make(*args: str, tmp: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), *args, "DRY=1"], capture_output=True,
                          text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp)})


@pytest.mark.parametrize("assignment", [
    "NB=00$(shell touch {m})", "PARAMS=merge_top=$(shell touch {m})", "NB=00'; touch {m}; echo '",
    "PROFILE=smoke; touch {m}", "PARAMS=merge_top=`touch {m}`", "PARAMS=merge_top=$$(touch {m})",
])
def test_make_run_never_runs_user_values(assignment, tmp_path):
    marker = tmp_path / "pwned"
    extra = [] if assignment.startswith("NB=") else ["NB=00"]
    result = _make("run", *extra, assignment.format(m=marker), tmp=tmp_path)
    assert not marker.exists(), result.stdout + result.stderr
    assert result.returncode != 0 and "error" in result.stderr


def test_build_dir_that_is_a_file_or_read_only(tmp_path):
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(ParameterError, match="not a folder"):
        runner.check_build_dir(afile)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if not _writable(ro):
            with pytest.raises(ParameterError, match="cannot write to the build folder"):
                runner.check_build_dir(ro)
    finally:
        ro.chmod(0o700)


def _writable(path: Path) -> bool:
    try:
        (path / ".probe").write_text("")
        (path / ".probe").unlink()
        return True
    except OSError:
        return False  # root ignores permission bits, so this case only runs as a normal user


def test_one_run_per_notebook_and_profile_and_stale_temps_removed(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / ".tmp-00_data-abc").mkdir()
    (runs / ".old-00_data-def").mkdir()
    (runs / ".tmp-01_other-xyz").mkdir()
    with runner.notebook_lock(runs, "00_data") as first:
        assert first
        script = ("import sys; from pathlib import Path; from attrprior.compendium import runner\n"
                  "with runner.notebook_lock(Path(sys.argv[1]), '00_data') as held: print(held)")
        out = subprocess.run([sys.executable, "-c", script, str(runs)], capture_output=True, text=True, timeout=60)
        assert out.stdout.strip() == "False"  # a second process is told the notebook is busy
        removed = runner.remove_stale_temps(runs, "00_data")
    assert sorted(p.name for p in removed) == [".old-00_data-def", ".tmp-00_data-abc"]
    assert (runs / ".tmp-01_other-xyz").is_dir()  # another notebook's folder is not touched


def test_failure_summary_names_the_cell_first():
    class CellError(Exception):
        ename, evalue, exec_count, source = "ValueError", "bad lambda", 7, "fit(model, lam)\nmore"

    text = runner.failure_summary(CellError("x" * 5000))
    assert text.startswith("cell [7] `fit(model, lam)` raised ValueError: bad lambda")
    assert len(text) < 2700


def test_environment_variables_are_checked_by_name(monkeypatch):
    from attrprior.compendium import environment

    monkeypatch.setenv("ATTRPRIOR_THREADS", "0")
    with pytest.raises(ParameterError, match="ATTRPRIOR_THREADS"):
        environment.prepare()
    monkeypatch.setenv("ATTRPRIOR_THREADS", "2")
    monkeypatch.setenv("ATTRPRIOR_DEVICE", "tpu")
    with pytest.raises(ParameterError, match="ATTRPRIOR_DEVICE"):
        environment.prepare()
    monkeypatch.setenv("ATTRPRIOR_DEVICE", "cpu")
    monkeypatch.setenv("ATTRPRIOR_DATA_DIR", "../shared/data")
    assert environment.prepare() == "cpu"
    assert Path(environment.os.environ["ATTRPRIOR_DATA_DIR"]).is_absolute()
