"""Embedding (torch.nn.Embedding) with padding_idx."""

from __future__ import annotations

import numpy as np

from ...autograd.function import Op
from ...tensor import apply
from .. import init
from ..module import Module
from ..parameter import Parameter


class EmbeddingLookup(Op):
    """weight[indices]; rows at padding_idx get no gradient."""

    ctx_attrs = ("shape", "idx", "pad")

    @staticmethod
    def forward(ctx, weight, indices, *, padding_idx=None):
        ctx.shape, ctx.idx, ctx.pad = weight.shape, indices, padding_idx
        return weight[indices]

    @staticmethod
    def backward(ctx, g):
        gw = np.zeros(ctx.shape, dtype=g.dtype)
        np.add.at(gw, ctx.idx.reshape(-1), g.reshape(-1, ctx.shape[1]))
        if ctx.pad is not None:
            gw[ctx.pad] = 0
        return gw, None


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, N(0, 1) initialised."""

    def __init__(
        self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None, _weight=None
    ) -> None:
        super().__init__()
        if padding_idx is not None and padding_idx < 0:
            padding_idx += num_embeddings
        if padding_idx is not None and not 0 <= padding_idx < num_embeddings:
            raise ValueError(f"Embedding: padding_idx {padding_idx} outside [0, {num_embeddings})")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = padding_idx
        self.weight = Parameter(
            np.empty((num_embeddings, embedding_dim), np.float32) if _weight is None else _weight
        )
        if _weight is None:
            self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, indices):
        idx = np.asarray(indices.data if hasattr(indices, "_ctx") else indices)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"expected integer indices, got dtype {idx.dtype}")
        if idx.size and (idx.min() < 0 or idx.max() >= self.num_embeddings):
            bad = idx.min() if idx.min() < 0 else idx.max()
            raise IndexError(f"index {bad} out of range [0, {self.num_embeddings})")
        return apply(EmbeddingLookup, self.weight, idx, padding_idx=self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")
