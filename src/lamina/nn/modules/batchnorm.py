"""torch.nn.modules.batchnorm: BatchNorm1d, BatchNorm2d (defined in normalization.py)."""

from .normalization import BatchNorm1d, BatchNorm2d, _BatchNorm

__all__ = ["BatchNorm1d", "BatchNorm2d", "_BatchNorm"]
