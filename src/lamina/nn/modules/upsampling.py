"""torch.nn.modules.upsampling: Upsample (defined in pooling.py)."""

from .pooling import Upsample

__all__ = ["Upsample"]
