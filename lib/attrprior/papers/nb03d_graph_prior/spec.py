"""Parameters of notebooks/03d_graph_prior.ipynb: Erion et al. §2.4, the graph attribution prior, on
the simulated gene-level drug-response stand-in (real genes, MERGE meta-features and KEGG pathways;
simulated expression and response)."""
from __future__ import annotations

from attrprior.compendium.params import SEED_MAX, NotebookSpec, Param

SPEC = NotebookSpec(
    name="03d_graph_prior",
    title="Erion et al. §2.4: a graph attribution prior on a gene-level drug-response stand-in",
    data=("simulated stand-in (attrprior.core.simulate.genes) on real MERGE genes/meta-features and the shipped "
          "Enrichr KEGG_2016 pathways; expression and drug response are simulated"),
    params=(
        Param("n_genes", int, "genes in the stand-in (MERGE genes in KEGG pathways)", low=20, high=5000),
        Param("n_patients", int, "simulated patients", low=20, high=5000),
        Param("n_drugs", int, "simulated drugs (one-hot inputs)", low=1, high=500),
        Param("signal_r2", float, "share of response variance explained by the noiseless signal", low=0.05, high=1.0),
        Param("data_seed", int, "seed of the stand-in and of the patient-level split", low=0, high=SEED_MAX),
        Param("seeds", int, "one independent retraining of every neural model per seed", low=0, high=SEED_MAX, many=True),
        Param("max_epochs", int, "maximum epochs of the MLP / GCN (early stopping on validation MSE)", low=1, high=100000),
        Param("patience", int, "early-stopping patience in epochs", low=1, high=100000),
        Param("finetune_epochs", int, "extra epochs of (prior) fine-tuning after the MLP (paper: 5)", low=1, high=100000),
        Param("eg_samples", int, "EG references per input inside the prior (paper: 10)", low=1, high=100),
        Param("batch_size", int, "mini-batch size", low=8, high=4096),
        Param("lr", float, "Adam learning rate", low=1e-6, high=1e-1),
        Param("nu_ratios", float, "ν·Ω / task loss at the start of fine-tuning; one chosen on validation "
              "(paper: 1)", low=1e-4, high=1e3, many=True),
        Param("scheme", str, "'joint': one step on task + ν·Ω; 'alternating': Erion's task step then prior step",
              choices=("joint", "alternating")),
        Param("attr_samples", int, "EG references per test sample for the attribution analysis", low=1, high=500),
        Param("gsea_permutations", int, "gseapy.prerank permutations", low=10, high=10000),
        Param("fdr", float, "FDR q-value below which a pathway counts as enriched", low=0.0, high=1.0),
        Param("pc_coherence", str, "positive-control sweep: coherence levels of the true effects on the gene graph",
              choices=("none", "default", "strong"), many=True),
        Param("pc_nonlinearity", float, "positive-control sweep: non-linearity w of the response (0 = linear)",
              low=0.0, high=1.0, many=True),
        Param("pc_retrainings", int, "positive-control sweep: fresh data sets (and retrainings) per regime",
              low=2, high=1000),
        Param("workers", int, "processes retraining seeds side by side (results do not depend on it)", low=1, high=64),
    ),
    profiles={
        "smoke": {"n_genes": 60, "n_patients": 50, "n_drugs": 4, "signal_r2": 0.5, "data_seed": 0, "seeds": [0, 1],
                  "max_epochs": 4, "patience": 2, "finetune_epochs": 1, "eg_samples": 2, "batch_size": 64,
                  "lr": 1e-3, "nu_ratios": [1.0], "scheme": "joint", "attr_samples": 4, "gsea_permutations": 20, "fdr": 0.25,
                  "pc_coherence": ["default", "strong"], "pc_nonlinearity": [0.0], "pc_retrainings": 2, "workers": 1},
        "default": {"n_genes": 300, "n_patients": 200, "n_drugs": 10, "signal_r2": 0.5, "data_seed": 0,
                    "seeds": [0, 1, 2, 3, 4], "max_epochs": 40, "patience": 5, "finetune_epochs": 5, "eg_samples": 4,
                    "batch_size": 128, "lr": 1e-3, "nu_ratios": [0.01, 0.1, 1.0], "scheme": "joint", "attr_samples": 16,
                    "gsea_permutations": 100, "fdr": 0.25, "pc_coherence": ["none", "default", "strong"],
                    "pc_nonlinearity": [0.0, 0.8], "pc_retrainings": 10, "workers": 2},
        "paper": {"n_genes": 3000, "n_patients": 218, "n_drugs": 145, "signal_r2": 0.5, "data_seed": 0,
                  "seeds": list(range(10)), "max_epochs": 200, "patience": 20, "finetune_epochs": 5,
                  "eg_samples": 10, "batch_size": 128, "lr": 1e-4, "nu_ratios": [0.01, 0.1, 1.0, 10.0], "scheme": "joint",
                  "attr_samples": 50, "gsea_permutations": 1000, "fdr": 0.25,
                  "pc_coherence": ["none", "default", "strong"], "pc_nonlinearity": [0.0, 0.5, 0.8],
                  "pc_retrainings": 20, "workers": 2},
    },
)
