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
        # torch's cumprod_backward with zeros, per slice with first zero at z: positions
        # before z take sum_{j<z} g_j y_j / x_k, position z takes
        # sum_{j>=z} g_j prod_{i<=j, i!=z} x_i, positions after z get 0 (no inf * 0 terms)
        xm, gm = np.moveaxis(x, ctx.axis, -1), np.moveaxis(g, ctx.axis, -1)
        ym = np.moveaxis(y, ctx.axis, -1)
        n = xm.shape[-1]
        zero = xm == 0
        z = np.where(zero.any(-1), np.argmax(zero, -1), n)[..., None]  # (..., 1)
        k = np.arange(n)
        with np.errstate(divide="ignore", invalid="ignore"):
            before = _rev_cumsum(np.where(k < z, gm * ym, 0), -1) / np.where(k < z, xm, 1)
        gx = np.where(k < z, before, 0).astype(xm.dtype)
        for i in range(n):
            at = z[..., 0] == i
            if not at.any():
                continue
            left = np.prod(xm[..., :i], axis=-1, keepdims=True)
            right = np.cumprod(
                np.concatenate([np.ones_like(xm[..., :1]), xm[..., i + 1 :]], -1), -1
            )
            with np.errstate(invalid="ignore", over="ignore"):
                val = np.sum(gm[..., i:] * left * right, axis=-1)
            gx[..., i] = np.where(at, val, gx[..., i])
        return (np.moveaxis(gx, -1, ctx.axis),)
