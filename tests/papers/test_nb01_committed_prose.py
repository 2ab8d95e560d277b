"""Notebook 01: the numbers its prose quotes from the committed paper run are the committed run's numbers.

The paragraphs on the full-mode runs and on claim 1's measure are written by hand; these tests recompute every number
they quote from ``results/paper/01_unsupervised_priors/`` so that a rerun that changes them cannot leave the text stale.
"""
import pytest

from attrprior.papers.nb01_unsupervised_priors.rejudge import grid_frame
from tests.papers.prose import assert_quotes, committed_run, p_text

NB = "01_unsupervised_priors"


@pytest.fixture(scope="module")
def committed():
    run, claims = committed_run(NB)
    frame, _ = grid_frame(run.path)
    return frame, claims


def test_full_mode_paragraph_quotes_the_committed_run(committed):
    frame, claims = committed
    tv = frame[frame["prior"] == "total_variation"]
    groups = {"baseline": frame[frame["kind"] == "vae"],
              "mu_only": tv[(tv["lam"] == 0.01) & (tv["mode"] == "mu_only")],
              "full": tv[(tv["lam"] == 0.01) & (tv["mode"] == "full")]}
    assert all(len(g) == 5 for g in groups.values()), "the paragraph says five seeds each"
    mu_claim, full_claim, modes = claims["1-tv-prior"], claims["5.1-tv-prior-full"], claims["5.4-full-mode-smoother"]
    per_lam = modes["extra"]["per_lambda"]
    expected = [f"{g['tv_rel'].mean():.2f} ± {g['tv_rel'].std():.2f}" for g in groups.values()]
    expected += [f"RMS {groups['mu_only']['mu_rms'].mean():.2f} against {groups['baseline']['mu_rms'].mean():.2f}",
                 f"RMS(μ) {groups['full']['mu_rms'].mean():.2f}",
                 f"its {mu_claim['extra']['raw_tv_factor']:.0f}× lower raw TV",
                 f"TV {full_claim['extra']['raw_tv_factor']:.0f}× lower",
                 f"{-full_claim['measured']:.0f} % below the baselines",
                 f"{100 * per_lam['0.01']['effect']:.0f} % below μ-only at the same λ",
                 f"{full_claim['extra']['recon_change_pct']:.1f} % above the baselines",
                 f"μ-only: {mu_claim['extra']['recon_change_pct']:.1f} %",
                 f"likewise {100 * per_lam['0.001']['effect']:.0f} % below μ-only's (Holm p = "
                 f"{p_text(per_lam['0.001']['p_holm'])})",
                 f"is *{full_claim['verdict'].split()[0]}* reproduced",
                 f"it stays *{mu_claim['verdict']}*"]
    assert_quotes(NB, "22bd9380", expected)


def test_claim1_measure_choice_quotes_the_committed_run(committed):
    extra = committed[1]["1-tv-prior"]["extra"]
    quoted = f"raw TV {extra['raw_tv_factor']:.0f}× lower with RMS(μ) {-extra['mu_rms_change_pct']:.0f} % lower"
    assert_quotes(NB, "39d2478d", [quoted])


def test_p_text_writes_the_notebooks_form():
    assert p_text(4.108e-05) == "4·10⁻⁵"
    assert p_text(1.41e-4) == "1·10⁻⁴"
    assert p_text(8.4e-10) == "8·10⁻¹⁰"
