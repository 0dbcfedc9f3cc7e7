"""Map-style datasets: Dataset, TensorDataset, Subset, ConcatDataset, random_split.

Same shapes as ``torch.utils.data``. A dataset is anything with ``__getitem__(i)`` and
``__len__``. Datasets whose samples are rows of arrays (TensorDataset, and a Subset of one)
also answer ``_batch(indices)``, which the DataLoader uses to fetch a whole batch by one
fancy index instead of a Python loop over samples.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..random import default_rng
from ..tensor import Tensor


class Dataset:
    """Base class of map-style datasets (torch: ``torch.utils.data.Dataset``).

    Subclasses define ``__getitem__(index)`` and ``__len__()``. ``a + b`` concatenates.
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])

    def _batch(self, indices: np.ndarray) -> tuple | None:
        """Rows ``indices`` of every array at once, or None when samples are not rows."""
        return None


class IterableDataset(Dataset):
    """A stream of samples (torch: ``torch.utils.data.IterableDataset``); define ``__iter__``."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __getitem__(self, index: int) -> Any:
        raise TypeError(f"{type(self).__name__} is an IterableDataset: iterate it, do not index it")


def _as_array(x: Any, where: str) -> np.ndarray:
    """The ndarray behind a lamina Tensor or a NumPy array, without a copy."""
    data = x._data if isinstance(x, Tensor) else x
    if not isinstance(data, np.ndarray):
        raise TypeError(f"{where}: got {type(x).__name__}, expected a lamina Tensor or ndarray")
    return data


class TensorDataset(Dataset):
    """Rows of equally long arrays (torch: ``torch.utils.data.TensorDataset``).

    Args:
        *tensors: lamina Tensors or NumPy arrays sharing their first dimension N. They are
            kept as NumPy arrays (no copy); ``ds[i]`` is the tuple of their i-th rows.

    Example:
        >>> ds = TensorDataset(np.zeros((4, 3)), np.arange(4))
        >>> len(ds), ds[1][1]
        (4, np.int64(1))
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset: got no arrays, expected at least one")
        arrays = [_as_array(t, f"TensorDataset argument {k}") for k, t in enumerate(tensors)]
        sizes = [a.shape[0] if a.ndim else None for a in arrays]
        if None in sizes or len(set(sizes)) != 1:
            shapes = [a.shape for a in arrays]
            raise ValueError(f"TensorDataset: shapes {shapes}, expected one shared first size")
        self.tensors = tuple(arrays)

    def __getitem__(self, index: int) -> tuple:
        return tuple(a[index] for a in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def _batch(self, indices: np.ndarray) -> tuple:
        return tuple(a[indices] for a in self.tensors)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices`` (torch: ``torch.utils.data.Subset``)."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        n = len(dataset)
        if self.indices.size and (self.indices.min() < -n or self.indices.max() >= n):
            bad = self.indices[(self.indices < -n) | (self.indices >= n)][0]
            raise ValueError(f"Subset: index {int(bad)} outside a dataset of length {n}")

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def __len__(self) -> int:
        return len(self.indices)

    def _batch(self, indices: np.ndarray) -> tuple | None:
        inner = getattr(self.dataset, "_batch", None)
        return None if inner is None else inner(self.indices[indices])


class ConcatDataset(Dataset):
    """Datasets one after another (torch: ``torch.utils.data.ConcatDataset``)."""

    def __init__(self, datasets: Sequence[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: got an empty list, expected at least one dataset")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"ConcatDataset: index {index} out of range for length {n}")
        index = index + n if index < 0 else index
        k = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[k - 1] if k else 0
        return self.datasets[k][index - start]


def _split_lengths(n: int, lengths: Sequence[float]) -> list[int]:
    """Integer lengths from counts or fractions, as ``torch.utils.data.random_split``."""
    lengths = list(lengths)
    if any(x < 0 for x in lengths):
        raise ValueError(f"random_split: lengths {lengths}, expected non-negative values")
    if math.isclose(sum(lengths), 1.0) and sum(lengths) <= 1:
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):  # the remainder goes round-robin, as in torch
            counts[i % len(counts)] += 1
        lengths = counts
    if any(int(x) != x for x in lengths) or sum(lengths) != n:
        raise ValueError(
            f"random_split: lengths {lengths} sum to {sum(lengths)}, expected integer lengths "
            f"summing to the dataset length {n}, or fractions summing to 1"
        )
    return [int(x) for x in lengths]


def random_split(
    dataset: Any, lengths: Sequence[float], generator: np.random.Generator | None = None
) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random Subsets (torch: ``random_split``).

    Args:
        dataset: any map-style dataset.
        lengths: the lengths of the parts, or fractions summing to 1 (each part gets
            ``floor(n * f)`` and the remainder is dealt round-robin from the first part).
        generator: a ``numpy.random.Generator``; default: lamina's global one, so
            ``lamina.manual_seed`` makes the split reproducible.

    Returns:
        One :class:`Subset` per length.
    """
    n = len(dataset)
    counts = _split_lengths(n, lengths)
    rng = default_rng() if generator is None else generator
    perm = rng.permutation(n)
    bounds = np.cumsum([0, *counts])
    return [Subset(dataset, perm[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
