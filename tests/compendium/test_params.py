"""Parameter validation: every bad input raises ParameterError naming the parameter, before any kernel."""
from __future__ import annotations

import math
import subprocess
import sys
import time

import pytest

from tests.conftest import cell_namespace
from attrprior.compendium.params import ParameterError, configure, get_spec, parse_overrides, specs, validate_overrides


def test_all_specs_are_consistent():
    assert "00_data" in specs()
    for spec in specs().values():
        for profile in ("smoke", "default", "paper"):
            cfg = configure(spec.name, cell_namespace(spec.name, profile))
            assert set(cfg.values) == {p.name for p in spec.params}


@pytest.mark.parametrize("pairs, needle", [
    (["bogus=1"], "bogus"),                    # unknown name
    (["n_examples=abc"], "n_examples"),        # wrong type
    (["n_examples=2.5"], "n_examples"),        # float for int
    (["n_examples=0"], "n_examples"),          # below range
    (["merge_top=100000"], "merge_top"),       # above range
    (["nhanes_horizon=nan"], "nhanes_horizon"),  # NaN
    (["nhanes_horizon"], "key=value"),         # no '='
    (["profile=huge"], "huge"),                # unknown profile
])
def test_parse_overrides_rejects(pairs, needle):
    with pytest.raises(ParameterError, match=needle):
        parse_overrides("00_data", pairs)


def test_validate_overrides_python_values():
    assert validate_overrides("00_data", {"nhanes_horizon": 5}) == {"nhanes_horizon": 5.0}  # int widened
    for bad, needle in [({"n_examples": "3"}, "n_examples"), ({"n_examples": True}, "n_examples"),
                        ({"nhanes_horizon": math.nan}, "NaN"), ({"merge_top": -1}, "out of range"),
                        ({"nope": 1}, "nope")]:
        with pytest.raises(ParameterError, match=needle):
            validate_overrides("00_data", bad)
    with pytest.raises(ParameterError, match="profile"):
        validate_overrides("00_data", {}, profile="fast")


def test_configure_env_profile_and_unknown_notebook(monkeypatch):
    monkeypatch.setenv("ATTRPRIOR_PROFILE", "smoke")
    assert configure("00_data", cell_namespace("00_data", "paper")).profile == "smoke"
    with pytest.raises(ParameterError, match="unknown notebook"):
        get_spec("no_such_notebook")


def test_prefix_lookup():
    assert get_spec("00").name == "00_data"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "attrprior.run", *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args, needle", [
    (["00_data", "-p", "bogus=1"], "bogus"),
    (["00_data", "-p", "n_examples=many"], "n_examples"),
    (["00_data", "-p", "n_examples=1000"], "n_examples"),
    (["00_data", "-p", "nhanes_horizon=nan"], "nhanes_horizon"),
    (["00_data", "--profile", "enormous"], "enormous"),
    (["no_such_nb"], "no_such_nb"),
])
def test_cli_fails_fast_naming_the_parameter(args, needle):
    start = time.time()
    proc = _cli(*args)
    assert proc.returncode == 2
    assert needle in proc.stderr
    assert "Executing" not in proc.stderr  # no kernel was started
    assert time.time() - start < 10


def test_cli_list_describes_parameters():
    proc = _cli("00_data", "--list")
    assert proc.returncode == 0 and "n_examples" in proc.stdout and "smoke=" in proc.stdout
