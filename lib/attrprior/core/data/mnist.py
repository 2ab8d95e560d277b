"""MNIST from the shipped IDX files, and torchvision downloads for full MNIST / CIFAR-10 / SVHN.

Offline, only the MNIST *test* set (10,000 images) and the train labels are
available. :func:`load_mnist` then splits the test set deterministically into
8,000 training and 2,000 held-out images and says so in its description string.
"""
from __future__ import annotations

import gzip
import socket
import struct
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from attrprior.core.data.shipped import DataCorruptError, DataError, DataMissingError, DataUnavailableError, repo_root, shipped_path

# Official class counts (LeCun et al., http://yann.lecun.com/exdb/mnist/ ; digits 0..9).
MNIST_TEST_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)
MNIST_TRAIN_COUNTS = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
SHIPPED_SPLIT = (8000, 2000)
SPLIT_SEED = 0
DOWNLOAD_TIMEOUT_S = 10.0

_IDX_MAGIC = {0x00000801: 1, 0x00000803: 3}  # unsigned byte labels (1-D), images (3-D)


def read_idx(path: Path) -> np.ndarray:
    """Read a (gzipped) IDX file of unsigned bytes — MNIST's format — into a uint8 array.

    Checks the magic number and that the payload holds exactly the bytes the header
    promises; a truncated or malformed file raises :class:`DataCorruptError` naming it.
    """
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise DataMissingError(f"IDX file {path} does not exist") from None
    except (EOFError, OSError, zlib.error) as err:
        raise DataCorruptError(f"IDX file {path} is truncated or not valid gzip: {err}") from None
    if len(raw) < 4:
        raise DataCorruptError(f"IDX file {path} is truncated: {len(raw)} bytes, no header")
    (magic,) = struct.unpack(">I", raw[:4])
    if magic not in _IDX_MAGIC:
        raise DataCorruptError(
            f"IDX file {path} has magic number {magic:#010x}; expected 0x00000801 (labels) or 0x00000803 (images)"
        )
    ndim = _IDX_MAGIC[magic]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataCorruptError(f"IDX file {path} is truncated inside its header")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    expected = header + int(np.prod(dims))
    if len(raw) != expected:
        raise DataCorruptError(
            f"IDX file {path} is truncated or padded: header says {dims} -> {expected} bytes, file has {len(raw)}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims).copy()


def load_mnist_test() -> tuple[np.ndarray, np.ndarray]:
    """The shipped MNIST test set: images uint8 ``[10000, 28, 28]``, labels int64 ``[10000]``."""
    images = read_idx(shipped_path("mnist/t10k-images-idx3-ubyte.gz"))
    labels = read_idx(shipped_path("mnist/t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    if images.shape[0] != labels.shape[0] or images.shape[1:] != (28, 28):
        raise DataCorruptError(f"MNIST test images {images.shape} and labels {labels.shape} do not match")
    return images, labels


def load_mnist_train_labels() -> np.ndarray:
    """The shipped MNIST train labels (int64 ``[60000]``); the train images are not shipped."""
    return read_idx(shipped_path("mnist/train-labels-idx1-ubyte.gz")).astype(np.int64)


def shipped_split(n_images: int = 10_000) -> tuple[np.ndarray, np.ndarray]:
    """Indices into the shipped test set of the offline split's (train, test) images (seeded permutation)."""
    perm = np.random.default_rng(SPLIT_SEED).permutation(n_images)
    n_train, n_test = SHIPPED_SPLIT
    return perm[:n_train], perm[n_train:n_train + n_test]


def mnist_test_images(size: int = 32):
    """All 10,000 shipped MNIST test images as a float tensor ``[10000, 1, size, size]`` in [0, 1]."""
    return _to_tensor(load_mnist_test()[0], size)


def default_cache_root() -> Path:
    """Where downloads go: ``<repo>/data/cache`` (git-ignored)."""
    return repo_root() / "data" / "cache"


@contextmanager
def _socket_timeout(seconds: float) -> Iterator[None]:
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(old)


_DATASETS = {"mnist": ("MNIST", "train"), "cifar10": ("CIFAR10", "train"), "svhn": ("SVHN", "split")}


def download_dataset(name: str, root: Path | None = None, timeout: float = DOWNLOAD_TIMEOUT_S) -> dict[str, Any]:
    """Download (or reuse a previous download of) ``'mnist'``, ``'cifar10'`` or ``'svhn'`` with
    torchvision, returning ``{'train': dataset, 'test': dataset}``.

    Raises :class:`DataUnavailableError` quickly when the download fails (e.g. offline).
    """
    import torchvision.datasets as tvd
    from urllib.error import URLError

    key = name.lower()
    if key not in _DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(_DATASETS)}")
    cls_name, split_kw = _DATASETS[key]
    cls = getattr(tvd, cls_name)
    root = Path(root) if root is not None else default_cache_root()
    root.mkdir(parents=True, exist_ok=True)
    out = {}
    try:
        with _socket_timeout(timeout):
            for split in ("train", "test"):
                arg = {split_kw: split} if split_kw == "split" else {split_kw: split == "train"}
                out[split] = cls(str(root), download=True, **arg)
    except (URLError, OSError, RuntimeError, TimeoutError) as err:
        shown = _relative(root)  # the message reaches the rendered book: no machine-specific path
        raise DataUnavailableError(
            f"could not download {cls_name} into {shown} ({type(err).__name__}: {err}). "
            "This machine is probably offline: download it on a connected machine with "
            f"attrprior.core.data.download_dataset('{key}', root) and copy it to {shown} here."
        ) from None
    return out


def _relative(path: Path) -> str:
    """``path`` relative to the repository when it lies inside it, else as given."""
    try:
        return str(Path(path).resolve().relative_to(repo_root().resolve()))
    except ValueError:
        return str(path)


def _to_tensor(images: Any, size: int):
    import torch
    import torch.nn.functional as F

    x = torch.as_tensor(np.asarray(images), dtype=torch.float32).unsqueeze(1) / 255.0
    if size != x.shape[-1]:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        x = x.clamp_(0.0, 1.0)
    return x


def _local_full_mnist(root: Path):
    import torchvision.datasets as tvd

    try:
        return tvd.MNIST(str(root), train=True, download=False), tvd.MNIST(str(root), train=False, download=False)
    except RuntimeError:  # "Dataset not found"
        return None


def load_mnist(size: int = 32, source: str = "auto", root: Path | None = None):
    """MNIST as float tensors in [0, 1]: ``(train_x [N,1,size,size], train_y, test_x, test_y, description)``.

    ``source='download'``: full MNIST (60k/10k) via torchvision, :class:`DataUnavailableError` offline.
    ``source='shipped'``: the shipped 10k test set split deterministically (seed 0) into 8,000 train
    and 2,000 test images. ``source='auto'``: full MNIST if downloaded before or downloadable now,
    else the shipped split. Images are resized bilinearly (antialiased) when ``size != 28``.
    The description string says which source was used; notebooks print it.
    """
    import torch

    if source not in ("auto", "shipped", "download"):
        raise ValueError(f"source must be 'auto', 'shipped' or 'download', got {source!r}")
    if not 8 <= int(size) <= 256:
        raise ValueError(f"size must be in [8, 256], got {size}")
    root = Path(root) if root is not None else default_cache_root()
    full = None
    reason = ""
    if source in ("auto", "download"):
        full = _local_full_mnist(root)
        if full is None:
            try:
                sets = download_dataset("mnist", root)
                full = sets["train"], sets["test"]
            except DataError as err:
                if source == "download":
                    raise
                reason = str(err).split(" (")[0]
    if full is not None:
        train, test = full
        desc = (f"full MNIST via torchvision ({len(train):,} train / {len(test):,} test images) "
                f"from {root}, resized to {size}x{size}")
        return (_to_tensor(train.data.numpy(), size), train.targets.to(torch.int64),
                _to_tensor(test.data.numpy(), size), test.targets.to(torch.int64), desc)
    images, labels = load_mnist_test()
    tr, te = shipped_split(len(labels))
    n_train, n_test = len(tr), len(te)
    desc = (f"shipped MNIST *test* set only (the 60k train images are not available offline): "
            f"10,000 images split deterministically (seed {SPLIT_SEED}) into {n_train:,} train / "
            f"{n_test:,} test, resized to {size}x{size}" + (f"; full MNIST unavailable: {reason}" if reason else ""))
    return (_to_tensor(images[tr], size), torch.as_tensor(labels[tr]),
            _to_tensor(images[te], size), torch.as_tensor(labels[te]), desc)
