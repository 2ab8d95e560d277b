"""Statistics over seeds and replicates shared by the papers (t-tests, McNemar, bootstrap, verdict helpers)."""
