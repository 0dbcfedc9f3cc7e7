"""Tensor methods for shape and indexing (mixed into Tensor); they reach the graph through
``self._apply`` and check dims as torch (IndexError out of range). In-place updates are in
tensor_inplace.py."""

from __future__ import annotations

import math

import numpy as np

from . import _state
from .ops import index as I
from .ops import inplace as IP
from .ops import shape as S
from .tensor_inplace import OVERLAP_MESSAGE, check_index_put, has_internal_overlap


def _shape_args(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(int(a) for a in args[0])
    return tuple(int(a) for a in args)


def _key_part(k):
    if hasattr(k, "_ctx"):
        if k._data.ndim == 0 and k._data.dtype.kind in "iu":
            return int(k._data)  # a 0-d integer tensor indexes as an int: a view, as torch
        return k._data
    if isinstance(k, slice) and k.step is not None and k.step <= 0:
        raise ValueError("step must be greater than zero")
    if isinstance(k, list):
        arr = np.asarray([getattr(v, "_data", v) for v in k])
        return arr.astype(np.int64) if arr.size == 0 else arr
    return k


def _key(key):
    """An index with Tensors replaced by their arrays; negative steps refused as in torch."""
    if isinstance(key, tuple):
        return tuple(_key_part(k) for k in key)
    return _key_part(key)


def _infer_shape(old, shape):
    """Resolve one -1 in ``shape`` and check that the element counts agree."""
    n = int(math.prod(old))
    known = int(math.prod([s for s in shape if s != -1]))
    if shape.count(-1) > 1 or any(s < -1 for s in shape):
        raise RuntimeError(f"invalid shape {list(shape)}: at most one -1 and no other negatives")
    if -1 in shape:
        if known == 0 or n % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {n}")
        shape = tuple(n // known if s == -1 else s for s in shape)
    elif known != n:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {n}")
    return shape


class ShapeMixin:
    __slots__ = ()

    # ---- dims -------------------------------------------------------------------------
    def _dim(self, d, ndim=None) -> int:
        """``d`` checked against ndim (0-d tensors take 0 and -1) and made non-negative."""
        n = self._data.ndim if ndim is None else ndim
        if not isinstance(d, (int, np.integer)) or isinstance(d, bool):
            raise TypeError(f"dim must be an int, got {d!r}")
        lo, hi = (-1, 0) if n == 0 else (-n, n - 1)
        if not lo <= d <= hi:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {d})"
            )
        return int(d) % n if n else 0

    def _dims(self, dim):
        """A reduction's dim argument as NumPy's axis: None (all), an int or a tuple."""
        if dim is None or (isinstance(dim, (list, tuple)) and len(dim) == 0):
            return None
        if self._data.ndim == 0:
            for d in dim if isinstance(dim, (list, tuple)) else (dim,):
                self._dim(d)
            return None
        if isinstance(dim, (list, tuple)):
            axes = tuple(self._dim(d) for d in dim)
            if len(set(axes)) != len(axes):
                raise RuntimeError(f"dim {dim} appears multiple times in the list of dims")
            return axes
        return self._dim(dim)

    # ---- shape ------------------------------------------------------------------------
    def reshape(self, *shape):
        """Same values in a new shape, a view when possible (torch.reshape)."""
        new = _infer_shape(self._data.shape, _shape_args(shape))
        return self if new == self._data.shape else self._apply(S.Reshape, self, shape=new)

    def view(self, *shape):
        """Same memory in a new shape; refuses a shape the strides cannot give (torch.view)."""
        new = _infer_shape(self._data.shape, _shape_args(shape))
        if not self._data.flags.c_contiguous:
            try:
                np.reshape(self._data, new, copy=False)
            except ValueError:
                raise RuntimeError(
                    "view size is not compatible with input tensor's size and stride (at least "
                    "one dimension spans across two contiguous subspaces). Use .reshape(...) "
                    "instead."
                ) from None
        return self._apply(S.Reshape, self, shape=new)

    def view_as(self, other):
        """view(other.shape) (torch.Tensor.view_as)."""
        return self.view(other.shape)

    def reshape_as(self, other):
        """reshape(other.shape) (torch.Tensor.reshape_as)."""
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        """Merge dims start_dim..end_dim into one (torch.flatten)."""
        if self._data.ndim == 0:
            self._dim(start_dim), self._dim(end_dim)
            return self.reshape(1)
        s, e = self._dim(start_dim), self._dim(end_dim)
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        shp = self._data.shape
        return self.reshape(shp[:s] + (int(math.prod(shp[s : e + 1])),) + shp[e + 1 :])

    def unflatten(self, dim, sizes):
        """Split one dim into ``sizes`` (torch.unflatten)."""
        shp = self._data.shape
        d = self._dim(dim)
        sizes = _infer_shape((shp[d],), tuple(sizes))
        return self.reshape(shp[:d] + sizes + shp[d + 1 :])

    def squeeze(self, dim=None):
        """Drop size-1 dims, all or the given ones (torch.squeeze)."""
        shp = self._data.shape
        if dim is None:
            return self.reshape(tuple(s for s in shp if s != 1))
        dims = {self._dim(d) for d in ((dim,) if isinstance(dim, int) else dim)}
        return self.reshape(tuple(s for i, s in enumerate(shp) if not (i in dims and s == 1)))

    def unsqueeze(self, dim):
        """Insert a size-1 dim at ``dim`` (torch.unsqueeze)."""
        shp = list(self._data.shape)
        shp.insert(self._dim(dim, len(shp) + 1), 1)
        return self.reshape(tuple(shp))

    def permute(self, *dims):
        """Reorder the dims (torch.permute)."""
        dims = _shape_args(dims)
        if len(dims) != self._data.ndim:
            raise RuntimeError(
                f"permute: number of dims don't match in permute: input.dim() = "
                f"{self._data.ndim} is not equal to len(dims) = {len(dims)}"
            )
        dims = tuple(self._dim(d) for d in dims)
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"permute(): repeated dim in {dims}")
        return self._apply(S.Permute, self, axes=dims)

    def transpose(self, dim0, dim1):
        """Swap two dims (torch.transpose)."""
        axes = list(range(self._data.ndim))
        if not axes:
            self._dim(dim0), self._dim(dim1)
            return self
        d0, d1 = self._dim(dim0), self._dim(dim1)
        axes[d0], axes[d1] = axes[d1], axes[d0]
        return self._apply(S.Permute, self, axes=tuple(axes))

    def swapaxes(self, axis0, axis1):
        """Alias of transpose (torch.swapaxes)."""
        return self.transpose(axis0, axis1)

    def t(self):
        """Transpose of a tensor with <= 2 dims (torch.t)."""
        if self._data.ndim > 2:
            raise RuntimeError(
                f"t() expects a tensor with <= 2 dimensions, but self is {self._data.ndim}D"
            )
        return self if self._data.ndim < 2 else self.transpose(0, 1)

    def expand(self, *sizes):
        """Broadcast to ``sizes`` without copying; -1 keeps a dim (torch.expand)."""
        sizes = _shape_args(sizes)
        lead = len(sizes) - self._data.ndim
        if lead < 0:
            raise RuntimeError(
                f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal "
                f"to the number of dimensions in the tensor ({self._data.ndim})"
            )
        full = tuple(self._data.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
        return self._apply(S.Expand, self, shape=full)

    def expand_as(self, other):
        """expand(other.shape) (torch.Tensor.expand_as)."""
        return self.expand(other.shape)

    def repeat(self, *reps):
        """Tile ``reps`` times along each dim (torch.Tensor.repeat)."""
        return self._apply(S.Repeat, self, reps=_shape_args(reps))

    def split(self, split_size_or_sections, dim=0):
        """Pieces of a given size, or of the given sizes, along dim (torch.split)."""
        dim = self._dim(dim)
        n = self._data.shape[dim]
        if isinstance(split_size_or_sections, int):
            k = split_size_or_sections
            sizes = [k] * (n // k) + ([n % k] if n % k else []) if n else [0]
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n:
                raise RuntimeError(
                    f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                    f"size at dimension {dim}), but got split_sizes={sizes}"
                )
        out = self._apply(S.Split, self, sizes=sizes, axis=dim)
        return out if isinstance(out, tuple) else (out,)

    def chunk(self, chunks, dim=0):
        """``chunks`` nearly equal pieces along dim (torch.chunk); an empty dim gives
        ``chunks`` empty pieces."""
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        if self.ndim == 0:
            raise RuntimeError("chunk expects at least a 1-dimensional tensor")
        n = self._data.shape[self._dim(dim)]
        if n == 0:
            return self.split([0] * chunks, dim)
        return self.split(-(-n // chunks), dim)

    def unbind(self, dim=0):
        """The slices along dim, as a tuple (torch.unbind)."""
        dim = self._dim(dim)
        if self._data.shape[dim] == 0:
            return ()
        return tuple(p.squeeze(dim) for p in self.split(1, dim))

    def narrow(self, dim, start, length):
        """The slice start:start+length along dim, a view (torch.narrow)."""
        dim = self._dim(dim)
        n = self._data.shape[dim]
        start = start + n if start < 0 else start
        if not (0 <= start <= n and 0 <= length <= n - start):
            raise IndexError(f"narrow: start ({start}) + length ({length}) exceeds size {n}")
        return self[(slice(None),) * dim + (slice(start, start + length),)]

    def select(self, dim, index):
        """The slice at ``index`` along dim, dropping that dim; a view (torch.select)."""
        dim = self._dim(dim)
        n = self._data.shape[dim]
        if not -n <= index < n:
            raise IndexError(
                f"select(): index {index} out of range for tensor of size "
                f"{list(self.shape)} at dimension {dim}"
            )
        return self[(slice(None),) * dim + (index,)]

    def where(self, condition, other):
        """self where condition, else other (torch.Tensor.where)."""
        from .functions import where

        return where(condition, self, other)

    # ---- indexing ---------------------------------------------------------------------
    def __getitem__(self, key):
        return self._apply(I.GetItem, self, key=_key(key))

    def __setitem__(self, key, value) -> None:
        self._setitem(key, value, overlap_ok=False)

    def _setitem(self, key, value, overlap_ok=True) -> None:
        """x[key] = value; ``overlap_ok`` lets fill_/zero_ write memory an expand shares."""
        key = _key(key)
        if not overlap_ok and 0 in self._data.strides and I.is_basic(key):
            if has_internal_overlap(self._data[key]):
                raise RuntimeError(OVERLAP_MESSAGE)
        self._mark_saved_output()
        if key is False:  # x[False] = v selects nothing: torch writes nothing
            return
        check_index_put(self._data, key, value)
        grad_v = getattr(value, "requires_grad", False)
        floating = self._data.dtype.kind in "fc"  # an integer tensor takes no history
        if _state.grad.enabled and floating and (self.requires_grad or grad_v):
            if I.is_basic(key):
                self._data[key]  # an index out of range raises IndexError first, as torch
            self._check_inplace()
            v = value.astype(self.dtype) if hasattr(value, "_data") else value
            if not hasattr(v, "_data"):
                v = np.asarray(v, dtype=self.dtype)
            if self._view is not False:
                setitem = lambda x, v: self._apply(IP.SetItem, x, v, key=key)  # noqa: E731
                self._record_on_view("setitem", setitem, v)
                return
            out = self._apply(IP.SetItem, self._shell(self), v, key=key)
            np.copyto(self._data, out._data)
            self._set_history(out._ctx)
        else:
            IP.assign(self._data, key, getattr(value, "_data", value))
        self._version[0] += 1

    def gather(self, dim, index):
        """Values at ``index`` along dim (torch.gather)."""
        return self._apply(I.Gather, self, np.asarray(_key(index)), axis=self._dim(dim))

    def scatter_add(self, dim, index, src):
        """A copy with ``src`` added at ``index`` along dim (torch.scatter_add)."""
        if getattr(src, "dtype", self.dtype) != self.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        index = np.asarray(_key(index))
        if np.size(src):  # torch's index checks (an empty src writes nothing)
            I.check_gather_index(self.shape, dim, index, "scatter_add")
        return self._apply(I.ScatterAdd, self, index, src, axis=self._dim(dim))

    def index_select(self, dim, index):
        """Slices at ``index`` along dim (torch.index_select)."""
        return self._apply(I.IndexSelect, self, np.asarray(_key(index)), axis=self._dim(dim))

    def masked_fill(self, mask, value):
        """A copy with ``value`` where ``mask`` is true (torch.masked_fill)."""
        return self._apply(I.MaskedFill, self, np.asarray(_key(mask)), value=value)

    def tril(self, diagonal=0):
        """Lower triangle of the last two dims (torch.tril)."""
        return self._apply(I.Tri, self, diagonal=diagonal, upper=False)

    def triu(self, diagonal=0):
        """Upper triangle of the last two dims (torch.triu)."""
        return self._apply(I.Tri, self, diagonal=diagonal, upper=True)
