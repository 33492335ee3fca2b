"""Benchmarks for the performance requirements of the issues (see bench/README.md)."""
