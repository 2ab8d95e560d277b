"""The data layer: shipped files (sha256-checked), loaders and downloaders.

Shipped data are read from ``../shared/data`` relative to the repository root,
or from ``$ATTRPRIOR_DATA_DIR``; ``data/manifest.json`` lists every file with its
sha256, size, source and how to obtain it. Heavy imports (pandas, torch) happen
inside the loaders, so importing this package is cheap.
"""
from __future__ import annotations

from attrprior.core.data.mnist import (
    MNIST_TEST_COUNTS,
    MNIST_TRAIN_COUNTS,
    download_dataset,
    load_mnist,
    load_mnist_test,
    load_mnist_train_labels,
    mnist_test_images,
    shipped_split,
    read_idx,
)
from attrprior.core.data.shipped import (
    DATA_ENV,
    DataCorruptError,
    DataError,
    DataMissingError,
    DataUnavailableError,
    data_checksums,
    data_dir,
    manifest,
    manifest_files,
    repo_root,
    sha256_file,
    shipped_path,
    verify_all,
)
from attrprior.core.data.tabular import (
    GMT_FILES,
    MERGE_DUPLICATE_NOTE,
    gene_set_coverage,
    gmt_path,
    load_gene_sets,
    load_merge_features,
    load_nhanes,
    load_nhanes_full_outcome,
    nhanes_binary_outcome,
    read_gmt,
)

__all__ = [
    "DATA_ENV", "DataCorruptError", "DataError", "DataMissingError", "DataUnavailableError",
    "GMT_FILES", "MERGE_DUPLICATE_NOTE", "MNIST_TEST_COUNTS", "MNIST_TRAIN_COUNTS",
    "data_checksums", "data_dir", "download_dataset", "gene_set_coverage", "gmt_path",
    "load_gene_sets", "load_merge_features", "load_mnist", "load_mnist_test", "load_mnist_train_labels", "mnist_test_images", "shipped_split",
    "load_nhanes", "load_nhanes_full_outcome", "manifest", "manifest_files", "nhanes_binary_outcome",
    "read_gmt", "read_idx", "repo_root", "sha256_file", "shipped_path", "verify_all",
]
