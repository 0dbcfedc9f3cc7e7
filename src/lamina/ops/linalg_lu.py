"""LU with partial pivoting (torch.linalg.lu_factor, lu_factor_ex, lu) and its backward.

The factorisation (``linalg_solve.lu_factor_array``, shared with the singular-matrix
errors) is LAPACK getrf's algorithm written over a batch in NumPy (NumPy exposes no LU):
at step j the row with the largest |entry| in column j (the first on ties) is swapped up,
and a zero pivot is recorded in ``info`` (1-based) while the elimination goes on, as getrf
does. Pivots are 1-based int32, as torch's. The backward is torch's linalg_lu_backward
(square, wide and tall cases).
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from .linalg_solve import check_float, lu_factor_array, mT


def permutation(piv: np.ndarray, m: int, dtype) -> np.ndarray:
    """P with A = P L U from getrf's 1-based row swaps."""
    flat = piv.reshape((int(np.prod(piv.shape[:-1])), piv.shape[-1]))
    perm = np.tile(np.arange(m), (flat.shape[0], 1))
    rows = np.arange(flat.shape[0])
    for j in range(flat.shape[1]):
        p = flat[:, j] - 1
        a, b = perm[rows, j].copy(), perm[rows, p].copy()
        perm[rows, j], perm[rows, p] = b, a
    eye = np.zeros((flat.shape[0], m, m), dtype)
    eye[rows[:, None], perm, np.arange(m)] = 1
    return eye.reshape(piv.shape[:-1] + (m, m))


def unpack(lu: np.ndarray):
    """Unit-lower L (m, k) and upper U (k, n) from the packed LU."""
    m, n = lu.shape[-2:]
    k = min(m, n)
    low = np.tril(lu[..., :, :k], -1)
    idx = np.arange(k)
    low[..., idx, idx] = 1
    return low, np.triu(lu[..., :k, :])


def _solve_right(t: np.ndarray, b: np.ndarray) -> np.ndarray:
    """b t^-1 (t square, invertible)."""
    return mT(np.linalg.solve(mT(t), mT(b)))


def lu_backward(p, low, up, gl, gu):
    """torch's linalg_lu_backward: the gradient of A = P L U from those of L and U."""
    m, n = low.shape[-2], up.shape[-1]
    if m == n:
        ga = np.tril(mT(low) @ gl, -1) + np.triu(gu @ mT(up))
        ga = np.linalg.solve(mT(low), _solve_right(mT(up), ga))
    elif m < n:  # wide: U = [U1 U2]
        u1 = up[..., :m]
        ga = np.tril(mT(low) @ gl - np.triu(gu) @ mT(up), -1)
        ga = _solve_right(mT(u1), ga)
        ga = np.concatenate([ga + np.triu(gu[..., :m]), gu[..., m:]], axis=-1)
        ga = np.linalg.solve(mT(low), ga)
    else:  # tall: L = [L1; L2]
        l1 = low[..., :n, :]
        ga = np.triu(gu @ mT(up) - mT(low) @ np.tril(gl, -1))
        ga = np.linalg.solve(mT(l1), ga)
        ga = np.concatenate([ga + np.tril(gl[..., :n, :], -1), gl[..., n:, :]], axis=-2)
        ga = _solve_right(mT(up), ga)
    return p @ ga


def _check(a: np.ndarray, name: str) -> None:
    if a.ndim < 2:
        raise RuntimeError(
            f"{name}: Expected tensor with 2 or more dimensions. Got size: {list(a.shape)} instead"
        )
    check_float(a, name, kernel="lu_cpu", ints=True)


class LUFactor(Op):
    """(LU, pivots, info) (torch.linalg.lu_factor_ex); the gradient flows through LU."""

    @staticmethod
    def forward(ctx, a):
        _check(a, "torch.lu_factor")
        lu, piv, info = lu_factor_array(a)
        ctx.save_for_backward(lu, piv)
        return lu, piv, info

    @staticmethod
    def backward(ctx, glu, _gpiv, _ginfo):
        lu, piv = ctx.saved
        low, up = unpack(lu)
        k = min(lu.shape[-2:])
        gl, gu = np.tril(glu[..., :, :k], -1), np.triu(glu[..., :k, :])
        return (lu_backward(permutation(piv, lu.shape[-2], lu.dtype), low, up, gl, gu),)


class LU(Op):
    """(P, L, U) with A = P L U (torch.linalg.lu)."""

    @staticmethod
    def forward(ctx, a):
        _check(a, "linalg.lu")
        lu, piv, _ = lu_factor_array(a)
        p = permutation(piv, a.shape[-2], a.dtype)
        low, up = unpack(lu)
        ctx.save_for_backward(p, low, up)
        return p, low, up

    @staticmethod
    def backward(ctx, _gp, gl, gu):
        p, low, up = ctx.saved
        return (lu_backward(p, low, up, gl, gu),)
