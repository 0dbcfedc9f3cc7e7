"""linear, pad, embedding, one_hot (torch.nn.functional)."""

from __future__ import annotations

import numpy as np

from ...functions import pad
from ...ops import linalg as L
from ...ops.embedding import EmbeddingLookup
from ...tensor import Tensor, _make, apply


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias, weight (out, in)."""
    if x.shape[-1] != weight.shape[-1]:
        raise ValueError(
            f"linear: input's last dim {x.shape[-1]} != weight's in_features "
            f"{weight.shape[-1]} (weight shape {tuple(weight.shape)})"
        )
    return apply(L.Linear, x, weight, bias)


def embedding(indices, weight: Tensor, padding_idx=None) -> Tensor:
    idx = np.asarray(indices._data if isinstance(indices, Tensor) else indices)
    return apply(EmbeddingLookup, weight, idx, padding_idx=padding_idx)


def one_hot(indices, num_classes: int = -1) -> Tensor:
    idx = np.asarray(indices._data if isinstance(indices, Tensor) else indices)
    if num_classes < 0 and idx.size == 0:
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    n = int(idx.max()) + 1 if num_classes < 0 else num_classes
    if idx.size and idx.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if idx.size and idx.max() >= n:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return _make(np.eye(n, dtype=np.int64)[idx])


__all__ = ["linear", "pad", "embedding", "one_hot"]
