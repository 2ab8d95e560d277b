"""attrprior.models: one module per family; import from the submodules directly."""
