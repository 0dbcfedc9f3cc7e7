"""Small linear-algebra ops: cross product, diagonals, the matrix exponential."""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Op
from .linalg_solve import check_square, mT


class Cross(Op):
    """a x b along ``axis`` of size 3, batches broadcast (torch.linalg.cross)."""

    ctx_attrs = ("axis",)

    @staticmethod
    def forward(ctx, a, b, *, axis=-1):
        ctx.axis = axis
        ctx.save_for_backward(a, b)
        return np.cross(a, b, axis=axis)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        need, ax = ctx.needs_input_grad, ctx.axis
        ga = np.cross(b, g, axis=ax) if need[0] else None
        gb = np.cross(g, a, axis=ax) if need[1] else None
        return ga, gb


class Diagonal(Op):
    """The ``offset`` diagonal of the (dim1, dim2) planes, moved last (torch.diagonal): a
    view of x (writable where x is), so in-place ops on it change x, as torch's."""

    ctx_attrs = ("shape", "offset", "dims")
    is_view = True

    @staticmethod
    def forward(ctx, x, *, offset=0, dim1=-2, dim2=-1):
        ctx.shape, ctx.offset, ctx.dims = x.shape, offset, (dim1, dim2)
        view = np.diagonal(x, offset, dim1, dim2)  # read-only in NumPy
        if not x.flags.writeable or view.size == 0:
            return view.copy()
        # a writable view starting at the diagonal's first element, with the same strides
        start = np.moveaxis(x, (dim1, dim2), (-2, -1))[..., max(-offset, 0) :, max(offset, 0) :]
        return np.lib.stride_tricks.as_strided(start, view.shape, view.strides, writeable=True)

    @staticmethod
    def backward(ctx, g):
        gx = np.zeros(ctx.shape, g.dtype)
        d1, d2 = ctx.dims
        view = np.moveaxis(gx, (d1, d2), (-2, -1))  # a view: writes land in gx
        k = g.shape[-1]
        i = np.arange(k) + max(-ctx.offset, 0)
        view[..., i, i + ctx.offset] = g
        return (gx,)


def _expm(a: np.ndarray) -> np.ndarray:
    """exp(A) by scaling and squaring with an 18-term Taylor series (to float64 rounding
    for ||A / 2^s||_1 <= 1/2)."""
    norm = np.abs(a).sum(axis=-2).max(axis=-1, initial=0.0) if a.size else np.zeros(0)
    top = float(np.max(norm, initial=0.0))
    s = max(0, math.ceil(math.log2(top / 0.5))) if top > 0.5 and np.isfinite(top) else 0
    x = a / (2.0**s)
    eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
    out, term = eye.copy(), eye.copy()
    for k in range(1, 19):
        term = term @ x / k
        out = out + term
    for _ in range(s):
        out = out @ out
    return out


class MatrixExp(Op):
    """exp(A) of square matrices (torch.linalg.matrix_exp); backward reads the gradient off
    the exponential of the block matrix [[A^T, G], [0, A^T]] (Mathias 1996), as torch does."""

    @staticmethod
    def forward(ctx, a):
        # computed in float64, so half precision works as in torch
        check_square(a.astype(np.float32) if a.dtype == np.float16 else a, "linalg.matrix_exp")
        ctx.save_for_backward(a)
        return _expm(a.astype(np.float64)).astype(a.dtype)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved
        n = a.shape[-1]
        shape = np.broadcast_shapes(a.shape, g.shape)
        big = np.zeros(shape[:-2] + (2 * n, 2 * n))
        at = mT(a)
        big[..., :n, :n] = at
        big[..., n:, n:] = at
        big[..., :n, n:] = g
        return (_expm(big)[..., :n, n:].astype(a.dtype),)
