"""Writes at index positions, out of place: torch.scatter (a source tensor or a value) and
torch.index_add. The in-place ``scatter_`` / ``index_add_`` run these on a copy and write back.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from .dims import wrap_dim
from .index import check_gather_index


def _positions(index, axis):
    """The full index tuple addressing out[..., index[i], ...] along axis."""
    idx = list(np.indices(index.shape, sparse=True))
    idx[axis] = index
    return tuple(idx)


def check_scatter(x_shape, axis, index, src_shape, name) -> int:
    """torch's scatter checks: gather's, and an index no larger than src in any dim."""
    axis = check_gather_index(x_shape, axis, index, name)
    if src_shape is not None and index.size:
        for n, m in zip(index.shape, src_shape):
            if n > m:
                raise RuntimeError(
                    f"{name}(): Expected index {list(index.shape)} to be smaller than self "
                    f"{list(x_shape)} apart from dimension {axis} and to be smaller size than "
                    f"src {list(src_shape)}"
                )
    return axis


class Scatter(Op):
    """out = x with out[..., index[i], ...] = src[i] (or ``value``) along axis.

    The gradient reaches x where nothing was written, and src at the read positions."""

    ctx_attrs = ("axis", "index", "src_shape")

    @staticmethod
    def forward(ctx, x, index, src=None, *, axis, value=None):
        axis = check_scatter(
            x.shape, axis, index, None if src is None else np.shape(src), "scatter"
        )
        ctx.axis, ctx.index, ctx.src_shape = axis, index, np.shape(src)
        out = x.copy()
        if index.size == 0:
            return out
        if x.ndim == 0:
            out[...] = value if src is None else np.asarray(src).reshape(-1)[0]
            return out
        pos = _positions(index, axis)
        if src is None:
            out[pos] = value
        else:
            out[pos] = np.asarray(src)[tuple(slice(0, s) for s in index.shape)]
        return out

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        gx = gsrc = None
        index = ctx.index
        if g.ndim == 0 and index.size:
            return (np.zeros_like(g) if need[0] else None), None, (g.copy() if need[2] else None)
        pos = _positions(index, ctx.axis) if index.size else None
        if need[0]:
            gx = g.copy()
            if pos is not None:
                gx[pos] = 0
        if need[2]:
            gsrc = np.zeros(ctx.src_shape, g.dtype)
            if pos is not None:
                gsrc[tuple(slice(0, s) for s in index.shape)] = g[pos]
        return gx, None, gsrc


class IndexAdd(Op):
    """out = x with out[..., index[i], ...] += alpha * source[..., i, ...] (torch.index_add)."""

    ctx_attrs = ("axis", "index", "alpha")

    @staticmethod
    def forward(ctx, x, index, source, *, axis, alpha=1):
        axis = wrap_dim(axis, x.ndim)
        index = np.asarray(index)
        if index.ndim > 1:
            raise IndexError("index_add_(): Index is supposed to be a vector")
        src = np.asarray(source)
        n = src.shape[axis] if src.ndim else 1
        if index.size != n:
            raise RuntimeError(
                f"index_add_(): Number of indices ({index.size}) should be equal to "
                f"source.size(dim) ({n})"
            )
        size = x.shape[axis] if x.ndim else 1
        if index.size and (index.min() < -size or index.max() >= size):
            raise IndexError("index out of range in self")
        ctx.axis, ctx.index, ctx.alpha = axis, index.reshape(-1), alpha
        out = x.copy()
        key = [slice(None)] * x.ndim
        key[axis] = ctx.index
        np.add.at(out, tuple(key) if x.ndim else ctx.index[:0], src * alpha if alpha != 1 else src)
        return out

    @staticmethod
    def backward(ctx, g):
        gsrc = None
        if ctx.needs_input_grad[2]:
            gsrc = np.take(g, ctx.index, axis=ctx.axis) * ctx.alpha if g.ndim else g * ctx.alpha
        return g, None, gsrc
