"""Tensor's linear-algebra methods (torch.Tensor.det, inverse, svd, diagonal, trace, dot...);
mixed into Tensor. lamina.linalg holds the torch.linalg functions built on the same ops."""

from __future__ import annotations

import warnings

import numpy as np

from . import return_types as RT
from .ops import linalg_decomp as LD
from .ops import linalg_misc as LM
from .ops import linalg_solve as LS
from .ops import linalg_tri as LT
from .ops.dims import wrap_dim


def _tname(dt) -> str:
    return {"float32": "Float", "float64": "Double", "int64": "Long"}.get(np.dtype(dt).name, "")


class LinalgMixin:
    __slots__ = ()

    def det(self):
        """Determinant of square matrices (torch.det, torch.linalg.det)."""
        return self._apply(LS.Det, self)

    def slogdet(self):
        """(sign, log|det|) (torch.slogdet)."""
        sign, logabs = self._apply(LS.SlogDet, self)
        return RT.slogdet(sign.detach(), logabs)

    def logdet(self):
        """log(det): NaN for a negative determinant, -inf for 0 (torch.logdet)."""
        sign, logabs = self._apply(LS.SlogDet, self, name="logdet")
        nan = self._wrap(np.where(sign._data < 0, np.nan, 0.0).astype(logabs.dtype))
        return logabs + nan

    def inverse(self):
        """Inverse of square matrices (torch.inverse, torch.linalg.inv)."""
        return self._apply(LS.Inv, self)

    def pinverse(self, rcond: float = 1e-15):
        """Pseudo-inverse dropping singular values <= rcond * largest (torch.pinverse)."""
        if self.ndim < 2 or self._data.dtype.kind != "f" or self._data.dtype.itemsize < 4:
            raise RuntimeError(
                f"linalg.pinv({LS.torch_type(self._data.dtype)}{{{list(self.shape)}}}): expected "
                "a tensor with 2 or more dimensions of float, double, cfloat or cdouble types"
            )
        return self._apply(LD.Pinv, self, atol=0.0, rtol=rcond)

    def matrix_exp(self):
        """exp(A) of square matrices (torch.matrix_exp)."""
        return self._apply(LM.MatrixExp, self)

    def matrix_power(self, n: int):
        """A**n by repeated squaring; n = 0 gives the identity, n < 0 powers of the inverse
        (torch.matrix_power, torch.linalg.matrix_power)."""
        if self.ndim < 2 or self.shape[-1] != self.shape[-2]:
            LS.check_square(self._data.astype(np.float64), "linalg.matrix_power")
        if n == 0:
            eye = np.eye(self.shape[-1], dtype=self._data.dtype)
            # torch copies the identity into a clone: the result stays in the graph (grad 0)
            return self.clone().copy_(self._wrap(np.broadcast_to(eye, self.shape)))
        base, n = (self.inverse(), -n) if n < 0 else (self, n)
        result = None
        while n:
            if n & 1:
                result = base if result is None else result.matmul(base)
            n >>= 1
            if n:
                base = base.matmul(base)
        return result

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1):
        """The ``offset`` diagonal of the (dim1, dim2) planes, as a last dim (torch.diagonal)."""
        d1, d2 = wrap_dim(dim1, self.ndim), wrap_dim(dim2, self.ndim)
        if d1 == d2:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        return self._apply(LM.Diagonal, self, offset=offset, dim1=d1, dim2=d2)

    def diag_embed(self, offset: int = 0, dim1: int = -2, dim2: int = -1):
        """Matrices with the last dim on their ``offset`` diagonal (torch.diag_embed)."""
        return self._apply(LT.DiagEmbed, self, offset=offset, dim1=dim1, dim2=dim2)

    def diag(self, diagonal: int = 0):
        """A 1-D input as a diagonal matrix, or a 2-D input's diagonal (torch.diag)."""
        if self.ndim == 1:
            return self.diag_embed(diagonal)
        if self.ndim == 2:
            return self.diagonal(diagonal)
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self.ndim}D")

    def trace(self):
        """Sum of the main diagonal of a matrix (torch.trace); ints sum in int64."""
        if self.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {self.ndim}")
        return self.diagonal().sum()

    def outer(self, vec2):
        """Outer product of two vectors (torch.outer)."""
        for name, v in (("self", self), ("vec2", vec2)):
            if v.ndim != 1:
                raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.ndim}-D")
        return self.unsqueeze(1) * vec2.unsqueeze(0)

    def dot(self, other):
        """Inner product of two 1-D tensors of one dtype (torch.dot)."""
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(
                f"1D tensors expected, but got {self.ndim}D and {other.ndim}D tensors"
            )
        if self.dtype != other.dtype:
            raise RuntimeError(
                "dot : expected both vectors to have same dtype, but found "
                f"{_tname(self.dtype)} and {_tname(other.dtype)}"
            )
        if self.shape[0] != other.shape[0]:
            n, m = self.shape[0], other.shape[0]
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the "
                f"same number of elements, but got {n} and {m} elements respectively"
            )
        return self.matmul(other)

    def svd(self, some: bool = True, compute_uv: bool = True):
        """(U, S, V) with A = U diag(S) V^T (torch.svd; V, not torch.linalg.svd's Vh)."""
        u, s, vh = self._apply(LD.SVD, self, full_matrices=not some)
        if not compute_uv:
            return RT.svd(u.detach() * 0, s, vh.detach().mT * 0)
        return RT.svd(u, s, vh.mT)

    def qr(self, some: bool = True):
        """(Q, R), reduced unless ``some=False`` (torch.qr)."""
        warnings.warn(
            "torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a "
            "future PyTorch release (lamina: use lamina.linalg.qr(A, 'reduced' if some else "
            "'complete')).",
            UserWarning,
            stacklevel=2,
        )
        q, r = self._apply(LD.QR, self, mode="reduced" if some else "complete")
        return RT.qr(q, r)

    def cholesky(self, upper: bool = False):
        """Cholesky factor (torch.cholesky; torch.linalg.cholesky is the current name)."""
        warnings.warn(
            "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed "
            "in a future PyTorch release (lamina: use lamina.linalg.cholesky).",
            UserWarning,
            stacklevel=2,
        )
        return self._apply(LD.Cholesky, self, upper=upper)
