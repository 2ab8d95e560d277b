"""Attribution benchmark (notebook 03a): data generators, keep/remove metrics, MLP builders, runner, verdict rules."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from attrprior.compendium.verdicts import Evidence
from attrprior.papers.nb03a_attribution_benchmark import benchstats as AS
from attrprior.papers.nb03a_attribution_benchmark import experiment as AB
from attrprior.papers.nb03a_attribution_benchmark import verdicts as AV
from attrprior.papers.nb03a_attribution_benchmark import metrics as MB
from attrprior.core.models.mlp import StackedMLP, mlp
from attrprior.papers.nb03a_attribution_benchmark.datasets import correlated_groups60, group_correlation, independent_linear60, make_dataset

torch.set_num_threads(1)


# --------------------------------------------------------------------------- data sets
def test_correlated_groups_sample_correlation_is_exact():
    d = correlated_groups60(1000, seed=3)
    corr = np.corrcoef(d.X.T)
    for g in d.groups:
        block = corr[np.ix_(g, g)][np.triu_indices(3, 1)]
        assert np.allclose(block, 0.99, atol=1e-8)
    # features in different groups and the independent half are uncorrelated in the sample
    off = corr.copy()
    off[np.abs(group_correlation() - np.eye(60)) > 0] = 0
    np.fill_diagonal(off, 0)
    assert np.abs(off).max() < 1e-8
    assert np.allclose(d.X.std(0), 1.0, atol=1e-8)


def test_beta_pattern_and_linear_label():
    for d in (independent_linear60(500, seed=1), correlated_groups60(500, seed=1)):
        assert np.flatnonzero(d.beta).tolist() == list(range(0, 30, 3))
        assert np.all(d.beta[d.beta != 0] == 1)
        resid = d.y - d.X @ d.beta
        assert 0.005 < resid.std() < 0.02  # noise sd 0.01
        assert d.X.shape == (500, 60)


def test_generators_are_seeded():
    a, b, c = (independent_linear60(300, seed=s) for s in (5, 5, 6))
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)
    assert not np.allclose(a.X, c.X)
    x1, x2 = correlated_groups60(300, seed=2), correlated_groups60(300, seed=2)
    assert np.array_equal(x1.X, x2.X)
    assert np.allclose(independent_linear60(300, seed=0).X.mean(0), 0, atol=1e-12)


def test_generator_bad_input():
    with pytest.raises(ValueError):
        independent_linear60(50)  # fewer rows than features
    with pytest.raises(ValueError):
        make_dataset("nope")
    with pytest.raises(ValueError):
        correlated_groups60(200, rho=1.0)


# --------------------------------------------------------------------------- metrics
def test_feature_counts_match_shap_grid():
    assert MB.feature_counts(60, 11).tolist() == [0, 2, 4, 7, 10, 14, 20, 27, 35, 46, 60]
    assert len(MB.METRICS) == 18 and MB.METRIC_CODES[:3] == ("KPM", "KPR", "KPI")


def test_hidden_features_respects_sign_cap():
    scores = np.array([[3.0, -1.0, 2.0, -2.0], [-1.0, -1.0, -1.0, 0.5]])
    keep = MB.hidden_features(scores, 3, "keep")  # only 2 resp. 1 non-negative features can be kept
    assert keep.tolist() == [[False, True, False, True], [True, True, True, False]]
    remove = MB.hidden_features(scores, 1, "remove")
    assert remove.tolist() == [[True, False, False, False], [False, False, False, True]]


def _linear_setup(seed=0):
    d = independent_linear60(400, seed=seed)
    Xtr, Xte, yte = d.X[:300], d.X[300:], d.y[300:]
    predict = lambda X: X @ d.beta  # noqa: E731
    exact = (Xte - Xtr.mean(0)) * d.beta  # exact SHAP / EG values of a linear model
    rand = np.random.default_rng(seed).standard_normal(Xte.shape)
    return predict, Xtr, Xte, yte, exact, rand


def test_true_attributions_beat_random_on_known_linear_model():
    predict, Xtr, Xte, yte, exact, rand = _linear_setup()
    for code in ("KPM", "KNM", "RPM", "RNR", "KAI", "RAM"):
        good = MB.benchmark_metric(code, predict, Xtr, Xte, yte, exact)
        bad = MB.benchmark_metric(code, predict, Xtr, Xte, yte, rand)
        assert good > bad + 0.1, (code, good, bad)
    # keeping every feature of a perfect linear model reproduces its R² (≈ 1): last point of KAM's curve
    _, curve = MB.metric_curve(predict, Xtr, Xte, yte, exact, "keep", "absolute", "mask")
    assert curve[-1] == pytest.approx(MB.r2_score(yte, predict(Xte)))
    assert curve[-1] > 0.99


def test_metrics_agree_with_shap_benchmark_measures():
    measures = pytest.importorskip("shap.benchmark.measures")
    sk_utils = pytest.importorskip("sklearn.utils")
    from sklearn.metrics import r2_score

    predict, Xtr, Xte, yte, _, rand = _linear_setup(1)

    class Model:
        def predict(self, X):
            return np.tanh(X) @ np.linspace(-1, 1, 60)

    model, rs = Model(), 4
    for action, sign, masker, fn in [("keep", "positive", "mask", measures.keep_mask),
                                     ("remove", "negative", "impute", measures.remove_impute),
                                     ("keep", "absolute", "impute", measures.keep_impute),
                                     ("remove", "positive", "resample", measures.remove_resample)]:
        A = {"positive": rand, "negative": -rand, "absolute": np.abs(rand)}[sign]
        summary = r2_score if sign == "absolute" else (lambda t, p: np.mean(p))
        if masker == "resample":  # shap: its own tie noise and background rows below the test size
            noise = measures.const_rand(60) * 1e-6
            bg = sk_utils.resample(np.arange(len(yte)), n_samples=100, random_state=rs)
        else:
            noise, bg = measures.const_rand(60, rs) * 1e-6, None
        counts, ours = MB.metric_curve(model.predict, Xtr, Xte, yte, rand, action, sign, masker, noise=noise,
                                       background=bg, oriented=False)
        theirs = [fn(np.minimum(c, (A >= 0).sum(1)).astype(int), Xtr, None, Xte, yte, A, None, summary, model, rs)
                  for c in counts]
        assert np.allclose(ours, theirs, atol=1e-10), (action, sign, masker)


def test_area_and_r2_match_references():
    from sklearn.metrics import auc, r2_score

    x, v = np.array([0, 2, 4, 7, 10.0]), np.array([0.1, 0.5, 0.2, 0.9, 1.0])
    assert MB.curve_area(x, v) == pytest.approx(auc(x, v) / 10)
    y, p = np.random.default_rng(0).normal(size=(2, 50))
    assert MB.r2_score(y, p) == pytest.approx(r2_score(y, p))


def test_metric_bad_input():
    predict, Xtr, Xte, yte, exact, _ = _linear_setup()
    with pytest.raises(ValueError):
        MB.benchmark_metric("XYZ", predict, Xtr, Xte, yte, exact)
    with pytest.raises(ValueError):
        MB.metric_curve(predict, Xtr, Xte, yte, exact[:, :10], "keep", "positive", "mask")
    bad = exact.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError):
        MB.metric_curve(predict, Xtr, Xte, yte, bad, "keep", "positive", "mask")
    with pytest.raises(ValueError):
        MB.metric_curve(predict, Xtr, Xte, yte, exact, "keep", "sideways", "mask")


def test_rank_methods_ties():
    assert MB.rank_methods({"a": 3.0, "b": 2.995, "c": 1.0}, tol=0.01) == {"a": 1.0, "b": 1.0, "c": 3.0}
    assert MB.rank_methods({"a": 3.0, "b": 2.9, "c": 1.0}) == {"a": 1.0, "b": 2.0, "c": 3.0}


def test_paper_table_transcription_gives_papers_binomial_p():
    wins, n, p = AB.eg_vs_ig_binomial(AB.PAPER_TABLES["correlated_groups60"])
    assert (wins, n) == (17, 18) and p == pytest.approx(7.2e-5, rel=0.01)  # the paper's p = 7.2 × 10⁻⁵


# --------------------------------------------------------------------------- models
def test_mlp_shapes_and_errors():
    net = mlp(60, (32, 20, 20), 1)
    assert net(torch.randn(5, 60)).shape == (5, 1)
    assert [m.out_features for m in net if isinstance(m, torch.nn.Linear)] == [32, 20, 20, 1]
    assert isinstance(mlp(4, (), 2)[0], torch.nn.Linear)  # hidden=() is a linear model
    with pytest.raises(ValueError):
        mlp(0, (3,), 1)
    with pytest.raises(ValueError):
        mlp(3, (3,), 1, activation="nope")


def test_stacked_mlp_slots_are_independent_networks():
    s = StackedMLP(3, 5, (7, 4), 1, generator=torch.Generator().manual_seed(0))
    x = torch.randn(6, 3, 5)
    out = s(x)
    assert out.shape == (6, 3)
    for j in range(3):
        assert torch.allclose(s.member(j)(x[:, j]).squeeze(-1), out[:, j], atol=1e-6)
    # the loss of slot 0 sends no gradient to the other slots' weights
    out[:, 0].sum().backward()
    assert s.weights[0].grad[1:].abs().sum() == 0 and s.weights[0].grad[0].abs().sum() > 0
    assert torch.allclose(s.select([2, 0])(x[:, [2, 0]]), out[:, [2, 0]].detach(), atol=1e-6)
    with pytest.raises(ValueError):
        s(torch.randn(6, 2, 5))


# --------------------------------------------------------------------------- runner
def test_replicate_is_deterministic_and_eg_beats_random():
    d = independent_linear60(1000, seed=0)
    settings = AB.BenchmarkSettings(epochs=6, eg_samples=20, ig_steps=8)
    codes = ("KPM", "RNM", "KAM")
    a, _, r2 = AB.run_replicate(d, 7, settings, codes=codes)
    b, _, _ = AB.run_replicate(d, 7, settings, codes=codes)
    assert a.equals(b)
    assert r2 > 0.5  # the network learns the linear label
    table = a.pivot_table(index="method", columns="metric", values="value")
    assert (table.loc["expected_gradients"] > table.loc["random"] + 0.05).all()


def test_split_sizes():
    tr, te = AB.split(1000, 100, 0)
    assert len(tr) == 900 and len(te) == 100 and not set(tr) & set(te)
    with pytest.raises(ValueError):
        AB.split(10, 10, 0)


# --------------------------------------------------------------------------- verdict rules (synthetic numbers)
def _ev(effect, p, ci, target=0.02, power=0.95, n=10):
    return Evidence(test="t", effect=effect, n=n, p_value=p, ci=ci, target=target, power=power)


def test_eg_first_rule_every_outcome():
    lead = _ev(0.02, 1e-4, (0.015, 0.025))
    assert AV.eg_first(lead, 12, 0, 18) == ("reproduced", "EG ahead of the runner-up on 12, behind on 0 of 18 metrics")
    assert AV.eg_first(lead, 12, 1, 18)[0] == "reproduced"  # "nearly all": one metric behind is allowed
    assert AV.eg_first(lead, 10, 3, 18)[0] == "partly reproduced"
    assert AV.eg_first(lead, 2, 10, 18)[0] == "not reproduced"  # behind on more than half
    assert AV.eg_first(_ev(-0.02, 1e-3, (-0.03, -0.01)), 0, 5, 18)[0] == "not reproduced"
    # not significant, but the run had the power and its CI excludes the paper's lead
    assert AV.eg_first(_ev(0.001, 0.3, (-0.002, 0.004), power=0.99), 1, 0, 18)[0] == "not reproduced"
    verdict, reason = AV.eg_first(_ev(0.005, 0.2, (-0.01, 0.03), power=0.3), 1, 0, 18)
    assert verdict == "inconclusive" and ("power" in reason or "CI" in reason)
    assert AV.eg_first(None, 0, 0, 18)[0] == "inconclusive"  # one seed


def test_eg_first_reason_flags_a_smaller_lead_than_the_papers():
    _, reason = AV.eg_first(_ev(0.004, 1e-6, (0.003, 0.005), target=0.027), 13, 0, 18)
    assert "smaller than in the paper" in reason
    _, reason = AV.eg_first(_ev(0.03, 1e-6, (0.02, 0.04), target=0.027), 13, 0, 18)
    assert "smaller" not in reason and "larger" not in reason


def test_eg_beats_ig_rule_every_outcome():
    def ev(wins, power=0.99):
        from scipy import stats
        p = stats.binomtest(wins, 18, 0.5, alternative="greater").pvalue
        ci = stats.binomtest(wins, 18).proportion_ci(method="exact")
        return Evidence(test="binomial", effect=wins / 18 - 0.5, n=18, p_value=p, ci=(ci.low - 0.5, ci.high - 0.5),
                        target=17 / 18 - 0.5, power=power)
    assert AV.eg_beats_ig(ev(17), 17, 18) == ("reproduced", "")
    assert AV.eg_beats_ig(ev(10), 10, 18)[0] == "partly reproduced"
    assert AV.eg_beats_ig(ev(4), 4, 18)[0] == "not reproduced"
    assert AV.eg_beats_ig(ev(10, power=0.4), 10, 18)[0] == "inconclusive"


def test_binomial_power():
    assert AS.binomial_power(18, 0.5) <= 0.05  # at H0 the power is the test's size
    assert AS.binomial_power(18, 17 / 18) > 0.99
    assert AS.binomial_power(18, 0.6) < AS.binomial_power(18, 0.8) < AS.binomial_power(18, 0.95)
    assert AS.binomial_power(3, 0.9) == 0.0  # 3 trials can never reach p < 0.05


def _margin(effect, p, ci, target=0.08, power=0.99):
    return Evidence(test="margin", effect=effect, n=10, p_value=p, ci=ci, target=target, power=power)


def test_ig_close_behind_rule_every_outcome():
    good = _margin(0.09, 1e-8, (0.085, 0.095))
    assert AV.ig_close_behind(0.01, 1.0, good) == ("reproduced", "")
    assert AV.ig_close_behind(0.01, 0.5, good)[0] == "partly reproduced"
    bad = _margin(-0.10, 1.0, (-0.12, -0.08))  # the gap is clearly above 0.10 in every seed
    assert AV.ig_close_behind(0.2, 0.5, bad)[0] == "not reproduced"
    assert AV.ig_close_behind(0.2, 0.9, bad)[0] == "partly reproduced"
    noisy = _margin(-0.01, 0.6, (-0.2, 0.18), power=0.2)
    assert AV.ig_close_behind(0.11, 0.5, noisy)[0] == "inconclusive"
    assert AV.ig_close_behind(0.11, 0.5, None)[0] == "inconclusive"  # one seed


def test_baselines_far_behind_rule_every_outcome():
    bad = _margin(-0.2, 1.0, (-0.25, -0.15), target=0.2)
    assert AV.baselines_far_behind(0.05, 1.0, None) == ("reproduced", "")
    assert AV.baselines_far_behind(0.4, 0.8, bad)[0] == "partly reproduced"
    assert AV.baselines_far_behind(0.6, 0.3, bad)[0] == "not reproduced"
    noisy = _margin(-0.05, 0.7, (-0.4, 0.3), target=0.2, power=0.3)
    assert AV.baselines_far_behind(0.3, 0.3, noisy)[0] == "inconclusive"
    assert AV.baselines_far_behind(0.3, 0.3, None)[0] == "inconclusive"


# --------------------------------------------------------------------------- statistics and claims on fake scores
def _fake_scores(n_seeds, eg_minus_ig, noise=0.01, seed=0):
    """Long score table of both data sets: IG at the paper's value plus noise, EG ``eg_minus_ig`` above it."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    rows = []
    for key, table in AB.PAPER_TABLES.items():
        for s in range(n_seeds):
            for m in AB.METHODS:
                for code in MB.METRIC_CODES:
                    base = table.loc["integrated_gradients" if m == "expected_gradients" else m, code]
                    value = base + (eg_minus_ig if m == "expected_gradients" else 0) + noise * rng.standard_normal()
                    rows.append({"dataset": key, "seed": s, "method": m, "metric": code, "value": value, "key": key})
    return pd.DataFrame(rows)


def test_eg_first_stats_see_a_clear_lead_and_no_lead():
    lead = AS.eg_first_stats(_fake_scores(8, 0.05), "correlated_groups60")
    assert lead.n_ahead == 18 and lead.n_behind == 0 and lead.pooled.significant() and lead.pooled.effect > 0
    assert AV.eg_first(lead.pooled, lead.n_ahead, lead.n_behind, lead.n_metrics)[0] == "reproduced"
    none = AS.eg_first_stats(_fake_scores(8, 0.0), "correlated_groups60")
    assert none.n_ahead <= 3 and abs(none.pooled.effect) < 0.01
    assert AV.eg_first(none.pooled, none.n_ahead, none.n_behind, none.n_metrics)[0] != "reproduced"
    one = AS.eg_first_stats(_fake_scores(1, 0.05), "correlated_groups60")
    assert one.pooled is None and one.lead > 0


def test_rejudge_rebuilds_every_claim_from_the_scores(tmp_path):
    import json

    from attrprior.papers.nb03a_attribution_benchmark import rejudge as R

    scores = _fake_scores(4, 0.05)
    scores.to_csv(tmp_path / R.SCORES_FILE, index=False)
    params = {"profile": "paper", "seeds": [0, 1, 2, 3], "datasets": list(AB.PAPER_TABLES), "data_seed": 0,
              "epochs": 30, "eg_samples": 200, "ig_steps": 50, "tie_fraction": 0.01}
    old = {"provenance": {"notebook": "03a_attribution_benchmark", "profile": "paper", "parameters": params,
                          "git_commit": "abc", "finished": "then"},
           "claims": [{"id": "eg-first-correlated_groups60", "verdict": "reproduced"}]}
    (tmp_path / "claims.json").write_text(json.dumps(old))
    R.rejudge(tmp_path, when="now")
    new = json.loads((tmp_path / "claims.json").read_text())
    assert new["provenance"]["git_commit"] == "abc" and new["provenance"]["rejudged"]["on"] == "now"
    assert new["provenance"]["rejudged"]["verdicts_before"] == {"eg-first-correlated_groups60": "reproduced"}
    by_id = {c["id"]: c for c in new["claims"]}
    assert len(by_id) == 6 and all(c["data_kind"] == "simulated" and c["source_kind"] for c in new["claims"])
    assert by_id["eg-beats-ig-independent_linear60"]["kind"] == "extension"
    assert by_id["eg-first-correlated_groups60"]["verdict"] == "reproduced"
    assert by_id["eg-first-correlated_groups60"]["evidence"]["ci"] is not None
    R.rejudge(tmp_path, when="later")  # a second pass keeps the verdicts from before the first
    again = json.loads((tmp_path / "claims.json").read_text())
    assert again["provenance"]["rejudged"]["verdicts_before"] == {"eg-first-correlated_groups60": "reproduced"}
