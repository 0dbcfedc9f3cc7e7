"""torch.backends.cuda: flags accepted and without effect (lamina has no CUDA)."""

from __future__ import annotations

from types import SimpleNamespace

matmul = SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True)


def is_built() -> bool:
    """False: lamina is not built with CUDA (torch.backends.cuda.is_built)."""
    return False
