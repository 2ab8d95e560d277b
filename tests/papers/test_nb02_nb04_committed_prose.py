"""Notebooks 02 and 04: the settings their prose gives for the committed paper runs are the runs' settings."""
from tests.papers.prose import assert_quotes, committed_run, run_meta

WORDS = {2: "two", 3: "three", 5: "five", 6: "six", 10: "ten"}


def test_02_paper_scale_paragraph_gives_the_committed_settings():
    meta = run_meta(committed_run("02_shap_loadings")[0])
    p = meta["parameters"]
    expected = [f"in {meta['wall_s'] / 60:.0f} minutes",
                f"{WORDS[len(p['seeds'])]} seeds of the main experiment at n = {p['n']:,} and p = {p['p']:,} "
                f"with {p['epochs']} VAE epochs ({p['n_explain']} explained samples, {p['n_background']} background "
                f"samples, {p['n_samples']} expected-gradients draws)",
                f"{WORDS[len(p['sweep_seeds'])]} seeds per sweep point at n = {p['sweep_n']:,} and p = {p['sweep_p']:,}",
                f"over {WORDS[len(p['sweep_sparsity'])]} sparsities, {WORDS[len(p['sweep_noise'])]} noise levels and "
                f"{WORDS[len(p['sweep_k'])]} factor counts"]
    assert_quotes("02_shap_loadings", "8350e941", expected)


def test_04_paper_scale_paragraph_gives_the_committed_settings():
    run, _ = committed_run("04_svae")
    p = run_meta(run)["parameters"]
    data = run.claims[0]["data"]
    assert "8,000 train" in data, "the text says the run trained on the 8,000-image offline split"
    alphas = ", ".join(f"{a:g}" for a in p["alphas"])
    betas = ", ".join(f"{b:g}" for b in p["betas"])
    expected = [f"({WORDS[len(p['seeds'])]} seeds; α ∈ {{{alphas}}} × β ∈ {{{betas}}}",
                f"{p['epochs']} epochs on the 8,000-image offline split"]
    assert_quotes("04_svae", "00c79c54", expected)
