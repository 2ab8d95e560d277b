"""Data layer: checksum verification, clear errors, IDX reader, loaders and definitions."""
from __future__ import annotations

import gzip
import shutil
import struct
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attrprior.core import data
from attrprior.core.data import DataCorruptError, DataError, DataMissingError, DataUnavailableError
from tests.conftest import needs_data

LABELS = "mnist/t10k-labels-idx1-ubyte.gz"


@pytest.fixture
def fake_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path))
    return tmp_path


def test_missing_file_names_file_checksum_and_source(fake_data_dir: Path):
    with pytest.raises(DataMissingError) as err:
        data.shipped_path(LABELS)
    msg = str(err.value)
    assert LABELS in msg and data.manifest_files()[LABELS]["sha256"] in msg and "obtain" in msg
    assert isinstance(err.value, FileNotFoundError) and isinstance(err.value, DataError)
    assert data.data_checksums()[LABELS] == "missing"
    assert data.verify_all()[LABELS] is False


@needs_data
def test_corrupted_copy_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    real = data.shipped_path(LABELS)  # the real file, wherever the session's data folder is
    fake_data_dir = tmp_path
    monkeypatch.setenv(data.DATA_ENV, str(fake_data_dir))
    copy = fake_data_dir / LABELS
    copy.parent.mkdir(parents=True)
    shutil.copyfile(real, copy)
    assert data.shipped_path(LABELS) == copy.resolve()  # a good copy verifies
    raw = bytearray(copy.read_bytes())
    raw[100] ^= 0xFF
    copy.write_bytes(bytes(raw))
    with pytest.raises(DataCorruptError) as err:
        data.shipped_path(LABELS)
    msg = str(err.value)
    assert LABELS in msg and "corrupt" in msg and data.manifest_files()[LABELS]["sha256"] in msg
    assert isinstance(err.value, ValueError)
    with pytest.raises(DataError):
        data.load_mnist_test()  # images missing, labels corrupt: either way a DataError

def test_unknown_file_is_refused():
    with pytest.raises(DataMissingError, match="not in"):
        data.shipped_path("mnist/no-such-file.gz")


def _idx_bytes(dims: tuple[int, ...], payload: bytes) -> bytes:
    magic = 0x0801 if len(dims) == 1 else 0x0803
    return struct.pack(">I", magic) + struct.pack(f">{len(dims)}I", *dims) + payload


def test_read_idx_roundtrip_and_truncation(tmp_path: Path):
    good = tmp_path / "good-idx3-ubyte.gz"
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    good.write_bytes(gzip.compress(_idx_bytes((2, 3, 4), images.tobytes())))
    assert np.array_equal(data.read_idx(good), images)

    short = tmp_path / "short-idx3-ubyte.gz"
    short.write_bytes(gzip.compress(_idx_bytes((2, 3, 4), images.tobytes()[:-5])))
    with pytest.raises(DataCorruptError, match="short-idx3-ubyte.gz.*truncated"):
        data.read_idx(short)

    cut = tmp_path / "cut-idx3-ubyte.gz"
    cut.write_bytes(good.read_bytes()[:-12])
    with pytest.raises(DataCorruptError, match="cut-idx3-ubyte.gz"):
        data.read_idx(cut)

    bad_magic = tmp_path / "magic.gz"
    bad_magic.write_bytes(gzip.compress(b"\x00\x00\x09\x99" + b"\x00" * 16))
    with pytest.raises(DataCorruptError, match="magic"):
        data.read_idx(bad_magic)
    with pytest.raises(DataMissingError):
        data.read_idx(tmp_path / "absent.gz")


def test_read_gmt(tmp_path: Path):
    gmt = tmp_path / "sets.gmt"
    gmt.write_text("SET_A\tdesc\tG1\tG2\t\nSET_B\thttp://x\tG2\tG3\n\n")
    assert data.read_gmt(gmt) == {"SET_A": ["G1", "G2"], "SET_B": ["G2", "G3"]}
    gmt.write_text("SET_A\tdesc\tG1\nBROKEN_LINE_ONLY_NAME\n")
    with pytest.raises(DataCorruptError, match="line 2"):
        data.read_gmt(gmt)
    gmt.write_text("SET_A\tdesc\tG1\nSET_A\tdesc\tG2\n")
    with pytest.raises(DataCorruptError, match="line 2.*repeated"):
        data.read_gmt(gmt)


def test_nhanes_binary_outcome_definition():
    y = pd.Series([2.0, 10.0, 12.0, -3.0, -10.0, -15.0], index=list("abcdef"))
    labels, mask = data.nhanes_binary_outcome(y, horizon_years=10)
    assert mask.tolist() == [True, True, True, False, False, True]
    assert labels.to_dict() == {"a": 1, "b": 1, "c": 0, "f": 0}
    with pytest.raises(ValueError):
        data.nhanes_binary_outcome(y, horizon_years=0)


def test_download_reports_offline_quickly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import torchvision.datasets as tvd
    from urllib.error import URLError

    class Offline:
        def __init__(self, *a, **k):
            raise URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(tvd, "CIFAR10", Offline)
    start = time.time()
    with pytest.raises(DataUnavailableError, match="CIFAR10.*offline"):
        data.download_dataset("cifar10", tmp_path)
    assert time.time() - start < 5
    with pytest.raises(ValueError, match="unknown data set"):
        data.download_dataset("imagenet", tmp_path)


@needs_data
def test_shipped_files_verify_and_load(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    assert all(data.verify_all().values())
    images, labels = data.load_mnist_test()
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8 and labels.dtype == np.int64
    assert tuple(np.bincount(labels)) == data.MNIST_TEST_COUNTS
    X, y = data.load_nhanes()
    assert X.shape == (9932, 18) and y.index.equals(X.index)
    merge = data.load_merge_features()
    assert len(merge) == 16863 and merge.index.is_unique and merge.attrs["rows_in_file"] == 16864
    assert len(data.load_gene_sets("KEGG_2016")) == 293
    assert data.gmt_path("h.all.v7.0.symbols.gmt").name == "h.all.v7.0.symbols.gmt"

    def offline(*a, **k):
        raise DataUnavailableError("offline")

    monkeypatch.setattr("attrprior.core.data.mnist.download_dataset", offline)
    tx, ty, vx, vy, desc = data.load_mnist(size=28, source="auto", root=tmp_path)
    assert tx.shape == (8000, 1, 28, 28) and vx.shape == (2000, 1, 28, 28)
    assert 0.0 <= float(tx.min()) and float(tx.max()) <= 1.0 and "shipped" in desc and "8,000" in desc
    again = data.load_mnist(size=28, source="shipped")
    assert (again[1] == ty).all()  # deterministic split
    with pytest.raises(DataUnavailableError):
        data.load_mnist(source="download", root=tmp_path)
