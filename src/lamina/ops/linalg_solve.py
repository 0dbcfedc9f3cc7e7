"""Inverses, determinants, linear solves and Cholesky on batches of matrices (torch.linalg).

NumPy's LAPACK calls do the work (getrf/getri/gesv/potrf, the routines torch calls on the
CPU). When LAPACK reports a singular or non positive-definite matrix, the failing batch
element and pivot are found again here, so the error names them as torch's does.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op


class LinAlgError(RuntimeError):
    """A matrix is singular or not positive-definite (torch.linalg.LinAlgError)."""


def mT(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


_TORCH_NAMES = {
    "int64": "Long",
    "int32": "Int",
    "int16": "Short",
    "int8": "Char",
    "uint8": "Byte",
    "bool": "Bool",
    "float16": "Half",
    "float32": "Float",
    "float64": "Double",
}


def torch_type(dtype) -> str:
    """torch's scalar-type name of a NumPy dtype (``Float``, ``Long``...)."""
    return _TORCH_NAMES.get(np.dtype(dtype).name, str(dtype))


def check_float(a: np.ndarray, name: str, kernel: str | None = None, ints: bool = False) -> None:
    """float32/float64 only, refused with the message torch gives: its kernel's name
    (``"lu_cpu" not implemented for 'Half'``) where it has one, for ints too when ``ints``."""
    t = torch_type(a.dtype)
    if a.dtype.kind != "f" and not (ints and kernel):
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {t}")
    if a.dtype.kind != "f" or a.dtype.itemsize < 4:
        if kernel:
            raise RuntimeError(f"\"{kernel}\" not implemented for '{t}'")
        raise RuntimeError(f"{name}: Low precision dtypes not supported. Got {t}")


def check_square(
    a: np.ndarray, name: str, arg: str = "A", kernel: str | None = None, ints: bool = False
) -> None:
    """torch's checks on a batch of square float matrices."""
    check_float(a, name, kernel, ints)
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {arg} must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(
            f"{name}: {arg} must be batches of square matrices, but they are "
            f"{a.shape[-2]} by {a.shape[-1]} matrices"
        )


def _batch(i: int, a: np.ndarray) -> str:
    return f"(Batch element {i}): " if a.ndim > 2 else ""


def lu_factor_array(a: np.ndarray):
    """(LU, pivots, info) of a batch (..., m, n) of matrices."""
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    lu = np.array(a, dtype=a.dtype).reshape((int(np.prod(batch)), m, n))
    b = np.arange(lu.shape[0])
    piv = np.zeros((lu.shape[0], k), np.int32)
    info = np.zeros(lu.shape[0], np.int32)
    with np.errstate(divide="ignore", invalid="ignore"):
        for j in range(k):
            p = j + np.argmax(np.abs(lu[:, j:, j]), axis=-1)
            piv[:, j] = p + 1
            row = lu[b, j, :].copy()
            lu[b, j, :] = lu[b, p, :]
            lu[b, p, :] = row
            pivot = lu[:, j, j]
            zero = pivot == 0
            info[(info == 0) & zero] = j + 1
            scale = np.where(zero, 1.0, pivot)[:, None]
            col = np.where(zero[:, None], lu[:, j + 1 :, j], lu[:, j + 1 :, j] / scale)
            lu[:, j + 1 :, j] = col
            lu[:, j + 1 :, j + 1 :] -= col[:, :, None] * lu[:, j, None, j + 1 :]
    return lu.reshape(a.shape), piv.reshape(batch + (k,)), info.reshape(batch)


def singular_info(a: np.ndarray) -> np.ndarray:
    """getrf's info for every matrix of the batch (int32, batch shape): the 1-based index of
    the first zero pivot, 0 for an invertible matrix."""
    return lu_factor_array(a)[2]


def raise_singular(a: np.ndarray, name: str, solver: bool = False) -> None:
    info = singular_info(a).reshape(-1)
    bad = int(np.flatnonzero(info)[0]) if info.any() else 0
    pre = f"{name}: {_batch(bad, a)}"
    if solver:
        raise LinAlgError(pre + "The solver failed because the input matrix is singular.")
    raise LinAlgError(
        pre + f"The diagonal element {info[bad]} is zero, the inversion could not be "
        "completed because the input matrix is singular."
    )


def inverse(a: np.ndarray, name: str = "linalg.inv") -> np.ndarray:
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        raise_singular(a, name)
        raise


class Inv(Op):
    """A^-1 of a batch of square matrices (torch.linalg.inv); backward -A^-T g A^-T."""

    @staticmethod
    def forward(ctx, a):
        check_square(a, "linalg.inv")
        y = inverse(a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved
        yt = mT(y)
        return (-(yt @ g @ yt),)


class InvEx(Op):
    """(inverse, info) without raising (torch.linalg.inv_ex); singular elements give inf/NaN."""

    @staticmethod
    def forward(ctx, a):
        check_square(a, "linalg.inv")
        info = singular_info(a)
        flat, out = a.reshape((int(np.prod(a.shape[:-2])),) + a.shape[-2:]), []
        with np.errstate(divide="ignore", invalid="ignore"):
            for m, bad in zip(flat, info.reshape(-1)):
                out.append(np.linalg.inv(m) if not bad else np.full(m.shape, np.nan, m.dtype))
        y = np.array(out, a.dtype).reshape(a.shape)
        ctx.save_for_backward(y)
        return y, info

    @staticmethod
    def backward(ctx, g, _ginfo):
        return Inv.backward(ctx, g)


class Det(Op):
    """Determinant (torch.linalg.det); gradient det * A^-T, 0 for an exactly singular A
    (torch's backward solves against ``g * det``, which is 0 there)."""

    @staticmethod
    def forward(ctx, a):
        check_square(a, "linalg.det", kernel="lu_cpu")
        d = np.linalg.det(a).astype(a.dtype)
        ctx.save_for_backward(a, d)
        return d

    @staticmethod
    def backward(ctx, g):
        a, d = ctx.saved
        scale = (g * d)[..., None, None]
        eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
        sing = d == 0
        safe = np.where(sing[..., None, None], eye, a)  # solvable stand-in, zeroed below
        ga = np.linalg.solve(mT(safe), eye * scale)
        return (np.where(sing[..., None, None], 0.0, ga).astype(a.dtype),)


class SlogDet(Op):
    """(sign, log|det|) (torch.linalg.slogdet); the log's gradient is g * A^-T."""

    @staticmethod
    def forward(ctx, a, *, name="linalg.slogdet"):
        check_square(a, name)
        sign, logabs = np.linalg.slogdet(a)
        ctx.save_for_backward(a)
        return sign.astype(a.dtype), logabs.astype(a.dtype)

    @staticmethod
    def backward(ctx, _gsign, glog):
        (a,) = ctx.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            ga = mT(np.linalg.inv(a)) * glog[..., None, None]
        return (ga,)


def solve_shapes(a: np.ndarray, b: np.ndarray, left: bool) -> bool:
    """Check A and B as torch.linalg.solve does; True when B is a (batch of) vector(s)."""
    check_square(a, "linalg.solve", kernel="lu_cpu")
    check_float(b, "linalg.solve", kernel="lu_cpu")
    if a.dtype != b.dtype:
        raise RuntimeError(
            "linalg.solve: Expected A and B to have the same dtype, but found A of type "
            f"{_tname(a)} and B of type {_tname(b)} instead"
        )
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    n = a.shape[-1]
    k = b.shape[-1] if vector else b.shape[-2 if left else -1]
    if b.ndim < 1 or k != n or (vector and not left):
        eq = "AX = B" if left else "XA = B"
        bshape = f"{b.shape[-1]}x1" if vector else "x".join(map(str, b.shape[-2:]))
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation {eq} "
            f"({n}x{n} and {bshape})"
        )
    return vector


def _tname(a: np.ndarray) -> str:
    return torch_type(a.dtype)


def solve_array(a: np.ndarray, b: np.ndarray, name: str = "torch.linalg.solve") -> np.ndarray:
    """A^-1 B for matrices B (..., n, k), batches broadcast."""
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        raise_singular(
            np.broadcast_to(a, np.broadcast_shapes(a.shape, b.shape[:-2] + (1, 1))),
            name,
            solver=True,
        )
        raise


class Solve(Op):
    """X with AX = B (``left``) or XA = B (torch.linalg.solve); B may be a vector."""

    ctx_attrs = ("left", "vector")

    @staticmethod
    def forward(ctx, a, b, *, left=True):
        vector = solve_shapes(a, b, left)
        bm = b[..., None] if vector else (b if left else mT(b))
        am = a if left else mT(a)
        x = solve_array(am, bm)
        ctx.save_for_backward(am, x)
        ctx.left, ctx.vector = left, vector
        return x[..., 0] if vector else (x if left else mT(x))

    @staticmethod
    def backward(ctx, g):
        am, x = ctx.saved
        gm = g[..., None] if ctx.vector else (g if ctx.left else mT(g))
        gb = np.linalg.solve(mT(am), gm)  # (A^T)^-1 g, in the left-solve frame
        ga = -(gb @ mT(x))
        need = ctx.needs_input_grad
        ga = (ga if ctx.left else mT(ga)) if need[0] else None
        gb = (gb[..., 0] if ctx.vector else (gb if ctx.left else mT(gb))) if need[1] else None
        return ga, gb
