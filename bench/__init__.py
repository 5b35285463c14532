"""Benchmarks, run by hand (see bench/README.md); only a smoke test imports them in the suite."""
