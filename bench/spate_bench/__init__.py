"""bench/run.py's parts: the spate benchmark runner (see bench/README.md)."""
