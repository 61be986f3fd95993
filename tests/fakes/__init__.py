"""Faithful fake cloud servers (real HTTP on 127.0.0.1) shared by tests and benchmarks."""
