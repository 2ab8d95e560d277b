"""Notebook 01: the authors' reference models, metric/training reproduction rules, trend and failure claims."""
import numpy as np
import pandas as pd
import pytest
import torch

from attrprior.papers.nb01_unsupervised_priors import amad_reference as R
from attrprior.papers.nb01_unsupervised_priors import reference_claims as RC
from attrprior.papers.nb01_unsupervised_priors import trend_claims as TC


def _frame(means: dict, seeds=5, sd=0.01, seed=0, collapsed=(), failed=()) -> pd.DataFrame:
    """Runs with metric means per (prior, λ); ``(prior, λ, seed)`` in ``collapsed`` get entropy 0.01."""
    rng = np.random.default_rng(seed)
    rows = []
    for (prior, lam), m in means.items():
        for s in range(seeds):
            row = {"kind": "vae" if prior == "vae" else "prior", "seed": s, "prior": None if prior == "vae" else prior,
                   "lam": lam, "mode": None if prior == "vae" else "mu_only", "status": "ok",
                   **{k: v + rng.normal(0, sd) for k, v in m.items()}}
            if (prior, lam, s) in collapsed:
                row["entropy"] = 0.01
            if (prior, lam, s) in failed:
                row["status"] = "diverged"
            rows.append(row)
    return pd.DataFrame(rows)


def _grid(entropy_slope=-0.1, recon_slope=2.0, **kw):
    means = {("vae", 0.0): dict(entropy=0.7, pearson=0.3, recon=170.0)}
    for i, lam in enumerate((0.5, 1.0, 5.0), 1):
        means[("entropy", lam)] = dict(entropy=0.7 + entropy_slope * i, pearson=0.3 + 0.02 * i, recon=170 + recon_slope * i)
        means[("pearson", lam * 2)] = dict(entropy=0.7 - 0.02 * i, pearson=0.3 - 0.05 * i, recon=170 - recon_slope * i)
    return _frame(means, **kw).assign(tv_rel=1.8)  # every real runs table has the scale-free TV


def test_active_latents_counts_latents_above_their_fair_share():
    s = torch.zeros(2, 3, 1, 2, 2)
    s[:, 0] = 1.0  # every pixel: one latent holds everything
    assert R.active_latents(s) == 1.0
    s[:, 1] = 1.0  # two latents share equally: both above 1/3
    assert R.active_latents(s) == 2.0
    s[0, :, 0, 0, 0] = 0.0  # a pixel with no saliency is dropped, as in lfxai
    assert R.active_latents(s) == 2.0
    with pytest.raises(ValueError, match="non-zero"):
        R.active_latents(torch.zeros(1, 3, 1, 2, 2))


def test_authors_models_load_into_our_vae_and_reconstruct_test_digits():
    models = R.reference_models()
    assert len(models) == 42 and {m.prior for m in models} == {"vae", "entropy", "pearson", "total_variation"}
    vae = R.load_reference_vae(models[0])
    x = R.reference_images(64)
    from attrprior.papers.nb01_unsupervised_priors.sweep import reconstruction
    assert 120 < reconstruction(vae, x)["recon"] < 220  # a random VAE gives ~700 nats


def test_their_metrics_have_one_row_per_model_with_a_csv_row():
    t = R.their_metrics()
    assert len(t) == 41  # the TV λ = 0 model has no metrics row
    assert t.groupby(["prior", "lam"]).size().loc[("entropy", 1.0)] == 5
    assert set(R.THEIR_METRICS.values()) <= set(t.columns)


def test_metric_reproduction_rule_reads_run_by_run():
    t = R.their_metrics()
    ours = t.assign(protocol="reference")
    assert RC.metric_reproduction_claim(ours)["verdict"] == "reproduced"
    shifted = ours.assign(pearson=ours.pearson + 0.06)
    claim = RC.metric_reproduction_claim(shifted)
    assert claim["verdict"] == "not reproduced" and "pearson" in claim["reason"]
    one_off = ours.copy()
    one_off.loc[0, "entropy"] += 0.5
    assert RC.metric_reproduction_claim(one_off)["verdict"] == "partly reproduced"


def _reference_from(frame: pd.DataFrame, shift: float = 0.0) -> pd.DataFrame:
    ok = frame[frame.status == "ok"]
    return pd.DataFrame({"prior": ok.prior.fillna("vae"), "lam": ok.lam, "run": ok.seed + 1, "protocol": "ours",
                         "entropy": ok.entropy + shift, "pearson": ok.pearson + shift, "recon": ok.recon})


def test_training_reproduction_needs_equivalence_not_just_no_difference():
    ours = _grid(sd=0.005)
    theirs = _reference_from(_grid(sd=0.005, seed=1))
    assert RC.training_reproduction_claim(ours, theirs)["verdict"] == "reproduced"
    assert RC.training_reproduction_claim(ours, _reference_from(_grid(sd=0.005, seed=1), 0.2))["verdict"] == \
        "not reproduced"
    noisy = RC.training_reproduction_claim(_grid(sd=0.2), _reference_from(_grid(sd=0.2, seed=1)))
    assert noisy["verdict"] == "inconclusive"


def test_trend_claims_follow_the_paper_direction():
    frame = _grid()
    ref = _reference_from(_grid(seed=3))
    claims = {c["id"]: c for c in TC.trend_claims(frame, ref)}
    assert claims["2a-entropy-prior-entropy-trend"]["verdict"] == "reproduced"
    assert claims["3a-pearson-prior-pearson-trend"]["verdict"] == "reproduced"
    assert claims["3a-pearson-prior-pearson-trend"]["evidence"].power > 0.8
    rising = {c["id"]: c for c in TC.trend_claims(_grid(entropy_slope=+0.1), ref)}
    assert rising["2a-entropy-prior-entropy-trend"]["verdict"] == "not reproduced"
    assert rising["2a-entropy-prior-entropy-trend"]["evidence"].effect < 0


def test_a_flat_trend_with_a_weak_reference_is_inconclusive_and_too_few_lambdas_are_not_tested():
    flat = _grid(entropy_slope=0.0, sd=0.05)
    weak_ref = _reference_from(_grid(entropy_slope=-0.005, sd=0.05, seed=4))
    claim = TC.trend_claim(flat, TC.TRENDS[0], weak_ref)
    assert claim["verdict"] == "inconclusive"
    two = flat[~((flat.prior == "entropy") & flat.lam.isin([0.5, 1.0]))]
    assert TC.trend_claim(two, TC.TRENDS[0])["verdict"] == "not tested"


def test_failure_claims_count_collapses_and_divergences():
    collapsed = {("entropy", lam, s) for lam in (1.0, 5.0) for s in range(4)}
    frame = _grid(collapsed=collapsed)
    c = TC.collapse_claim(frame, RC.reference_failures())
    assert c["verdict"] == "reproduced" and c["failures"]["entropy λ>=1"] == [8, 10]
    assert TC.stability_claim(frame)["verdict"] == "reproduced"
    one_bad = _grid(collapsed=collapsed, failed={("pearson", 2.0, 0)})
    assert TC.stability_claim(one_bad)["verdict"] == "partly reproduced"
    assert TC.failures(one_bad, "pearson") == (1, 15)


def test_reference_failures_come_from_their_metrics():
    f = RC.reference_failures()
    assert f["vae"] == (0, 5) and f["entropy_ge1"] == (8, 10) and f["pearson"] == (0, 15)


def test_full_mode_claim_compares_the_scale_free_tv_of_both_modes():
    rows = []
    for mode, level in (("mu_only", 1.8), ("full", 1.5)):
        for s in range(5):
            rows.append({"kind": "prior", "prior": "total_variation", "lam": 0.01, "mode": mode, "seed": s,
                         "status": "ok", "tv_rel": level + 0.01 * s})
    frame = pd.DataFrame(rows)
    assert TC.full_mode_claim(frame)["verdict"] == "reproduced"
    assert TC.full_mode_claim(frame[frame["mode"] == "mu_only"])["verdict"] == "not tested"
    swapped = frame.assign(mode=frame["mode"].map({"mu_only": "full", "full": "mu_only"}))
    assert TC.full_mode_claim(swapped)["verdict"] == "not reproduced"


def test_tv_reference_claim_judges_the_authors_tv_model_against_their_baselines():
    base = [{"prior": "vae", "lam": 0.0, "run": r, "protocol": "ours", "tv_rel": 1.75 + 0.01 * r, "tv": 20.0,
             "mu_rms": 1.0} for r in range(1, 6)]
    smooth = pd.DataFrame(base + [{"prior": "total_variation", "lam": 0.01, "run": 1, "protocol": "ours",
                                   "tv_rel": 1.2, "tv": 1.0, "mu_rms": 0.2}])
    claim = RC.tv_reference_claim(smooth)
    assert claim["verdict"] == "reproduced" and claim["raw_tv_fall"] == pytest.approx(0.95)
    same = smooth.assign(tv_rel=np.where(smooth.prior == "vae", smooth.tv_rel, 1.78))
    assert RC.tv_reference_claim(same)["verdict"] == "inconclusive"
    assert RC.tv_reference_claim(smooth[smooth.prior == "vae"])["verdict"] == "not tested"


def _tv_grid(slope: float, recon_cost: float) -> pd.DataFrame:
    means = {("vae", 0.0): dict(tv_rel=1.8, recon=170.0, entropy=0.7)}
    for i, lam in enumerate((0.01, 0.1, 1.0), 1):
        means[("total_variation", lam)] = dict(tv_rel=1.8 + slope * i, recon=170.0 * (1 + recon_cost * i / 3),
                                                entropy=0.7)
    return _frame(means)


def test_tv_conjecture_needs_smoother_maps_and_a_small_reconstruction_cost():
    claim = TC.tv_conjecture_claim(_tv_grid(-0.1, 0.005))
    assert claim["verdict"] == "reproduced" and claim["smoothest_lambda"] == 1.0
    assert claim["recon_cost_at_smoothest"] == pytest.approx(0.005, abs=2e-3)
    costly = TC.tv_conjecture_claim(_tv_grid(-0.1, 0.05))
    assert costly["verdict"] == "partly reproduced" and "+5.0%" in costly["reason"]
    assert TC.tv_conjecture_claim(_tv_grid(+0.1, 0.0))["verdict"] == "not reproduced"
    only_baseline = _tv_grid(-0.1, 0.0).query("kind == 'vae' or lam == 0.01")
    assert TC.tv_conjecture_claim(only_baseline)["verdict"] == "not tested"


def test_mode_boxplots_put_both_modes_side_by_side_only_where_full_mode_ran():
    import matplotlib

    matplotlib.use("Agg")
    from attrprior.papers.nb01_unsupervised_priors.reference_figures import mode_boxplots

    mu = _tv_grid(-0.1, 0.0)
    assert mode_boxplots(mu) is None  # no full-mode run: nothing to compare
    full = mu[(mu.prior == "total_variation") & (mu.lam == 0.01)].assign(mode="full", tv_rel=1.2)
    fig = mode_boxplots(pd.concat([mu, full], ignore_index=True), metrics=("tv_rel", "recon"))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "0.01"]  # only λ where both modes ran
    dots = [c.get_offsets() for c in ax.collections]
    assert len(dots) == 3 and np.allclose(dots[2][:, 1], 1.2, atol=0.05)  # baseline, μ-only 0.01, full 0.01
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"μ-only", "full"}
