"""Scans along one dim: cumsum and cumprod (torch.cumsum, torch.cumprod)."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op


def _rev_cumsum(a: np.ndarray, axis: int) -> np.ndarray:
    return np.flip(np.cumsum(np.flip(a, axis), axis=axis), axis)


class CumSum(Op):
    """Running sum along ``axis``; backward is the reversed running sum."""

    ctx_attrs = ("axis",)

    @staticmethod
    def forward(ctx, x, *, axis):
        ctx.axis = axis
        return x.copy() if x.ndim == 0 else np.cumsum(x, axis=axis)

    @staticmethod
    def backward(ctx, g):
        return (g if g.ndim == 0 else _rev_cumsum(g, ctx.axis),)


class CumProd(Op):
    """Running product along ``axis``; exact gradient also where ``x`` has zeros."""

    ctx_attrs = ("axis",)

    @staticmethod
    def forward(ctx, x, *, axis):
        ctx.axis = axis
        y = x.copy() if x.ndim == 0 else np.cumprod(x, axis=axis)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved
        if x.ndim == 0:
            return (g,)
        if np.all(x != 0):
            return (_rev_cumsum(g * y, ctx.axis) / x,)
        # d y_j / d x_i = prod_{k <= j, k != i} x_k: one pass per position i (O(n^2))
        xm, gm = np.moveaxis(x, ctx.axis, -1), np.moveaxis(g, ctx.axis, -1)
        gx = np.zeros_like(xm)
        n = xm.shape[-1]
        for i in range(n):
            left = np.prod(xm[..., :i], axis=-1, keepdims=True)
            right = np.cumprod(
                np.concatenate([np.ones_like(xm[..., :1]), xm[..., i + 1 :]], -1), -1
            )
            gx[..., i] = np.sum(gm[..., i:] * left * right, axis=-1)
        return (np.moveaxis(gx, -1, ctx.axis),)
