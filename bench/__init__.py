"""Benchmarks: a seeded dataset generator, a load harness and scenarios; figures in ``RESULTS.md``."""
