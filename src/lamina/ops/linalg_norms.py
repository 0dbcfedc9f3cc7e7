"""Vector p-norms with torch's gradients at zeros, ties and NaNs (torch.linalg.vector_norm).

The backward follows torch's ``linalg_vector_norm_backward`` case by case, so the gradient
where torch's formula has a removable singularity is the same number torch gives:

* ``ord=2``: ``x / norm``, 0 where the norm is 0;
* ``ord=±inf``: the gradient is split evenly over the elements equal to the extreme; a NaN
  element counts as one of them, and ``sign(NaN) = 0`` (torch's ``sgn``) makes it 0;
* ``ord < 1``: ``sign(x) |x|^(ord-1) norm^(1-ord)``, 0 at zero elements;
* other ``ord``: ``sgn(x) |x|^(ord-1) / norm^(ord-1)``, 0 where the norm is 0;
* ``ord=0`` counts non-zeros: it has no gradient (None), as in torch.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from .reduce import _drop, _expand, norm_axis


def _sgn(x: np.ndarray) -> np.ndarray:
    """torch.sgn on reals: sign with sgn(NaN) = 0."""
    return np.nan_to_num(np.sign(x), nan=0.0)


def _ord_name(p: float) -> str:
    return "inf" if p == np.inf else "-inf"


def vector_norm_array(x: np.ndarray, p: float, axis) -> np.ndarray:
    """The p-norm over ``axis`` (NumPy axis or None), kept dims."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if p == 2:
            return np.sqrt(np.sum(x * x, axis=axis, keepdims=True))
        a = np.abs(x)
        if p == 0:
            return np.sum(x != 0, axis=axis, keepdims=True).astype(x.dtype)
        if p == 1:
            return np.sum(a, axis=axis, keepdims=True)
        if p == np.inf:
            return np.max(a, axis=axis, keepdims=True)
        if p == -np.inf:
            return np.min(a, axis=axis, keepdims=True)
        return np.sum(a**p, axis=axis, keepdims=True) ** (1.0 / p)


class VectorNorm(Op):
    """p-norm over ``axis`` (None: every element) for any real ``p`` (torch.linalg.vector_norm)."""

    ctx_attrs = ("p", "axis", "keepdim")

    @staticmethod
    def forward(ctx, x, *, p=2.0, axis=None, keepdim=False):
        axis = norm_axis(axis, x.ndim)
        axes = range(x.ndim) if axis is None else ((axis,) if isinstance(axis, int) else axis)
        if np.isinf(p) and x.size == 0:
            empty = [a for a in axes if x.shape[a] == 0]
            if axis is None:
                raise RuntimeError(
                    f"linalg.vector_norm cannot compute the {_ord_name(p)} norm on an empty "
                    "tensor because the operation does not have an identity"
                )
            if empty:  # torch's wording, missing space included
                raise RuntimeError(
                    f"linalg.vector_norm cannot compute the {_ord_name(p)} norm on the "
                    f"dimension {empty[0]}because this dimension is empty and the operation "
                    "does not have an identity"
                )
        y = vector_norm_array(x, p, axis)
        ctx.save_for_backward(x, y)
        ctx.p, ctx.axis, ctx.keepdim = p, axis, keepdim
        return _drop(y, axis, keepdim)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved
        p = ctx.p
        if p == 0:  # a count: torch leaves the input's gradient undefined
            return (None,)
        g = _expand(g, x.shape, ctx.axis, ctx.keepdim)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if p == 1:
                gx = _sgn(x) * g
            elif p == 2:
                gx = g * np.where(y == 0, 0.0, x / y)
            elif np.isinf(p):
                a = np.abs(x)
                mask = (a == y) | np.isnan(a)
                count = mask.sum(axis=ctx.axis, keepdims=True).astype(g.dtype)
                gx = _sgn(x) * ((g / count) * mask)
            elif p < 1:
                scaled = np.where(x == 0, 0.0, _sgn(x) * np.abs(x) ** (p - 1))
                gx = scaled * g * y ** (1 - p)
            else:
                scale = np.where(y == 0, 0.0, g / y ** (p - 1))
                a = np.abs(x)  # for p < 2, |x|^(p-2) is inf at 0: write it sgn(x)|x|^(p-1)
                gx = (_sgn(x) * a ** (p - 1) if p < 2 else x * a ** (p - 2)) * scale
        return (gx.astype(x.dtype, copy=False),)
