"""Benchmarks that print numbers: one module per `assistant bench X`, each with a ``run(...) -> dict``.

Speed and learning are measured here, on this machine and on real data, never asserted in
timed tests (the machines that run the tests are too noisy for that). `assistant.cli.bench`
parses the options and `assistant.ui.bench` shows the results.
"""
