"""Embedding lookup (torch.nn.functional.embedding): rows of a weight table by index."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op

# tables of up to this many rows sum their gradient rows by a one-hot GEMM: for 65 rows and
# 768 indices of 128 values 90 us against np.add.at's 580 us (measured; even at ~512 rows)
_ONE_HOT_ROWS = 256


class EmbeddingLookup(Op):
    """weight[indices]; rows at padding_idx get no gradient."""

    ctx_attrs = ("shape", "idx", "pad")

    @staticmethod
    def forward(ctx, weight, indices, *, padding_idx=None):
        ctx.shape, ctx.idx, ctx.pad = weight.shape, indices, padding_idx
        return weight[indices]

    @staticmethod
    def backward(ctx, g):
        idx, g2 = ctx.idx.reshape(-1), g.reshape(-1, ctx.shape[1])
        if ctx.shape[0] <= _ONE_HOT_ROWS:  # small vocabulary: one GEMM, not a scatter
            onehot = np.zeros((ctx.shape[0], idx.size), g.dtype)
            onehot[idx, np.arange(idx.size)] = 1
            gw = onehot @ g2
        else:
            gw = np.zeros(ctx.shape, dtype=g.dtype)
            np.add.at(gw, idx, g2)
        if ctx.pad is not None:
            gw[ctx.pad] = 0
        return gw, None
