"""lamina vs PyTorch benchmarks: ``python -m benchmarks`` (see run.py)."""
