"""torch.utils.data.distributed's public names."""

from ...data.distributed import DistributedSampler

__all__ = ["DistributedSampler"]
