"""Benchmarks: run with `python -m pytest tests/benchmarks -s`. They print figures; they never
assert on time (these machines are noisy): each figure stands next to a baseline from the same run.
"""
