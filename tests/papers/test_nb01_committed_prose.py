"""Notebook 01: the numbers its prose quotes from the committed paper run are the committed run's numbers.

The paragraph on the full-mode runs is written by hand; this test recomputes every number it quotes from
``results/paper/01_unsupervised_priors/`` so that a rerun that changes them cannot leave the text stale.
"""
import json
from pathlib import Path

import pytest

from attrprior.papers.nb01_unsupervised_priors.rejudge import grid_frame

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "results" / "paper" / "01_unsupervised_priors"
NOTEBOOK = ROOT / "notebooks" / "01_unsupervised_priors.ipynb"
FULL_MODE_CELL = "22bd9380"


def _cell_text(cell_id: str) -> str:
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    [cell] = [c for c in cells if c.get("id") == cell_id]
    return " ".join("".join(cell["source"]).split())  # line breaks inside the prose do not matter


def _superscript(n: int) -> str:
    return str(n).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))


def _p_text(p: float) -> str:
    """4.1e-05 -> '4·10⁻⁵', the notebook's way of writing a p value."""
    mantissa, exponent = f"{p:.0e}".split("e")
    return f"{mantissa}·10{_superscript(int(exponent))}"


@pytest.fixture(scope="module")
def committed():
    if not (RESULTS / "claims.json").exists():
        pytest.skip("no committed paper run of notebook 01")
    claims = {c["id"]: c for c in json.loads((RESULTS / "claims.json").read_text())["claims"]}
    frame, _ = grid_frame(RESULTS)
    return frame, claims


def test_full_mode_paragraph_quotes_the_committed_run(committed):
    frame, claims = committed
    text = _cell_text(FULL_MODE_CELL)
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
                 f"{_p_text(per_lam['0.001']['p_holm'])})",
                 f"is *{full_claim['verdict'].split()[0]}* reproduced",
                 f"it stays *{mu_claim['verdict']}*"]
    missing = [e for e in expected if e not in text]
    assert not missing, f"notebook 01's full-mode paragraph no longer matches the committed run: {missing}"


def test_p_text_writes_the_notebooks_form():
    assert _p_text(4.108e-05) == "4·10⁻⁵"
    assert _p_text(1.41e-4) == "1·10⁻⁴"


def test_claim1_measure_choice_quotes_the_committed_run(committed):
    _, claims = committed
    extra = claims["1-tv-prior"]["extra"]
    text = _cell_text("39d2478d")
    quoted = f"raw TV {extra['raw_tv_factor']:.0f}× lower with RMS(μ) {-extra['mu_rms_change_pct']:.0f} % lower"
    assert quoted in text, f"claim 1's section no longer matches the committed run: expected '{quoted}'"
