"""Benchmarks: each compares against a baseline measured in the same run, never against a wall clock."""
