"""Embedding (torch.nn.Embedding) with padding_idx."""

from __future__ import annotations

import numpy as np

from ...ops.embedding import EmbeddingLookup
from ...tensor import apply
from .. import init
from .._device import check_device, float_dtype
from ..module import Module
from ..parameter import Parameter


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, N(0, 1) initialised."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight=None,
        _freeze: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        check_device(device, "Embedding")
        dtype = float_dtype(dtype, "Embedding")
        for flag, value in (("max_norm", max_norm), ("scale_grad_by_freq", scale_grad_by_freq)):
            if value not in (None, False):
                raise ValueError(f"Embedding: {flag}={value!r} is not supported by lamina")
        if sparse:
            raise ValueError("Embedding: sparse=True (sparse gradients) is not supported by lamina")
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if padding_idx is not None and padding_idx < 0:
            padding_idx += num_embeddings
        if padding_idx is not None and not 0 <= padding_idx < num_embeddings:
            raise ValueError(f"Embedding: padding_idx {padding_idx} outside [0, {num_embeddings})")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = padding_idx
        self.weight = Parameter(
            np.empty((num_embeddings, embedding_dim), dtype) if _weight is None else _weight,
            requires_grad=not _freeze,
        )
        if _weight is None:
            self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    def forward(self, indices):
        idx = np.asarray(indices._data if hasattr(indices, "_ctx") else indices)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"expected integer indices, got dtype {idx.dtype}")
        if idx.size and (idx.min() < 0 or idx.max() >= self.num_embeddings):
            bad = idx.min() if idx.min() < 0 else idx.max()
            raise IndexError(f"index {bad} out of range [0, {self.num_embeddings})")
        return apply(EmbeddingLookup, self.weight, idx, padding_idx=self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")
