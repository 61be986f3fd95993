"""Benchmarks: each script prints its figures and a ratio against a same-run baseline."""
