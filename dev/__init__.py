"""Developer tooling: the local broker (``kafka/``), the make run/test scripts and the benchmark.

A package only so that ``python -m dev.benchmark`` can import ``tests.*`` from the
repository root without touching ``sys.path``.
"""
