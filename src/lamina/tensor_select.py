"""Tensor methods that sort, scan and select (torch.sort, topk, cumsum, nonzero...)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .ops import elementwise as E
from .ops import rounding as R
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
        if self.dtype == np.bool_:
            raise RuntimeError("topk does not support bool dtypes on CPU")
        x = self.reshape(1) if self.ndim == 0 else self
        axis = wrap_dim(dim, self.ndim)
        if self.ndim == 0 and k in (0, 1):  # torch: a 0-d tensor is its own top element
            k = 1
        idx = Sel.topk_indices(x._data, int(k), axis, largest, sorted)
        values = self._apply(Sel.Take, x, index=idx, axis=axis)
        if self.ndim == 0:
            return ValuesIndices(values.reshape(()), self._wrap(idx.reshape(())))
        return ValuesIndices(values, self._wrap(idx))

    def _picked(self, x, idx, axis, keepdim):
        """(values, indices) of ``x`` at ``idx`` (size 1 along axis), torch's shapes."""
        values = self._apply(Sel.Take, x, index=idx, axis=axis)
        if self.ndim == 0:
            return ValuesIndices(values.reshape(()), self._wrap(idx.reshape(())))
        if not keepdim:
            values, idx = values.squeeze(axis), idx.squeeze(axis)
        return ValuesIndices(values, self._wrap(idx))

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False):
        """The k-th smallest value along ``dim`` and its index (torch.kthvalue)."""
        if self.dtype == np.bool_:
            raise NotImplementedError("\"kthvalue_cpu\" not implemented for 'Bool'")
        x = self.reshape(1) if self.ndim == 0 else self
        axis = wrap_dim(dim, self.ndim)
        if x.shape[axis] == 0:
            raise IndexError(f"kthvalue(): Expected reduction dim {axis} to have non-zero size.")
        if not 1 <= k <= x.shape[axis]:
            raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}")
        idx = np.take(Sel.sort_indices(x._data, axis), [k - 1], axis=axis)
        return self._picked(x, idx, axis, keepdim)

    def median(self, dim=None, keepdim: bool = False):
        """The lower median, overall or along ``dim`` with its index; NaN propagates
        (torch.median)."""
        reduced = self.numel() if dim is None or not self.ndim else self.shape[self._dim(dim)]
        if self.dtype == np.bool_ and reduced:
            raise NotImplementedError("\"median_cpu\" not implemented for 'Bool'")
        if dim is None:
            flat = self.reshape(-1)
            if flat.numel() == 0:  # torch: NaN (zero gradient), or the smallest integer
                empty = np.nan if self.dtype.kind == "f" else np.iinfo(np.int64).min
                value = np.array(empty).astype(self.dtype)
                return self._apply(R.Given, self, value=value, op="median", zero_grad=True)
            return flat.median(0).values
        x = self.reshape(1) if self.ndim == 0 else self
        axis = wrap_dim(dim, self.ndim)
        n = x.shape[axis]
        if n == 0:
            raise IndexError(f"median(): Expected reduction dim {dim} to have non-zero size.")
        order = Sel.sort_indices(x._data, axis)
        idx = np.take(order, [(n - 1) // 2], axis=axis)
        if x.dtype.kind == "f":  # a NaN anywhere along the dim is the median
            nan = np.isnan(x._data)
            first = np.argmax(nan, axis=axis)[..., None] if axis == x.ndim - 1 else None
            first = np.expand_dims(np.argmax(nan, axis=axis), axis) if first is None else first
            idx = np.where(np.expand_dims(nan.any(axis=axis), axis), first, idx)
        return self._picked(x, idx, axis, keepdim)

    def mode(self, dim: int = -1, keepdim: bool = False):
        """The most frequent value along ``dim`` (the smallest of equally frequent ones) and
        the index of its last occurrence (torch.mode)."""
        x = self.reshape(1) if self.ndim == 0 else self
        axis = wrap_dim(dim, self.ndim)
        n = x.shape[axis]
        if n == 0:
            raise IndexError(f"mode(): Expected reduction dim {axis} to have non-zero size.")
        data = np.moveaxis(x._data, axis, -1)
        rows = data.reshape(-1, n)
        best = np.empty(len(rows), np.int64)
        for r, row in enumerate(rows):  # one np.unique per row: mode is not a hot op
            _, inv, counts = np.unique(row, return_inverse=True, return_counts=True)
            best[r] = np.flatnonzero(inv == np.argmax(counts))[-1]
        idx = np.expand_dims(best.reshape(data.shape[:-1]), axis)
        return self._picked(x, idx, axis, keepdim)

    def unique(
        self,
        sorted: bool = True,
        return_inverse: bool = False,
        return_counts: bool = False,
        dim=None,
    ):
        """The distinct values, sorted (torch.unique); no derivative, as torch."""
        if dim is not None:
            raise NotImplementedError("unique(dim=...) is not supported by lamina")
        vals, inv, counts = np.unique(  # each NaN is its own value, as torch's
            self._data, return_inverse=True, return_counts=True, equal_nan=False
        )
        out = self._apply(R.Given, self, value=vals, op="_unique2")
        extra = []
        if return_inverse:
            extra.append(self._wrap(inv.reshape(self.shape).astype(np.int64)))
        if return_counts:
            extra.append(self._wrap(counts.astype(np.int64)))
        return (out, *extra) if extra else out

    def flip(self, *dims) -> Tensor:
        """The elements in reverse order along ``dims`` (torch.flip), a copy."""
        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        axes = [wrap_dim(d, max(self.ndim, 1)) for d in dims]  # a 0-d tensor takes 0 / -1
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"dim {axes[0]} appears multiple times in the list of dims")
        return self._apply(R.Flip, self, axes=tuple(axes) if self.ndim else ())

    def roll(self, shifts, dims=None) -> Tensor:
        """Elements shifted cyclically along ``dims``, or over the flattened tensor
        (torch.roll)."""
        if dims is None:
            if isinstance(shifts, (tuple, list)) and len(shifts) != 1:
                raise RuntimeError(
                    f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0"
                )
            sh = shifts[0] if isinstance(shifts, (tuple, list)) else shifts
            return self.flatten().roll(sh, 0).reshape(self.shape)
        shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
        dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
        if len(shifts) != len(dims):
            raise RuntimeError(
                f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
            )
        axes = tuple(wrap_dim(d, self.ndim) for d in dims)
        return self._apply(R.Roll, self, shifts=tuple(int(s) for s in shifts), axes=axes)

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
