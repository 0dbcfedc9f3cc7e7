"""Indexing ops: getitem, gather, scatter_add, index_select, masked_fill, tril/triu."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from .dims import wrap_dim
from .elementwise import check_broadcast


def is_basic(key) -> bool:
    """Whether ``key`` holds only ints, slices, None and Ellipsis (a view in NumPy)."""
    keys = key if isinstance(key, tuple) else (key,)
    return all(k is None or k is Ellipsis or isinstance(k, (int, np.integer, slice)) for k in keys)


def _int_empty(k):
    """``x[[]]``: an empty list reads as a float array in NumPy; torch takes it as indices."""
    if isinstance(k, np.ndarray) and k.size == 0 and k.dtype.kind == "f":
        return k.astype(np.intp)
    return k


def _is_int(k) -> bool:
    return isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_))


def split_key(key):
    """torch applies ints, slices, None and Ellipsis first (a view), then the index arrays
    to what is left; NumPy treats ints beside arrays as arrays (other dims, other order).
    For a key with both, (basic key, advanced key on its result); else None."""
    keys = key if isinstance(key, tuple) else (key,)
    arrays = [k for k in keys if isinstance(k, np.ndarray) and k.ndim > 0]
    if not arrays or not any(_is_int(k) for k in keys):
        return None
    first, then = [], []
    for k in keys:
        if isinstance(k, np.ndarray) and k.ndim > 0:
            n = k.ndim if k.dtype == np.bool_ else 1  # a mask spans its dims
            first += [slice(None)] * n
            then.append(k)
        elif _is_int(k):
            first.append(k)
        else:
            first.append(k)
            then.append(Ellipsis if k is Ellipsis else slice(None))
    return tuple(first), tuple(then)


def take(x, key):
    """x[key] with torch's order of ints and index arrays (split_key)."""
    parts = split_key(key)
    return x[key] if parts is None else x[parts[0]][parts[1]]


def put(x, key, value, add=False):
    """x[key] = value (or += with repeats accumulating), in torch's order (split_key)."""
    parts = split_key(key)
    if parts is not None:
        x, key = x[parts[0]], parts[1]  # a view: writes land in x
    if add:
        np.add.at(x, key, value)
    else:
        x[key] = value


class GetItem(Op):
    """x[key]; with integer-array or mask keys a repeated index accumulates its gradient."""

    ctx_attrs = ("shape", "key")
    is_view = True

    @staticmethod
    def forward(ctx, x, *, key):
        key = tuple(_int_empty(k) for k in key) if isinstance(key, tuple) else _int_empty(key)
        ctx.shape, ctx.key = x.shape, key
        out = take(x, key)
        if not isinstance(out, np.ndarray):  # x[0] of a vector: a 0-d view, as torch's
            out = x[(key if isinstance(key, tuple) else (key,)) + (Ellipsis,)]
        return out

    @staticmethod
    def backward(ctx, g):
        gx = np.zeros(ctx.shape, dtype=g.dtype)
        if is_basic(ctx.key):
            gx[ctx.key] = g
        else:
            put(gx, ctx.key, g, add=True)
        return (gx,)


def check_gather_index(x_shape: tuple, axis: int, index: np.ndarray, name: str) -> int:
    """torch's rules for gather/scatter indices; returns the wrapped axis."""
    axis = wrap_dim(axis, len(x_shape))
    if index.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int64 for index, got {index.dtype}")
    if index.size == 0:  # torch checks nothing else for an empty index
        return axis
    if index.ndim != len(x_shape) and not (index.ndim <= 1 and len(x_shape) <= 1):
        raise RuntimeError(
            f"{name}(): Index tensor must have the same number of dimensions as input tensor "
            f"({index.ndim} vs {len(x_shape)})"
        )
    for d, (n, m) in enumerate(zip(index.shape, x_shape)):
        if d != axis and n > m:
            raise RuntimeError(
                f"{name}(): Size does not match at dimension {d}: index {n} > input {m}"
            )
    size = x_shape[axis] if x_shape else 1
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = index.min() if index.min() < 0 else index.max()
        raise RuntimeError(f"index {bad} is out of bounds for dimension {axis} with size {size}")
    return axis


class Gather(Op):
    """torch.gather(x, dim, index): the result has the index's shape; off the gather dim
    the index may be smaller than x (only its leading part of x is read)."""

    ctx_attrs = ("shape", "axis", "index")

    @staticmethod
    def forward(ctx, x, index, *, axis):
        axis = check_gather_index(x.shape, axis, index, "gather")
        ctx.shape, ctx.axis, ctx.index = x.shape, axis, index
        if index.size == 0:
            return np.zeros(index.shape, x.dtype)
        if x.ndim == 0:
            return np.broadcast_to(x, index.shape).copy()
        if index.ndim == 0:  # a 1-D input with a 0-d index
            return x[index].copy()
        part = x[
            tuple(slice(None) if d == axis else slice(0, n) for d, n in enumerate(index.shape))
        ]
        return np.take_along_axis(part, index, axis=axis)

    @staticmethod
    def backward(ctx, g):
        gx = np.zeros(ctx.shape, dtype=g.dtype)
        if ctx.index.size == 0:
            return gx, None
        if gx.ndim == 0:
            return g.sum().astype(g.dtype), None
        if ctx.index.ndim == 0:
            np.add.at(gx, ctx.index, g)
            return gx, None
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
        axis = wrap_dim(axis, x.ndim)
        if index.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        n = x.shape[axis] if x.ndim else 1
        if n == 0 and index.size:  # torch checks the axis before the indices (n-d inputs)
            if x.ndim <= 1:  # a vector takes torch's 1-d path: a plain bounds error
                raise IndexError("index out of range in self")
            raise RuntimeError("index_select(): self indexing axis dim should be positive")
        if index.size and (index.min() < 0 or index.max() >= n):
            raise IndexError("index out of range in self")
        if x.ndim == 0:
            if index.size != 1:
                raise RuntimeError(
                    f"index_select(): Index to scalar can have only 1 value, got {index.size} "
                    "value(s)"
                )
            x, index, axis = x.reshape(1), index.reshape(1), 0
            ctx.shape, ctx.axis, ctx.index = (1,), 0, index
            return x[index].reshape(())
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
        check_broadcast(x, mask)
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
        if x.ndim < 2:
            name = "triu" if upper else "tril"
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        ctx.diagonal, ctx.upper = diagonal, upper
        return np.triu(x, diagonal) if upper else np.tril(x, diagonal)

    @staticmethod
    def backward(ctx, g):
        f = np.triu if ctx.upper else np.tril
        return (f(g, ctx.diagonal),)
