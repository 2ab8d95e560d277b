"""Notebook 01's grid blocks: a finished group is written once; harvested models survive into the next session."""
import types

import pandas as pd
import pytest

from attrprior.core import data
from attrprior.papers.nb01_unsupervised_priors import blocks

TINY = {"seeds": [0, 1], "data_source": "shipped", "n_train": 64, "n_eval": 16, "batch_size": 32,
        "warmup_epochs": 0, "epochs": 1, "prior_batch": 0, "n_samples": 1, "n_samples_eval": 1, "latent_dim": 3,
        "n_show": 2}


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    monkeypatch.setattr(blocks, "committed_parameters", lambda root=None: dict(TINY))
    proxy = types.SimpleNamespace(load_mnist=data.load_mnist, repo_root=lambda: tmp_path)
    monkeypatch.setattr(blocks, "data", proxy)
    return tmp_path


def test_parse_block_reads_priors_and_refuses_bad_lambdas():
    assert blocks.parse_block(["tv=0.1,1", "entropy=5"]) == {"total_variation": [0.1, 1.0], "entropy": [5.0]}
    for bad in (["tv"], ["gini=1"], ["tv=0"], ["tv=x"]):
        with pytest.raises(SystemExit):
            blocks.parse_block(bad)


def test_harvested_models_are_reused_and_the_group_completes(tiny):
    out = tiny / "grid"
    blocks.run_block({"entropy": [1.0]}, workers=1, out=out)
    full = pd.read_csv(out / "entropy_1_mu_only.csv")
    assert sorted(full.seed) == [0, 1] and (out / "vae.csv").is_file()
    # a session ends with seed 1 unfinished: its stored model is gone, seed 0's is harvested
    (out / "entropy_1_mu_only.csv").unlink()
    store = next((tiny / "build" / "store" / "paper" / blocks.NOTEBOOK).glob("*.pt"))  # any: check harvest reads
    assert store.is_file()
    blocks.run_block({"entropy": [1.0]}, workers=1, out=out, harvest=True)
    partial = pd.read_csv(out / "partial" / "entropy_1_mu_only.csv")
    assert sorted(partial.seed) == [0, 1]
    partial[partial.seed == 0].to_csv(out / "partial" / "entropy_1_mu_only.csv", index=False)
    blocks.run_block({"entropy": [1.0]}, workers=1, out=out)
    again = pd.read_csv(out / "entropy_1_mu_only.csv")
    cols = ["seed", "recon", "entropy", "pearson", "tv_rel"]
    pd.testing.assert_frame_equal(again[cols], full[cols])
    assert not (out / "partial" / "entropy_1_mu_only.csv").exists()


def test_a_partial_file_from_other_code_is_not_reused(tiny, capsys):
    out = tiny / "grid"
    (out / "partial").mkdir(parents=True)
    pd.DataFrame({"seed": [0]}).to_csv(out / "partial" / "x.csv", index=False)
    (out / "partial" / "x.json").write_text('{"code_digest": "old"}')
    assert blocks._partial(out, "x", "new") is None
    assert "other code" in capsys.readouterr().out


def test_seed_subsets_merge_in_partial_and_complete_the_group(tiny):
    out = tiny / "grid"
    blocks.run_block({"entropy": [1.0]}, workers=1, seeds=[1], out=out)
    assert not (out / "entropy_1_mu_only.csv").exists() and not (out / "vae.csv").exists()
    assert sorted(pd.read_csv(out / "partial" / "entropy_1_mu_only.csv").seed) == [1]
    blocks.run_block({"entropy": [1.0]}, workers=1, seeds=[0], out=out)  # the other process's share
    whole = pd.read_csv(out / "entropy_1_mu_only.csv")
    assert sorted(whole.seed) == [0, 1] and not (out / "partial" / "entropy_1_mu_only.csv").exists()
    assert sorted(pd.read_csv(out / "vae.csv").seed) == [0, 1]
    stamp = (out / "vae.csv").stat().st_mtime_ns
    blocks.run_block({"entropy": [1.0]}, workers=1, seeds=[0], out=out)  # a finished group is left as it is
    assert (out / "vae.csv").stat().st_mtime_ns == stamp
    pd.testing.assert_frame_equal(pd.read_csv(out / "entropy_1_mu_only.csv"), whole)
