"""Regimes of the gene-level stand-in (non-linearity knob, measured coordinates) and the positive-control rules."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from attrprior.compendium.regimes import level_contrast, positive_control, setting_evidence, stand_in_regime
from attrprior.core.simulate import genes as sg
from attrprior.core.simulate.regimes import field_smoothness, linear_share, regime

from tests.conftest import needs_data


@pytest.fixture(scope="module")
def real():
    from attrprior.core.data import gmt_path, load_merge_features, read_gmt

    return load_merge_features(), read_gmt(gmt_path(sg.KEGG_LIBRARY))


def _sim(real, seed=5, **kw):
    merge, sets = real
    return sg.simulate_drug_response(n_genes=80, n_patients=60, n_drugs=3, seed=seed, merge=merge, gene_sets=sets,
                                     **kw)


@needs_data
def test_linear_default_is_unchanged_and_nonlinearity_moves_only_the_response(real):
    base, lin, quad = _sim(real), _sim(real, nonlinearity=0.0), _sim(real, nonlinearity=1.0)
    np.testing.assert_array_equal(base.y, lin.y)
    np.testing.assert_array_equal(base.expression, quad.expression)
    np.testing.assert_array_equal(base.driver_mask, quad.driver_mask)
    assert not np.allclose(base.y, quad.y)
    assert linear_share(base) == pytest.approx(1.0)
    assert linear_share(quad) < 0.2 < 0.9 < linear_share(_sim(real, nonlinearity=0.2))
    with pytest.raises(ValueError, match="0 <= nonlinearity <= 1"):
        _sim(real, nonlinearity=1.5)


def test_field_smoothness_on_known_graphs():
    path = sp.diags([1.0, 1.0], [-1, 1], shape=(6, 6))          # 0-1-2-3-4-5
    shuffled = sp.csr_matrix(np.array([[0, 0, 0, 1, 0, 1], [0, 0, 0, 0, 1, 1], [0, 0, 0, 1, 1, 0],
                                       [1, 0, 1, 0, 0, 0], [0, 1, 1, 0, 0, 0], [1, 1, 0, 0, 0, 0]]))
    ramp = np.arange(6.0)
    assert field_smoothness(ramp, path, shuffled) > 0.8      # smooth along the path, rough on the shuffle
    assert field_smoothness(ramp, shuffled, path) < 0        # the other way round
    with pytest.raises(ValueError, match="constant"):
        field_smoothness(np.ones(6), path, shuffled)


@needs_data
def test_coherent_effects_measure_smoother_than_iid(real):
    iid = [regime(_sim(real, s, effect_smoothness=0.0, pathway_strength=0.0))["effect_smoothness"] for s in (5, 6, 7)]
    coherent = [regime(_sim(real, s, effect_smoothness=100.0, pathway_strength=20.0))["effect_smoothness"]
                for s in (5, 6, 7)]
    assert np.mean(coherent) > np.mean(iid) + 0.05


def _rows(gains: dict[str, list[float]]) -> pd.DataFrame:
    rows = []
    for label, g in gains.items():
        for r, d in enumerate(g):
            rows.append({"setting": label, "retraining": r, "base": 0.5 + 0.01 * r, "method": 0.5 + 0.01 * r + d})
    return pd.DataFrame(rows)


def test_positive_control_and_regime_outcomes():
    rng = np.random.default_rng(0)
    win = list(0.05 + 0.005 * rng.standard_normal(10))
    tie = list(0.005 * rng.standard_normal(10))
    # the method wins where the data are coherent, ties at the default: a placed stand-in, outside the regime
    rows = _rows({"default": tie, "coherent": win})
    ev = setting_evidence(rows, "method", "base")
    assert positive_control(ev)[0] == "reproduced"
    verdict, reason, sized = stand_in_regime(rows, "method", "base", "default", ev)
    assert verdict == "not reproduced" and "coherent" in reason and sized.target == pytest.approx(ev["coherent"].effect)
    # the method wins at the default too
    rows = _rows({"default": win, "coherent": win})
    ev = setting_evidence(rows, "method", "base")
    assert stand_in_regime(rows, "method", "base", "default", ev)[0] == "reproduced"
    # nowhere a win: the sweep cannot place the stand-in
    rows = _rows({"default": tie, "coherent": list(np.array(tie)[::-1])})
    ev = setting_evidence(rows, "method", "base")
    verdict, reason = positive_control(ev)
    assert verdict == "inconclusive" and "Bonferroni level 0.025" in reason
    assert stand_in_regime(rows, "method", "base", "default", ev)[0] == "inconclusive"
    # a noisy default regime cannot rule out the winning gain: inconclusive, not "not reproduced"
    noisy = list(0.2 * rng.standard_normal(3))
    rows = _rows({"default": noisy, "coherent": win})
    ev = setting_evidence(rows, "method", "base")
    assert stand_in_regime(rows, "method", "base", "default", ev)[0] == "inconclusive"


def test_setting_evidence_names_missing_columns():
    with pytest.raises(KeyError, match="method"):
        setting_evidence(pd.DataFrame({"setting": ["a"], "base": [1.0]}), "method", "base")


def _toy_job(task, shared):
    regime, r = task
    return {"setting": regime.label, "r": r, "value": shared["offset"] + r}


def test_run_regimes_rows_and_bad_input(tmp_path):
    from attrprior.compendium.regimes import run_regimes
    from attrprior.core.simulate.regimes import regime_grid

    grid = regime_grid("coherence", ["strong"], [0.5], known=("none", "default", "strong"))
    assert [g.label for g in grid] == ["default coherence, w = 0", "strong coherence, w = 0.5"]
    rows = run_regimes(_toy_job, grid, 3, {"offset": 10}, progress=False, store_dir=tmp_path)
    assert len(rows) == 6 and rows["value"].tolist() == [10, 11, 12, 10, 11, 12]
    with pytest.raises(ValueError, match="at least 2"):
        run_regimes(_toy_job, grid, 1, {"offset": 0}, progress=False)
    with pytest.raises(ValueError, match="unknown coherence levels"):
        regime_grid("coherence", ["huge"], [0.0], known=("none", "default", "strong"))


def test_positive_control_behind_everywhere_and_level_contrast():
    rng = np.random.default_rng(3)
    behind = list(-0.05 + 0.005 * rng.standard_normal(10))
    ev = setting_evidence(_rows({"default": behind, "coherent": behind[::-1]}), "method", "base")
    assert positive_control(ev)[0] == "not reproduced"
    rows = pd.DataFrame({"level": ["strong"] * 8 + ["none"] * 8, "nonlinearity": [0.8] * 16,
                         "gain": list(0.05 + 0.01 * rng.standard_normal(8)) + list(0.01 * rng.standard_normal(8))})
    ev = level_contrast(rows, "gain", "strong", "none")
    assert ev.effect == pytest.approx(rows.gain[:8].mean() - rows.gain[8:].mean()) and ev.significant()
    assert level_contrast(rows.iloc[:9], "gain", "strong", "none") is None
