"""Benchmarks: `make bench` (python -m bench) runs them all and prints tables.

Every figure is compared with a baseline measured in the same run on the same machine, because this
machine is shared and noisy: absolute numbers move by up to 2x between runs, ratios much less.
"""
