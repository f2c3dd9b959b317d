"""Benchmarks for the performance goals in the issues (see docs/benchmarks.md).

Each module runs with `python -m bench.<name>` from the repository root, prints a readable table and, as its
last line, one JSON object with its figures, its goal and `"pass": true|false`.
"""
