"""Indexing ops: getitem, gather, scatter_add, index_select, masked_fill, tril/triu."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op


def _is_basic(key) -> bool:
    keys = key if isinstance(key, tuple) else (key,)
    return all(k is None or k is Ellipsis or isinstance(k, (int, np.integer, slice)) for k in keys)


class GetItem(Op):
    """x[key]; with integer-array or mask keys a repeated index accumulates its gradient."""

    ctx_attrs = ("shape", "key")
    is_view = True

    @staticmethod
    def forward(ctx, x, *, key):
        ctx.shape, ctx.key = x.shape, key
        return x[key]

    @staticmethod
    def backward(ctx, g):
        gx = np.zeros(ctx.shape, dtype=g.dtype)
        if _is_basic(ctx.key):
            gx[ctx.key] = g
        else:
            np.add.at(gx, ctx.key, g)
        return (gx,)


class Gather(Op):
    """torch.gather(x, dim, index)."""

    ctx_attrs = ("shape", "axis", "index")

    @staticmethod
    def forward(ctx, x, index, *, axis):
        ctx.shape, ctx.axis, ctx.index = x.shape, axis, index
        return np.take_along_axis(x, index, axis=axis)

    @staticmethod
    def backward(ctx, g):
        gx = np.zeros(ctx.shape, dtype=g.dtype)
        _scatter_add(gx, ctx.axis, ctx.index, g)
        return gx, None


def _scatter_add(out, axis, index, src):
    """out[..., index[i], ...] += src[i] along axis (in place, repeats accumulate)."""
    idx = list(np.indices(index.shape, sparse=True))
    idx[axis] = index
    np.add.at(out, tuple(idx), src[tuple(slice(0, s) for s in index.shape)])


class ScatterAdd(Op):
    """torch.scatter_add(x, dim, index, src)."""

    ctx_attrs = ("axis", "index", "src_shape")

    @staticmethod
    def forward(ctx, x, index, src, *, axis):
        ctx.axis, ctx.index, ctx.src_shape = axis, index, src.shape
        out = x.copy()
        _scatter_add(out, axis, index, src)
        return out

    @staticmethod
    def backward(ctx, g):
        gsrc = None
        if ctx.needs_input_grad[2]:
            gsrc = np.zeros(ctx.src_shape, dtype=g.dtype)
            sl = tuple(slice(0, s) for s in ctx.index.shape)
            gsrc[sl] = np.take_along_axis(g, ctx.index, axis=ctx.axis)
        return g, None, gsrc


class IndexSelect(Op):
    ctx_attrs = ("shape", "axis", "index")

    @staticmethod
    def forward(ctx, x, index, *, axis):
        ctx.shape, ctx.axis, ctx.index = x.shape, axis, index
        return np.take(x, index, axis=axis)

    @staticmethod
    def backward(ctx, g):
        gx = np.zeros(ctx.shape, dtype=g.dtype)
        key = [slice(None)] * len(ctx.shape)
        key[ctx.axis] = ctx.index
        np.add.at(gx, tuple(key), g)
        return gx, None


class MaskedFill(Op):
    ctx_attrs = ("mask",)

    @staticmethod
    def forward(ctx, x, mask, *, value):
        mask = np.asarray(mask, dtype=bool)
        ctx.mask = mask
        return np.where(mask, np.asarray(value, dtype=x.dtype), x)

    @staticmethod
    def backward(ctx, g):
        return np.where(ctx.mask, np.zeros((), g.dtype), g), None


class Tri(Op):
    """tril (upper=False) or triu (upper=True) of the last two dims, with diagonal offset."""

    ctx_attrs = ("diagonal", "upper")

    @staticmethod
    def forward(ctx, x, *, diagonal=0, upper=False):
        ctx.diagonal, ctx.upper = diagonal, upper
        return np.triu(x, diagonal) if upper else np.tril(x, diagonal)

    @staticmethod
    def backward(ctx, g):
        f = np.triu if ctx.upper else np.tril
        return (f(g, ctx.diagonal),)
