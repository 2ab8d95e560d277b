"""The core layer: what more than one paper uses — attributions, priors, the training loop, shared models,
statistics over seeds, the gene-level simulator, data loaders and shared figure helpers. The core imports
neither a paper nor the compendium."""
