"""Embedding lookup (torch.nn.functional.embedding): rows of a weight table by index."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op


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
