"""attrprior.metrics: one module per family; import from the submodules directly."""
