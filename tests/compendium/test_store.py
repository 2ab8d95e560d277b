"""RunStore: results come back for the same job and context only; writes leave no partial files."""
from __future__ import annotations

import pytest
import torch

from attrprior.compendium.store import RunStore, fingerprint


def test_round_trip_and_misses(tmp_path):
    store = RunStore(tmp_path, {"lib": "abc", "epochs": 3})
    job = {"kind": "vae", "seed": 0, "lam": 0.5}
    assert store.get(job) is None and len(store) == 0
    store.put(job, ({"recon": 1.5}, torch.ones(2, 2)))
    row, maps = store.get(job)
    assert row == {"recon": 1.5} and torch.equal(maps, torch.ones(2, 2)) and len(store) == 1
    assert store.get({**job, "seed": 1}) is None
    assert RunStore(tmp_path, {"lib": "abd", "epochs": 3}).get(job) is None  # context changed: never reused
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp files left
    assert oct(store.path(job).stat().st_mode)[-3:] != "600"  # the usual permissions, not mkstemp's


def test_entry_for_another_job_under_the_same_name_is_not_used(tmp_path):
    store = RunStore(tmp_path, {"lib": "abc"})
    a, b = {"seed": 0}, {"seed": 1}
    store.put(a, "result of a")
    store.path(a).rename(store.path(b))  # a file that claims to be b's but holds a's job
    assert store.get(b) is None


def test_failed_write_leaves_nothing(tmp_path):
    store = RunStore(tmp_path, {})
    with pytest.raises(Exception):
        store.put({"seed": 0}, lambda: None)  # a lambda cannot be pickled
    assert list(tmp_path.iterdir()) == []


def test_fingerprint_follows_values_shape_and_dtype():
    x = torch.arange(6.0)
    assert fingerprint(x) == fingerprint(x.clone()) == fingerprint(x.numpy())
    assert len({fingerprint(x), fingerprint(x + 1), fingerprint(x.view(2, 3)), fingerprint(x.double())}) == 4


def test_a_corrupt_entry_is_reported_and_recomputed(tmp_path):
    """A damaged file names itself and the store, and is treated as missing (then replaced), not a raw zip error."""
    store = RunStore(tmp_path, {"code": "abc"})
    job = {"seed": 0}
    store.put(job, "good")
    store.path(job).write_bytes(b"PK\x03\x04 not a torch file")
    with pytest.warns(UserWarning, match=f"run store {tmp_path}.*cannot be read.*run again"):
        assert store.get(job) is None
    store.put(job, "recomputed")
    assert store.get(job) == "recomputed"


def test_carried_folder_follows_the_build_store_convention(tmp_path):
    from attrprior.compendium.store import carried_folder

    store = tmp_path / "repo" / "build" / "store" / "paper" / "05_dapr"
    assert carried_folder(store) == tmp_path / "repo" / "results" / "paper" / "05_dapr" / "carried_store"
    assert carried_folder(store / "moons") == carried_folder(store) / "moons"
    assert carried_folder(tmp_path / "elsewhere") is None


def test_harvested_entries_resume_a_sweep_in_a_fresh_checkout(tmp_path):
    """A session's build/ is gone in the next one: entries harvested into results/ are found there, under the same
    keys, and entries of another context are still not reused."""
    import shutil

    from attrprior.compendium.store import harvest

    folder = tmp_path / "build" / "store" / "paper" / "nb"
    store = RunStore(folder, {"code": "abc"})
    for seed in range(3):
        store.put({"seed": seed}, {"acc": 0.5 + seed})
    copied, skipped = harvest(folder)
    assert len(copied) == 3 and skipped == []
    assert harvest(folder) == ([], [])  # nothing new to carry
    shutil.rmtree(tmp_path / "build")  # the next session's checkout
    fresh = RunStore(folder, {"code": "abc"})
    assert [fresh.get({"seed": s}) for s in range(3)] == [{"acc": 0.5}, {"acc": 1.5}, {"acc": 2.5}]
    assert fresh.get({"seed": 3}) is None
    assert RunStore(folder, {"code": "other"}).get({"seed": 0}) is None
    fresh.put({"seed": 3}, {"acc": 3.5})  # new entries go to build/, never into the committed folder
    assert (folder / fresh.path({"seed": 3}).name).is_file()
    assert len(list((tmp_path / "results" / "paper" / "nb" / "carried_store").glob("*.pt"))) == 3


def test_harvest_leaves_large_entries_and_refuses_other_folders(tmp_path):
    from attrprior.compendium.store import harvest

    folder = tmp_path / "build" / "store" / "paper" / "nb"
    store = RunStore(folder, {})
    store.put({"seed": 0}, torch.zeros(400_000))  # 1.5 MiB
    copied, skipped = harvest(folder, max_entry_mb=1.0)
    assert copied == [] and len(skipped) == 1 and "MiB" in skipped[0]
    with pytest.raises(ValueError, match="not a run store"):
        harvest(tmp_path / "somewhere")
    with pytest.raises(FileNotFoundError, match="nothing has been run"):
        harvest(tmp_path / "build" / "store" / "paper" / "missing")
