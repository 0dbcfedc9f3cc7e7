"""What the training loop needs from batches: split (inputs, target), arrays, sizes, means.

A batch from a DataLoader is a tuple ``(input, ..., target)`` or one input alone; values
are lamina Tensors, ndarrays or lists.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..data import Dataset
from ..tensor import Tensor

__all__ = ["Means", "array", "batch_size_of", "is_array", "is_dataset", "split_batch"]


def is_dataset(x: Any) -> bool:
    return isinstance(x, Dataset) or (
        hasattr(x, "__getitem__") and hasattr(x, "__len__") and not is_array(x)
    )


def is_array(x: Any) -> bool:
    return isinstance(x, (np.ndarray, Tensor, list))


def split_batch(batch: Any) -> tuple[tuple, Any]:
    """(model inputs, target or None) from a DataLoader batch."""
    if isinstance(batch, (list, tuple)):
        if len(batch) == 1:
            return (batch[0],), None
        return tuple(batch[:-1]), batch[-1]
    return (batch,), None


def array(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def batch_size_of(batch: Any) -> int:
    inputs, target = split_batch(batch)
    return len(array(inputs[0] if target is None else target))


class Means:
    """Per-key means over an epoch, weighted by batch size; ``None`` values are skipped."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.batches = 0

    def add(self, values: dict[str, float | None], n: int) -> None:
        self.batches += 1
        for k, v in values.items():
            self.sums.setdefault(k, 0.0)
            self.counts.setdefault(k, 0)
            if v is not None:
                self.sums[k] += float(v) * n
                self.counts[k] += n

    def result(self) -> dict[str, float]:
        return {k: self.sums[k] / c if (c := self.counts[k]) else math.nan for k in self.sums}
