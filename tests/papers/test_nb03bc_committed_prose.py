"""Notebooks 03b and 03c: the numbers their prose quotes from the committed paper runs are those runs' numbers."""
import pytest

from attrprior.papers.nb03b_mnist_tv_prior import robustness, verdicts
from tests.papers.prose import assert_quotes, committed_run, power_of_ten, run_meta


@pytest.fixture(scope="module")
def sweep_03b():
    """The committed 03b run, its claims by id, and its λ sweep split into baseline row, EG and gradient priors."""
    run, claims = committed_run("03b_mnist_tv_prior")
    sweep = run.table("lambda_sweep")
    base = sweep[sweep["method"] == "baseline"].iloc[0]
    eg = sweep[sweep["method"] == "expected_gradients"].sort_values("lam")
    grad = sweep[sweep["method"] == "gradients"].sort_values("lam")
    return run, claims, base, eg, grad


def test_03b_lambda_sweep_paragraph_quotes_the_committed_run(sweep_03b):
    run, claims, base, eg, grad = sweep_03b
    provenance = run.provenance
    floor = eg.loc[eg["tv_expected_gradients"].idxmin()]
    beyond = eg[eg["lam"] >= floor["lam"]]
    assert beyond["tv_expected_gradients"].max() <= 1.02 * floor["tv_expected_gradients"], "the text says within 2 %"
    tolerance = provenance["parameters"]["tolerance"]
    for prior in (eg, grad):  # "no λ of this grid kept validation accuracy within 1 % of the baseline's"
        assert prior["val_acc"].max() < base["val_acc"] - tolerance
    best = {name: prior.loc[prior["val_acc"].idxmax()] for name, prior in (("eg", eg), ("grad", grad))}
    expected = [f"{provenance['wall_time_s'] / 60:.0f} minutes on two CPU cores",
                f"falls by {100 * claims['mnist_tradeoff']['extra']['tv_drop']:.0f} % from λ = 0 to λ = "
                f"{power_of_ten(floor['lam'])}",
                f"to {power_of_ten(eg['lam'].max())} (validation accuracy "
                f"{beyond['val_acc'].min():.3f}–{beyond['val_acc'].max():.3f} throughout)",
                f"the baseline's {base['val_acc']:.3f} (EG prior at best {best['eg']['val_acc']:.3f}, "
                f"gradient prior {best['grad']['val_acc']:.3f})",
                f"chose λ = {power_of_ten(best['eg']['lam'])} for the EG prior and "
                f"{power_of_ten(best['grad']['lam'])} for the gradient prior"]
    assert_quotes("03b_mnist_tv_prior", "committed-03b-md", expected)


def test_03c_paragraph_quotes_the_committed_run():
    run, claims = committed_run("03c_nhanes_sparsity")
    meta = run_meta(run)
    auc, sparsest = claims["gini-eg-best-auc"], claims["gini-eg-sparsest"]
    vs_grad = auc["extra"]["comparisons"]["gini_grad"]
    sgl = claims["gini-gradients-sparser-not-better"]["evidence"]
    areas = claims["gini-eg-lorenz"]["extra"]["mean_curve_area"]
    alpha = meta["parameters"]["alpha"]
    assert alpha == 1e-4 and min(vs_grad["p_value"], auc["evidence"]["p_value"],
                                 sparsest["evidence"]["p_value"]) > alpha, "the text: not significant at α = 10⁻⁴"
    assert 0 < areas["gini_eg"] - areas["gini_grad"] < 0.01, "the text: Gini-gradients' Lorenz curve a hair below"
    expected = [f"({meta['parameters']['n_replicates']} replicates, {meta['wall_s'] / 60:.0f} min on two cores)",
                f"(Δ Gini {sparsest['evidence']['effect']:+.3f}, p = {sparsest['evidence']['p_value']:.2f})",
                f"on ROC-AUC ({vs_grad['effect']:+.3f}, p = {vs_grad['p_value']:.2f})",
                f"first layer on ROC-AUC ({auc['evidence']['effect']:+.3f}, p = {auc['evidence']['p_value']:.2f})",
                f"beats SGL on ROC-AUC (p ≈ {power_of_ten(sgl['p_value'])})",
                f"(the Lorenz claim: *{claims['gini-eg-lorenz']['verdict']}*)"]
    assert auc["verdict"].startswith("partly") and sparsest["verdict"].startswith("partly"), "the text: both *partly*"
    assert_quotes("03c_nhanes_sparsity", "committed-03c-md", expected)


def test_03b_tradeoff_verdict_follows_from_the_committed_sweep(sweep_03b):
    """The committed mnist_tradeoff verdict and reason are what the current rule gives on the committed λ sweep."""
    _, claims, base, eg, _ = sweep_03b
    stats = robustness.tradeoff_stats(eg["lam"].tolist(), eg["tv_expected_gradients"].tolist(),
                                      eg["val_acc"].tolist(), base["tv_expected_gradients"], base["val_acc"])
    verdict, reason = verdicts.verdict_tradeoff(stats, elbow_drop=0.05)
    claim = claims["mnist_tradeoff"]
    assert claim["verdict"] == verdict and claim["reason"].startswith(reason)
    assert claim["measured"] == pytest.approx(stats["rho_tv"])
