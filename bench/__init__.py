"""Benchmarks for Organise: `python -m bench` (see docs/benchmarks.md)."""
