"""torch.utils.data's names: datasets, the DataLoader, samplers, collation.

The implementations live in :mod:`lamina.data`; this is the path torch scripts import
(``from torch.utils.data import DataLoader``). ``num_workers`` is accepted and batches are
read in the calling process (see docs/pytorch.md).
"""

from ...data.dataloader import DataLoader, default_collate
from ...data.dataset import (
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from ...data.distributed import DistributedSampler
from ...data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from . import dataloader, distributed, sampler

__all__ = [
    "BatchSampler",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "dataloader",
    "default_collate",
    "distributed",
    "random_split",
    "sampler",
]
