"""Parameters of notebooks/00_data.ipynb: the shipped data, end to end through the data layer."""
from __future__ import annotations

from attrprior.compendium.params import NotebookSpec, Param

SPEC = NotebookSpec(
    name="00_data",
    title="The data: shipped files, checksums and what later notebooks use",
    data="every shipped file: MNIST test set + train labels, NHANES I, MERGE meta-features, four GMT libraries",
    params=(
        Param("n_examples", int, "MNIST images shown in the sample grid", low=1, high=100),
        Param("nhanes_horizon", float, "years defining the binary NHANES outcome 'died within horizon'",
              low=1.0, high=25.0),
        Param("merge_top", int, "top-scoring MERGE genes listed and used for the KEGG overlap plot",
              low=1, high=16863),
    ),
    profiles={
        "smoke": {"n_examples": 8, "nhanes_horizon": 10.0, "merge_top": 20},
        "default": {"n_examples": 40, "nhanes_horizon": 10.0, "merge_top": 50},
        "paper": {"n_examples": 100, "nhanes_horizon": 10.0, "merge_top": 100},
    },
)
