"""The compendium layer: notebook parameters and profiles, the runner and its cache, claims with provenance,
the run store, committed paper-scale results, parallel sweeps, the book and its scoreboard."""
