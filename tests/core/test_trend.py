"""Jonckheere–Terpstra trend test: against Mann–Whitney U sums, symmetry, permutation vs normal p, power."""
import numpy as np
import pytest
from scipy import stats

from attrprior.core.metrics import trend as T


def _groups(seed=0, shift=0.0, k=4, n=5):
    rng = np.random.default_rng(seed)
    return [rng.normal(shift * i, 1.0, n) for i in range(k)]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_statistic_is_the_sum_of_ordered_mann_whitney_u(seed):
    gs = _groups(seed, 0.3)
    gs[1][0] = gs[0][0]  # one tie across groups
    u = sum(stats.mannwhitneyu(gs[j], gs[i]).statistic for i in range(len(gs)) for j in range(i + 1, len(gs)))
    assert T.jt_statistic(gs) == pytest.approx(u)


def test_tau_is_plus_one_for_a_perfect_rise_and_flips_with_the_order():
    gs = [np.arange(5) + 10 * i for i in range(4)]
    assert T.trend_tau(gs) == 1.0
    assert T.trend_tau(gs[::-1]) == -1.0
    mixed = _groups(3, 0.5)
    assert T.trend_tau(mixed[::-1]) == pytest.approx(-T.trend_tau(mixed))


def test_permutation_p_follows_the_direction_and_agrees_with_the_normal_approximation():
    gs = _groups(0, 1.0)
    _, p_up = T.jt_test(gs, "increasing", n_resamples=999)
    _, p_down = T.jt_test(gs, "decreasing", n_resamples=999)
    assert p_up < 0.01 < 0.9 < p_down
    flat = _groups(5, 0.0, n=8)
    _, p_perm = T.jt_test(flat, "increasing", n_resamples=999)
    assert p_perm == pytest.approx(T.jt_normal_p(flat, "increasing"), abs=0.05)


def test_null_p_values_are_roughly_uniform():
    ps = np.array([T.jt_normal_p(_groups(s, 0.0), "increasing") for s in range(300)])
    assert 0.02 < (ps < 0.05).mean() < 0.09
    assert 0.4 < ps.mean() < 0.6


def test_power_grows_with_the_effect_and_the_group_size():
    weak, strong = _groups(1, 0.2, n=30), _groups(1, 1.5, n=30)
    assert T.trend_power(strong, 5, seed=0, n_sims=150) > 0.9
    assert T.trend_power(weak, 5, seed=0, n_sims=150) < T.trend_power(weak, 25, seed=0, n_sims=150)
    assert T.trend_power(strong, 5, "decreasing", seed=0, n_sims=100) < 0.01


def test_bootstrap_ci_holds_the_estimate():
    gs = _groups(2, 0.5)
    lo, hi = T.tau_ci(gs, n_boot=500)
    assert lo <= T.trend_tau(gs) <= hi and -1 <= lo < hi <= 1


@pytest.mark.parametrize("bad, match", [([[1.0, 2.0]], "at least 2 groups"), ([[1.0], []], "at least one"),
                                        ([[1.0], [np.nan]], "NaN")])
def test_bad_groups_are_refused(bad, match):
    with pytest.raises(ValueError, match=match):
        T.jt_statistic(bad)


def test_bad_alternative_is_refused():
    with pytest.raises(ValueError, match="alternative"):
        T.jt_normal_p(_groups(), "up")


def test_vectorised_permutation_p_matches_scipy():
    gs = _groups(7, 0.4, k=3, n=4)
    res = stats.permutation_test(gs, lambda *g: T.jt_statistic(g), permutation_type="independent",
                                 alternative="greater", n_resamples=1999, random_state=0)
    stat, p = T.jt_test(gs, "increasing", n_resamples=1999)
    assert stat == pytest.approx(res.statistic)
    assert p == pytest.approx(res.pvalue, abs=0.03)


def test_batched_statistics_match_the_single_ones():
    gs = _groups(9, 0.3)
    sizes = [len(g) for g in gs]
    jt = T._jt_many(np.concatenate(gs)[None, :], sizes)
    assert jt[0] == pytest.approx(T.jt_statistic(gs))
    assert T._normal_p_many(jt, sizes, "increasing")[0] == pytest.approx(T.jt_normal_p(gs, "increasing"))
