"""Matrix products: matmul (1-D, 2-D, batched with broadcasting) and the fused linear."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ._parallel import matmul


def _dense(g):
    """A gradient BLAS can take: a broadcast view (``x.sum()``'s backward hands one down)
    has zero strides, and NumPy's matmul falls back to a slow loop on it."""
    return g if g.flags.c_contiguous or 0 not in g.strides else np.ascontiguousarray(g)


def check_matmul(a: tuple, b: tuple) -> None:
    """Raise torch's RuntimeError for operands matmul cannot multiply."""
    if not a or not b:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {len(a)}D and {len(b)}D"
        )
    k_b = b[0] if len(b) == 1 else b[-2]
    if a[-1] != k_b:
        left = "x".join(map(str, a if len(a) == 1 else a[-2:]))
        right = "x".join(map(str, b if len(b) == 1 else b[-2:]))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({left} and {right})")
    batch_a, batch_b = a[:-2], b[:-2]
    for x, y in zip(reversed(batch_a), reversed(batch_b)):
        if x != y and 1 not in (x, y):
            raise RuntimeError(
                f"matmul: batch dims {batch_a} and {batch_b} cannot be broadcast together"
            )


class MatMul(Op):
    """a @ b with NumPy's matmul semantics (torch.matmul)."""

    @staticmethod
    def forward(ctx, a, b):
        check_matmul(np.shape(a), np.shape(b))
        da, db = np.asarray(a).dtype, np.asarray(b).dtype
        if da != db:  # torch's matmul does not promote
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {da} != {db}")
        ctx.save_for_backward(a, b)
        return matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        need = ctx.needs_input_grad
        g = _dense(g)
        if a.ndim == 1 and b.ndim == 1:  # dot product
            return (g * b if need[0] else None), (g * a if need[1] else None)
        a2 = a[None, :] if a.ndim == 1 else a  # promote vectors as matmul does
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1:
            g = np.expand_dims(g, -2)
        if b.ndim == 1:
            g = np.expand_dims(g, -1)
        ga = gb = None
        if need[0]:
            ga = matmul(g, np.swapaxes(b2, -1, -2))
            if a.ndim == 1:
                ga = ga.sum(axis=tuple(range(ga.ndim - 1)))  # fine with a size-0 vector
        if need[1]:
            if b2.ndim == 2 and a2.ndim > 2:  # batched a, shared b: fold the batch, one GEMM
                gb = matmul(a2.reshape(-1, a2.shape[-1]).T, g.reshape(-1, g.shape[-1]))
            else:
                gb = matmul(np.swapaxes(a2, -1, -2), g)
            if b.ndim == 1:
                gb = gb[..., 0]  # (..., n, 1) -> (..., n)
                gb = gb.sum(axis=tuple(range(gb.ndim - 1)))
        return ga, gb


class Linear(Op):
    """y = x @ weight.T + bias; weight is (out, in) as in torch.nn.Linear."""

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        ctx.save_for_backward(x, weight)
        y = matmul(x, weight.T)
        if bias is not None:
            y += bias
        return y

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved
        need = ctx.needs_input_grad
        g = _dense(g)
        g2 = g.reshape(-1, g.shape[-1])
        dx = matmul(g, weight) if need[0] else None
        dw = matmul(g2.T, x.reshape(-1, x.shape[-1])) if need[1] else None
        db = np.ones(g2.shape[0], g2.dtype) @ g2 if need[2] else None  # column sums, one GEMV
        return dx, dw, db
