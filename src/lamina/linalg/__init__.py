"""lamina.linalg: torch.linalg's functions on real float32/float64 Tensors, batched over
leading dims, with forward and backward (``import lamina as torch; torch.linalg.norm(x)``).

Named-tuple results carry torch.return_types' field names (``slogdet(A).logabsdet``);
singular and non positive-definite inputs raise :class:`LinAlgError` (a RuntimeError)
naming the batch element, as torch does.
"""

from __future__ import annotations

import numpy as np

from ..ops import linalg_misc as LM
from ..ops import linalg_tri as LT
from ..ops.linalg_solve import LinAlgError, check_float, check_square
from ..tensor import Tensor, _make, apply
from ..tensor_norms import linalg_norm as norm
from ..tensor_norms import matrix_norm as _matrix_norm
from ..tensor_norms import vector_norm
from ._decomp import (
    cholesky,
    cholesky_ex,
    det,
    eigh,
    eigvalsh,
    inv,
    inv_ex,
    lstsq,
    lu,
    lu_factor,
    lu_factor_ex,
    lu_solve,
    matrix_rank,
    pinv,
    qr,
    slogdet,
    solve,
    solve_ex,
    svd,
    svdvals,
    tensor_arg,
)

__all__ = [
    "LinAlgError",
    "cholesky",
    "cholesky_ex",
    "cond",
    "cross",
    "det",
    "diagonal",
    "eigh",
    "eigvalsh",
    "inv",
    "inv_ex",
    "lstsq",
    "lu",
    "lu_factor",
    "lu_factor_ex",
    "lu_solve",
    "matmul",
    "matrix_exp",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_ex",
    "solve_triangular",
    "svd",
    "svdvals",
    "tensorinv",
    "tensorsolve",
    "vander",
    "vecdot",
    "vector_norm",
]


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None):
    """'fro', 'nuc', ±1, ±2 or ±inf norm over the two dims ``dim`` (torch.linalg.matrix_norm)."""
    if not isinstance(dim, (tuple, list)):
        raise TypeError(
            f"linalg_matrix_norm(): argument 'dim' must be tuple of ints, not {type(dim).__name__}"
        )
    return _matrix_norm(tensor_arg(A, "linalg_matrix_norm"), ord, dim, keepdim, dtype)


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Alias of lamina.matmul (torch.linalg.matmul)."""
    return tensor_arg(input, "linalg_matmul", "input").matmul(other)


def matrix_power(A: Tensor, n: int) -> Tensor:
    """A**n by repeated squaring; n = 0 gives the identity, n < 0 powers of inv(A)
    (torch.linalg.matrix_power)."""
    return tensor_arg(A, "linalg_matrix_power").matrix_power(n)


def multi_dot(tensors) -> Tensor:
    """The product of a chain of matrices; the first and last may be vectors
    (torch.linalg.multi_dot)."""
    ts = list(tensors)
    if len(ts) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    first, last = ts[0].ndim == 1, ts[-1].ndim == 1
    mats = [ts[0].unsqueeze(0) if first else ts[0]] + ts[1:-1]
    mats.append(ts[-1].unsqueeze(1) if last else ts[-1])
    for i, m in enumerate(mats):
        if m.ndim != 2:
            raise RuntimeError(
                f"multi_dot(): tensor {i} must be 2D but got {ts[i].ndim}D"
                if 0 < i < len(ts) - 1
                else f"multi_dot(): the {'first' if i == 0 else 'last'} tensor must be 1D or "
                f"2D but got {ts[i].ndim}D"
            )
    out = mats[0]
    for i, m in enumerate(mats[1:]):
        if out.shape[-1] != m.shape[0]:
            raise RuntimeError(
                f"multi_dot(): tensors {i} and {i + 1} with shapes {list(mats[i].shape)} and "
                f"{list(m.shape)} cannot be multiplied"
            )
        out = out.matmul(m)
    if first:
        out = out.squeeze(0)
    if last:
        out = out.squeeze(-1)
    return out


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """Cross product of 3-vectors along ``dim``, batches broadcast (torch.linalg.cross)."""
    a, b = tensor_arg(input, "linalg_cross", "input"), tensor_arg(other, "linalg_cross", "other")
    if a.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = a._dim(dim)
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. "
            f"Got {a.shape[d]} and {b.shape[d]}"
        )
    return apply(LM.Cross, a, b, axis=d)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """Dot products along ``dim`` with broadcasting (torch.linalg.vecdot)."""
    a, b = tensor_arg(x, "linalg_vecdot", "x"), tensor_arg(y, "linalg_vecdot", "y")
    for t in (a, b):
        if t.dtype.kind != "f":
            check_float(t._data, "linalg.vecdot")
    if a.dtype != b.dtype:
        from ..tensor_norms import _tname

        raise RuntimeError(
            "linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
            f"{_tname(a.dtype)} and y of type {_tname(b.dtype)} instead"
        )
    return (a * b).sum(dim)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The ``offset`` diagonals of the (dim1, dim2) planes, as a last dim
    (torch.linalg.diagonal)."""
    a = tensor_arg(A, "linalg_diagonal")
    return apply(LM.Diagonal, a, offset=offset, dim1=a._dim(dim1), dim2=a._dim(dim2))


def matrix_exp(A: Tensor) -> Tensor:
    """exp(A) of square matrices (torch.linalg.matrix_exp)."""
    return apply(LM.MatrixExp, tensor_arg(A, "linalg_matrix_exp"))


def solve_triangular(
    A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False
) -> Tensor:
    """X with AX = B (XA = B when ``left=False``) for triangular A, read from its upper or
    lower triangle (torch.linalg.solve_triangular); a zero pivot gives inf/NaN, no error."""
    a = tensor_arg(A, "linalg_solve_triangular")
    b = tensor_arg(B, "linalg_solve_triangular", "B")
    return apply(LT.SolveTriangular, a, b, upper=upper, left=left, unitriangular=unitriangular)


def cond(A: Tensor, p=None) -> Tensor:
    """Condition number in the ``p`` norm (torch.linalg.cond): for None/±2 the ratio of
    extreme singular values (any shape); otherwise norm(A) * norm(inv(A)), inf when A is
    singular."""
    a = tensor_arg(A, "linalg_cond")
    if a.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    if a.numel() == 0:  # torch: an empty matrix is perfectly conditioned
        return _make(np.zeros(a.shape[:-2], a._data.dtype))
    if p is None or (not isinstance(p, str) and abs(p) == 2):
        s = svdvals(a)
        top, low = s[..., 0], s[..., -1]
        return top / low if p is None or p > 0 else low / top
    if a.ndim >= 2 and a.shape[-1] != a.shape[-2]:
        check_square(a._data, f"linalg.cond(ord={p})")
    if p == "nuc":  # torch: sum(S) * sum(1/S), finite for a numerically singular A
        s = svdvals(a)
        return s.sum(-1) * (1 / s).sum(-1)
    a_inv, info = inv_ex(a)
    bad = info._data > 0
    if not bad.any():
        return _matrix_norm(a, p) * _matrix_norm(a_inv, p)
    a_inv = a_inv.masked_fill(_make(bad[..., None, None]), 0.0)  # NaN would stop the SVD
    out = _matrix_norm(a, p) * _matrix_norm(a_inv, p)
    fill = _make(np.where(bad, np.inf, 0.0).astype(a._data.dtype))
    return out.masked_fill(_make(bad), 0.0) + fill


def vander(x: Tensor, *, N: int | None = None) -> Tensor:
    """Vandermonde matrix with columns x**0, ..., x**(N-1) (torch.linalg.vander)."""
    x = tensor_arg(x, "linalg_vander", "x")
    if x._data.dtype == np.float16:
        raise RuntimeError(
            "linalg.vander supports floating point, complex, and integer tensors, but got Half"
        )
    n = (x.shape[-1] if x.ndim else 0) if N is None else N
    if n < 1:
        raise RuntimeError("N must be greater than 1.")
    ones = _make(np.ones(tuple(x.shape) + (1,), x._data.dtype))
    if n == 1:
        return ones
    powers = x.unsqueeze(-1).expand(*x.shape, n - 1).cumprod(-1)
    from ..functions import cat

    return cat([ones, powers], -1)


def tensorinv(A: Tensor, ind: int = 2) -> Tensor:
    """The inverse of A for tensordot over its first ``ind`` dims (torch.linalg.tensorinv)."""
    a = tensor_arg(A, "linalg_tensorinv")
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    if ind > a.ndim:  # torch fails here too, in an ArrayRef slice
        raise RuntimeError(f"linalg.tensorinv: ind={ind} is more than the {a.ndim} dims of A")
    out_shape, in_shape = tuple(a.shape[:ind]), tuple(a.shape[ind:])
    rows, cols = int(np.prod(out_shape)), int(np.prod(in_shape))
    if rows != cols:
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[ind:]) == "
            f"prod(self.shape[:ind]), but got {cols} != {rows}"
        )
    return inv(a.reshape(rows, cols)).reshape(*in_shape, *out_shape)


def tensorsolve(A: Tensor, B: Tensor, dims=None) -> Tensor:
    """X with tensordot(A, X, X.ndim) = B (torch.linalg.tensorsolve)."""
    a, b = tensor_arg(A, "linalg_tensorsolve"), tensor_arg(B, "linalg_tensorsolve", "B")
    if dims is not None:
        moved = [a._dim(d) for d in dims]
        a = a.permute(*[d for d in range(a.ndim) if d not in moved], *moved)
    x_shape = tuple(a.shape[b.ndim :])
    rows = int(np.prod(tuple(b.shape)))
    return solve(a.reshape(rows, int(np.prod(x_shape))), b.reshape(rows)).reshape(*x_shape)


_NOT_HERE = {
    "eig": "its results are complex and lamina has no complex dtypes; for symmetric "
    "matrices use lamina.linalg.eigh",
    "eigvals": "its results are complex and lamina has no complex dtypes; for symmetric "
    "matrices use lamina.linalg.eigvalsh",
    "householder_product": "not implemented yet",
    "ldl_factor": "not implemented yet; lamina.linalg.lu_factor or cholesky may serve",
    "ldl_factor_ex": "not implemented yet",
    "ldl_solve": "not implemented yet",
}


def __getattr__(name: str):
    """torch.linalg names lamina lacks say why, instead of a bare AttributeError."""
    if name in _NOT_HERE:
        raise AttributeError(
            f"lamina.linalg has no {name!r} (torch.linalg.{name}): {_NOT_HERE[name]}"
        )
    raise AttributeError(f"module 'lamina.linalg' has no attribute {name!r}")
