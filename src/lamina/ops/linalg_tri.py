"""Triangular solves and diagonal embedding (torch.linalg.solve_triangular, torch.diag_embed)."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from .linalg_solve import check_float, check_square, mT


def _triangle(a: np.ndarray, upper: bool, unit: bool) -> np.ndarray:
    t = np.triu(a) if upper else np.tril(a)
    if unit:
        idx = np.arange(a.shape[-1])
        t[..., idx, idx] = 1
    return t


def _substitute(t: np.ndarray, b: np.ndarray, upper: bool) -> np.ndarray:
    """Back/forward substitution (what LAPACK's trsm does): a zero on the diagonal gives
    inf/NaN instead of an error, as torch's."""
    n = t.shape[-1]
    shape = np.broadcast_shapes(t.shape[:-2], b.shape[:-2]) + b.shape[-2:]
    x = np.zeros(shape, np.result_type(t, b))
    order = range(n - 1, -1, -1) if upper else range(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in order:
            acc = b[..., i, :] - np.einsum("...j,...jk->...k", t[..., i, :], x)
            x[..., i, :] = acc / t[..., i, i, None]
    return x


def tri_solve(t: np.ndarray, b: np.ndarray, upper: bool) -> np.ndarray:
    try:
        return np.linalg.solve(t, b)
    except np.linalg.LinAlgError:
        return _substitute(t, b, upper)


class SolveTriangular(Op):
    """X with AX = B (or XA = B) for triangular A, read from its ``upper`` or lower triangle
    (torch.linalg.solve_triangular); the gradient of A stays in that triangle."""

    ctx_attrs = ("upper", "left", "unit")

    @staticmethod
    def forward(ctx, a, b, *, upper, left=True, unitriangular=False):
        k = "triangular_solve_cpu"
        check_square(a, "linalg.solve_triangular", kernel=k, ints=True)
        check_float(b, "linalg.solve_triangular", kernel=k, ints=True)
        if b.ndim < 2:
            raise RuntimeError(
                "linalg.solve_triangular: The input tensor B must have at least 2 dimensions."
            )
        n, k = a.shape[-1], b.shape[-2 if left else -1]
        if n != k:
            eq = "AX = B" if left else "XA = B"
            raise RuntimeError(
                f"linalg.solve_triangular: Incompatible shapes of A and B for the equation "
                f"{eq} ({n}x{n} and {b.shape[-2]}x{b.shape[-1]})"
            )
        t = _triangle(a, upper, unitriangular)
        ctx.upper, ctx.left, ctx.unit = upper, left, unitriangular
        # XA = B is A^T X^T = B^T, with the other triangle
        tl, bl, up = (t, b, upper) if left else (mT(t), mT(b), not upper)
        x = tri_solve(tl, bl, up)
        ctx.save_for_backward(tl, x)
        return (x if left else mT(x)).astype(np.result_type(a, b), copy=False)

    @staticmethod
    def backward(ctx, g):
        tl, x = ctx.saved
        up = ctx.upper if ctx.left else not ctx.upper
        gl = g if ctx.left else mT(g)
        gb = tri_solve(mT(tl), gl, not up)
        ga = -(gb @ mT(x))
        ga = mT(ga) if not ctx.left else ga
        k = 1 if ctx.unit else 0
        ga = np.triu(ga, k) if ctx.upper else np.tril(ga, -k)
        need = ctx.needs_input_grad
        return (ga if need[0] else None), ((gb if ctx.left else mT(gb)) if need[1] else None)


class DiagEmbed(Op):
    """Matrices whose (dim1, dim2) ``offset`` diagonal holds x's last dim (torch.diag_embed)."""

    ctx_attrs = ("offset", "dims")

    @staticmethod
    def forward(ctx, x, *, offset=0, dim1=-2, dim2=-1):
        k = x.shape[-1] + abs(offset)
        nd = x.ndim + 1
        d1, d2 = dim1 % nd, dim2 % nd
        ctx.offset, ctx.dims = offset, (d1, d2)
        out = np.zeros(x.shape[:-1] + (k, k), x.dtype)
        i = np.arange(x.shape[-1])
        r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
        out[..., r, c] = x
        return np.moveaxis(out, (-2, -1), (d1, d2))

    @staticmethod
    def backward(ctx, g):
        d1, d2 = ctx.dims
        return (np.diagonal(g, ctx.offset, d1, d2).copy(),)
