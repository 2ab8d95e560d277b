"""The papers layer: one subpackage per notebook, ``nbNN_name`` for ``notebooks/NN_name.ipynb``.

A subpackage holds everything that belongs to one paper's re-run: ``spec.py`` (its typed parameters and
their values per profile, as ``SPEC``), its experiment code, analysis, verdict rules, figures and the paper's
reported numbers. It imports the core (:mod:`attrprior.core`) and the compendium's parameter and store
machinery, never another paper — so editing one paper re-runs one notebook (see :mod:`attrprior.compendium.cache`).
"""
