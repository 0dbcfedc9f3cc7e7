"""Reductions over one dimension, several, or all: sum, mean, var, max/min, prod, ...

``axis`` is None (all), an int or a tuple of ints; ``keepdim`` as torch.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Op
from .dims import wrap_dims


def norm_axis(axis, ndim: int):
    """torch's reduction dims as a NumPy axis: None, () and [] reduce every dim, negative
    dims wrap, a 0-d array takes dim 0 or -1 (reducing its one element); IndexError when
    out of range."""
    if axis is None or (isinstance(axis, (tuple, list)) and len(axis) == 0):
        return None
    dims = wrap_dims(axis, ndim)
    if ndim == 0:
        return None
    return dims[0] if isinstance(axis, int) else dims


def check_nonempty(x: np.ndarray, axis, name: str) -> None:
    """max/min-like reductions have no identity: reducing a size-0 dim raises as torch."""
    if x.size:
        return
    if axis is None:
        raise RuntimeError(
            f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
            "Specify the reduction dim with the 'dim' argument."
        )
    axes = (axis,) if isinstance(axis, int) else axis
    if any(x.shape[a] == 0 for a in axes):
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")


def float_only(x: np.ndarray, what: str) -> None:
    if x.dtype.kind not in "fc":
        raise RuntimeError(f"{what} only supports floating point and complex dtypes, got {x.dtype}")


def _expand(g, shape, axis, keepdim):
    """Bring a reduced gradient back to broadcast against the input."""
    if axis is None:
        return g.reshape((1,) * len(shape)) if len(shape) else g
    if not keepdim:
        axes = (axis,) if isinstance(axis, int) else axis
        g = np.expand_dims(g, tuple(a % len(shape) for a in axes))
    return g


def _spread(g, shape):
    """``g`` broadcast to ``shape``: a read-only view, or for a small result a filled array
    (np.broadcast_to's set-up costs more than filling a few thousand elements)."""
    if g.size == 1 and math.prod(shape) <= 4096:
        return np.full(shape, g.reshape(()), dtype=g.dtype)
    return np.broadcast_to(g, shape)


def _drop(y, axis, keepdim):
    """A result reduced with keepdims=True, shaped as the caller's keepdim asks."""
    if keepdim:
        return y
    return y.reshape(()) if axis is None else np.squeeze(y, axis)


def _count(shape, axis):
    if axis is None:
        return int(np.prod(shape))
    axes = (axis,) if isinstance(axis, int) else axis
    return int(np.prod([shape[a] for a in axes]))


class Sum(Op):
    ctx_attrs = ("shape", "axis", "keepdim")

    @staticmethod
    def forward(ctx, x, *, axis=None, keepdim=False):
        axis = norm_axis(axis, x.ndim)
        ctx.shape, ctx.axis, ctx.keepdim = x.shape, axis, keepdim
        return x.sum(axis=axis, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        g = _expand(g, ctx.shape, ctx.axis, ctx.keepdim)
        return (_spread(g, ctx.shape),)


class Mean(Op):
    ctx_attrs = ("shape", "axis", "keepdim")

    @staticmethod
    def forward(ctx, x, *, axis=None, keepdim=False):
        axis = norm_axis(axis, x.ndim)
        ctx.shape, ctx.axis, ctx.keepdim = x.shape, axis, keepdim
        return x.mean(axis=axis, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        n = _count(ctx.shape, ctx.axis)
        g = _expand(g, ctx.shape, ctx.axis, ctx.keepdim) / max(n, 1)
        return (_spread(g, ctx.shape),)


class Var(Op):
    """Variance with torch's ``correction`` (1 = unbiased, the default)."""

    ctx_attrs = ("axis", "keepdim", "denom")

    @staticmethod
    def forward(ctx, x, *, axis=None, correction=1, keepdim=False):
        float_only(x, "std and var")
        axis = norm_axis(axis, x.ndim)
        mu = np.mean(x, axis=axis, keepdims=True)
        d = x - mu
        n = _count(x.shape, axis)
        ctx.save_for_backward(d)
        ctx.axis, ctx.keepdim, ctx.denom = axis, keepdim, max(n - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sum(d * d, axis=axis, keepdims=keepdim) / np.asarray(ctx.denom, d.dtype)

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved
        g = _expand(g, d.shape, ctx.axis, ctx.keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g * d * np.asarray(2.0 / ctx.denom if ctx.denom else np.inf, d.dtype),)


class Std(Var):
    """Standard deviation with ``correction``; where it is 0 (constant data) the gradient
    is 0, not NaN, as torch's std_backward."""

    ctx_attrs = ("std",)

    @staticmethod
    def forward(ctx, x, *, axis=None, correction=1, keepdim=False):
        y = np.sqrt(Var.forward(ctx, x, axis=axis, correction=correction, keepdim=keepdim))
        ctx.std = y
        return y

    @staticmethod
    def backward(ctx, g):
        with np.errstate(divide="ignore", invalid="ignore"):
            gv = np.where(ctx.std == 0, np.zeros((), g.dtype), g / (2 * ctx.std))
        return Var.backward(ctx, gv)


class MaxMin(Op):
    """max or min over all elements (ties share the gradient) or one dim (to the index)."""

    ctx_attrs = ("shape", "axis", "keepdim", "idx")

    @staticmethod
    def forward(ctx, x, *, axis=None, keepdim=False, largest=True):
        if x.ndim == 0 and axis is not None:  # max(dim=0) of a 0-d tensor is the tensor
            norm_axis(axis, 0)
            ctx.shape, ctx.axis, ctx.keepdim = x.shape, None, keepdim
            ctx.save_for_backward(np.ones((), bool))
            return x.copy()
        check_nonempty(
            x, None if axis is None else norm_axis(axis, x.ndim), "max" if largest else "min"
        )
        ctx.shape, ctx.axis, ctx.keepdim = x.shape, axis, keepdim
        if axis is None:
            y = np.max(x) if largest else np.min(x)
            # torch's evenly_distribute_backward: a NaN result goes to the NaN elements
            ctx.save_for_backward(np.isnan(x) if np.isnan(y) else x == y)
            return np.asarray(y)
        idx = np.argmax(x, axis=axis) if largest else np.argmin(x, axis=axis)
        ctx.idx = np.expand_dims(idx, axis)
        y = np.take_along_axis(x, ctx.idx, axis=axis)
        return y if keepdim else np.squeeze(y, axis)

    @staticmethod
    def backward(ctx, g):
        if ctx.axis is None:
            (mask,) = ctx.saved
            return (mask * (g / mask.sum()).astype(g.dtype),)
        gx = np.zeros(ctx.shape, dtype=g.dtype)
        g = g if ctx.keepdim else np.expand_dims(g, ctx.axis)
        np.put_along_axis(gx, ctx.idx, g, axis=ctx.axis)
        return (gx,)


class LogSumExp(Op):
    ctx_attrs = ("axis", "keepdim")

    @staticmethod
    def forward(ctx, x, *, axis=None, keepdim=False):
        x = x.astype(np.float32) if x.dtype.kind in "biu" else x  # torch: default float
        axis = norm_axis(axis, x.ndim)
        m = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
        m = np.where(np.isfinite(m), m, 0)
        with np.errstate(divide="ignore"):  # an empty or all -inf slice gives -inf
            s = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
        ctx.save_for_backward(x, s)
        ctx.axis, ctx.keepdim = axis, keepdim
        return _drop(s, axis, keepdim)

    @staticmethod
    def backward(ctx, g):
        x, s = ctx.saved
        g = _expand(g, x.shape, ctx.axis, ctx.keepdim)
        return (g * np.exp(x - s),)


class Prod(Op):
    ctx_attrs = ("axis", "keepdim")

    @staticmethod
    def forward(ctx, x, *, axis=None, keepdim=False):
        axis = norm_axis(axis, x.ndim)
        y = np.prod(x, axis=axis, keepdims=True)
        ctx.save_for_backward(x, y)
        ctx.axis, ctx.keepdim = axis, keepdim
        return _drop(y, axis, keepdim)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved
        g = _expand(g, x.shape, ctx.axis, ctx.keepdim)
        if np.all(x != 0):
            return (g * y / x,)
        # zeros present: product of the others, computed by exclusion (small inputs only)
        axis = ctx.axis
        if axis is None:
            flat = x.reshape(-1)
            others = np.array([np.prod(np.delete(flat, i)) for i in range(flat.size)])
            return (g * others.reshape(x.shape).astype(x.dtype),)
        left = np.cumprod(
            np.concatenate(
                [np.ones_like(np.take(x, [0], axis)), np.take(x, range(x.shape[axis] - 1), axis)],
                axis,
            ),
            axis,
        )
        xr = np.flip(x, axis)
        right = np.flip(
            np.cumprod(
                np.concatenate(
                    [
                        np.ones_like(np.take(xr, [0], axis)),
                        np.take(xr, range(x.shape[axis] - 1), axis),
                    ],
                    axis,
                ),
                axis,
            ),
            axis,
        )
        return (g * left * right,)


class AMaxMin(Op):
    """amax/amin over ``axis`` (None, an int or a tuple); tied extremes share the gradient."""

    ctx_attrs = ("axis", "keepdim")

    @staticmethod
    def forward(ctx, x, *, axis=None, keepdim=False, largest=True):
        axis = norm_axis(axis, x.ndim)
        check_nonempty(x, axis, "amax" if largest else "amin")
        f = np.max if largest else np.min
        y = f(x, axis=axis, keepdims=True)
        ctx.axis, ctx.keepdim = axis, keepdim
        ctx.save_for_backward(x, y)
        return _drop(y, axis, keepdim)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved
        g = _expand(g, x.shape, ctx.axis, ctx.keepdim)
        # torch's scale_grad_by_count: (g / count) * mask, so a slice whose extreme is NaN
        # (no element equals it) gets NaN everywhere, and a NaN gradient spreads the same way
        mask = x == y
        count = mask.sum(axis=ctx.axis, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (((g / count.astype(g.dtype)) * mask).astype(x.dtype),)
