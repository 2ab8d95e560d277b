"""attrprior.simulate: one module per family; import from the submodules directly."""
