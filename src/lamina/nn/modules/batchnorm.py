"""torch.nn.modules.batchnorm: BatchNorm1d, BatchNorm2d (defined in normalization.py) and
SyncBatchNorm (sync_batchnorm.py)."""

from .normalization import BatchNorm1d, BatchNorm2d, _BatchNorm
from .sync_batchnorm import SyncBatchNorm

__all__ = ["BatchNorm1d", "BatchNorm2d", "SyncBatchNorm", "_BatchNorm"]
