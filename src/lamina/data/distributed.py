"""DistributedSampler: each rank's share of a data set (torch.utils.data.distributed)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from .sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """The indices rank ``rank`` of ``num_replicas`` reads (torch's DistributedSampler).

    The ranks' shards are disjoint and together cover the data set: rank r takes every
    ``num_replicas``-th index starting at r. When the size does not divide evenly the list
    is padded by repeating its first indices (so every rank runs as many batches, which
    DistributedDataParallel needs), or cut to a multiple with ``drop_last=True``. With
    ``shuffle`` the order is a permutation drawn from ``seed + epoch``, the same on every
    rank; call ``set_epoch(epoch)`` before each epoch for a new order. torch's algorithm
    exactly, except that the permutation comes from NumPy's generator
    (``np.random.default_rng(seed + epoch)``), not torch's.

    Args:
        dataset: anything with ``len()``.
        num_replicas, rank: default the process group's world size and rank.
        shuffle, seed, drop_last: as torch.
    """

    def __init__(
        self,
        dataset: Any,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:
            from ..distributed.group import world

            group = world()
            num_replicas = group.size if num_replicas is None else num_replicas
            rank = group.rank if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.epoch, self.drop_last, self.shuffle, self.seed = 0, drop_last, shuffle, seed
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            indices = np.random.default_rng(self.seed + self.epoch).permutation(n).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            pad = self.total_size - len(indices)
            if pad <= len(indices):
                indices += indices[:pad]
            else:
                indices += (indices * math.ceil(pad / len(indices)))[:pad]
        else:
            indices = indices[: self.total_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Draw the next pass's order from ``seed + epoch`` (call it before each epoch)."""
        self.epoch = epoch
