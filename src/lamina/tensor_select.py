"""Tensor methods that sort, scan and select (torch.sort, topk, cumsum, nonzero...)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .ops import elementwise as E
from .ops import scan as Scan
from .ops import sort as Sel
from .ops.dims import wrap_dim
from .tensor_math import ValuesIndices

if TYPE_CHECKING:
    from .tensor import Tensor


class SelectMixin:
    """Sorting, running sums and products, selection; mixed into Tensor."""

    __slots__ = ()

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False):
        """Sorted values and their int64 indices along ``dim`` (torch.Tensor.sort)."""
        x = self.reshape(1) if self.ndim == 0 else self
        axis = wrap_dim(dim, self.ndim)
        idx = Sel.sort_indices(x._data, axis, descending)
        values = self._apply(Sel.Take, x, index=idx, axis=axis)
        if self.ndim == 0:
            return ValuesIndices(values.reshape(()), self._wrap(idx.reshape(())))
        return ValuesIndices(values, self._wrap(idx))

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
        """Indices that sort ``dim`` (torch.Tensor.argsort); ties keep their order."""
        return self.sort(dim, descending, stable).indices

    def msort(self) -> Tensor:
        """Sorted along dim 0 (torch.Tensor.msort)."""
        return self.sort(0).values

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
        """The k largest (or smallest) values and their indices along ``dim`` (torch.topk)."""
        x = self.reshape(1) if self.ndim == 0 else self
        axis = wrap_dim(dim, self.ndim)
        idx = Sel.topk_indices(x._data, int(k), axis, largest, sorted)
        values = self._apply(Sel.Take, x, index=idx, axis=axis)
        if self.ndim == 0:
            return ValuesIndices(values.reshape(idx.shape[:0]), self._wrap(idx.reshape(())))
        return ValuesIndices(values, self._wrap(idx))

    def cumsum(self, dim: int, dtype=None) -> Tensor:
        """Running sum along ``dim``; integer and bool inputs give int64 (torch.cumsum)."""
        x = self.astype(dtype) if dtype is not None else self
        if x._data.dtype.kind in "biu":
            x = x.astype(np.int64)
        return self._apply(Scan.CumSum, x, axis=wrap_dim(dim, self.ndim))

    def cumprod(self, dim: int, dtype=None) -> Tensor:
        """Running product along ``dim``; integer and bool inputs give int64 (torch.cumprod)."""
        x = self.astype(dtype) if dtype is not None else self
        if x._data.dtype.kind in "biu":
            x = x.astype(np.int64)
        return self._apply(Scan.CumProd, x, axis=wrap_dim(dim, self.ndim))

    def nonzero(self, *, as_tuple: bool = False):
        """Indices of the non-zero elements, one row each (torch.nonzero)."""
        d = self._data.reshape(1) if self.ndim == 0 else self._data
        idx = np.nonzero(d)
        if as_tuple:
            return tuple(self._wrap(i.astype(np.int64)) for i in idx)
        out = np.stack(idx, axis=1).astype(np.int64) if idx else np.zeros((0, 0), np.int64)
        return self._wrap(out if self.ndim else out[:, :0])

    def argwhere(self) -> Tensor:
        """nonzero() as a (n, ndim) tensor (torch.argwhere)."""
        return self.nonzero()

    def isinf(self) -> Tensor:
        """True where the element is +inf or -inf (torch.isinf)."""
        return self._wrap(np.isinf(self._data))

    def isposinf(self) -> Tensor:
        """True where the element is +inf (torch.isposinf)."""
        return self._wrap(np.isposinf(self._data))

    def isneginf(self) -> Tensor:
        """True where the element is -inf (torch.isneginf)."""
        return self._wrap(np.isneginf(self._data))

    def nan_to_num(self, nan: float = 0.0, posinf=None, neginf=None) -> Tensor:
        """NaN and infinities replaced by numbers (torch.nan_to_num)."""
        if self._data.dtype.kind not in "fc":
            return self.clone()
        return self._apply(E.NanToNum, self, nan=nan, posinf=posinf, neginf=neginf)

    def multinomial(self, num_samples: int, replacement: bool = False, generator=None) -> Tensor:
        """Category indices drawn from rows of non-negative weights (torch.multinomial)."""
        from .random import default_rng

        return self._wrap(Sel.multinomial(self._data, num_samples, replacement, default_rng()))

    def mm(self, mat2) -> Tensor:
        """Matrix product of two 2-D tensors (torch.mm)."""
        Sel.check_matmul_dims("mm", self.shape, np.shape(mat2), 2)
        return self @ mat2

    def bmm(self, mat2) -> Tensor:
        """Batched product of (b, n, m) and (b, m, p) tensors (torch.bmm)."""
        Sel.check_matmul_dims("bmm", self.shape, np.shape(mat2), 3)
        return self @ mat2
