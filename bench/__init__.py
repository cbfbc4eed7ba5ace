"""Benchmarks: ``python -m bench`` (``make bench``). Each figure beside its same-run baseline."""
