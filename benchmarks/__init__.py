"""Benchmarks: each compares our code with the baseline its issue names, in the same run."""
