"""Module-level twins of Tensor's linear-algebra methods: ``lamina.det(A)`` is ``A.det()``
(torch.det, torch.inverse, torch.svd, torch.diagonal, torch.trace, torch.dot, ...)."""

from __future__ import annotations

from .functions import tensor
from .tensor import Tensor


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else tensor(x)


def det(input):
    """Determinant (torch.det)."""
    return _t(input).det()


def logdet(input):
    """log(det), NaN for a negative determinant (torch.logdet)."""
    return _t(input).logdet()


def slogdet(input):
    """(sign, log|det|) (torch.slogdet)."""
    return _t(input).slogdet()


def inverse(input):
    """Inverse of square matrices (torch.inverse)."""
    return _t(input).inverse()


def pinverse(input, rcond: float = 1e-15):
    """Pseudo-inverse (torch.pinverse)."""
    return _t(input).pinverse(rcond)


def matrix_exp(input):
    """exp(A) (torch.matrix_exp)."""
    return _t(input).matrix_exp()


def matrix_power(input, n: int):
    """A**n (torch.matrix_power)."""
    return _t(input).matrix_power(n)


def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1):
    """Diagonals of the (dim1, dim2) planes (torch.diagonal)."""
    return _t(input).diagonal(offset, dim1, dim2)


def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """Matrices with the last dim on a diagonal (torch.diag_embed)."""
    return _t(input).diag_embed(offset, dim1, dim2)


def diag(input, diagonal: int = 0):
    """Diagonal matrix of a vector, or the diagonal of a matrix (torch.diag)."""
    return _t(input).diag(diagonal)


def trace(input):
    """Sum of the main diagonal (torch.trace)."""
    return _t(input).trace()


def outer(input, vec2):
    """Outer product (torch.outer)."""
    return _t(input).outer(_t(vec2))


def dot(input, tensor):
    """Inner product of 1-D tensors (torch.dot)."""
    return _t(input).dot(_t(tensor))


def svd(input, some: bool = True, compute_uv: bool = True):
    """(U, S, V) (torch.svd)."""
    return _t(input).svd(some, compute_uv)


def qr(input, some: bool = True):
    """(Q, R) (torch.qr)."""
    return _t(input).qr(some)


def cholesky(input, upper: bool = False):
    """Cholesky factor (torch.cholesky)."""
    return _t(input).cholesky(upper)


__all__ = NAMES = [
    "det",
    "logdet",
    "slogdet",
    "inverse",
    "pinverse",
    "matrix_exp",
    "matrix_power",
    "diagonal",
    "diag_embed",
    "diag",
    "trace",
    "outer",
    "dot",
    "svd",
    "qr",
    "cholesky",
]
