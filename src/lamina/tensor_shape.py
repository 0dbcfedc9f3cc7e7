"""Tensor methods for shape, indexing and in-place updates (mixed into Tensor).

Kept apart from tensor.py so each file stays readable; the methods reach the graph through
``self._apply`` (tensor.apply) and wrap plain results with ``self._wrap``.
"""

from __future__ import annotations

import math

import numpy as np

from . import _state
from .ops import index as I
from .ops import shape as S
from .random import default_rng


def _shape_args(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(int(a) for a in args)


def _key(key):
    """An index with Tensors replaced by their arrays."""
    if isinstance(key, tuple):
        return tuple(k.data if hasattr(k, "_ctx") else k for k in key)
    if hasattr(key, "_ctx"):
        return key.data
    if isinstance(key, list):
        return np.asarray(key)
    return key


def _infer_shape(old, shape):
    """Resolve one -1 in ``shape`` and check that the element counts agree."""
    n = int(math.prod(old))
    known = int(math.prod([s for s in shape if s != -1]))
    if shape.count(-1) > 1 or any(s < -1 for s in shape):
        raise ValueError(f"invalid shape {shape}: at most one -1 and no other negatives")
    if -1 in shape:
        if known == 0 or n % known:
            raise ValueError(
                f"cannot reshape tensor of shape {tuple(old)} ({n} elements) into shape {shape}"
            )
        shape = tuple(n // known if s == -1 else s for s in shape)
    elif known != n:
        raise ValueError(
            f"cannot reshape tensor of shape {tuple(old)} ({n} elements) into shape {shape}"
        )
    return shape


class ShapeMixin:
    __slots__ = ()

    # ---- shape ------------------------------------------------------------------------
    def reshape(self, *shape):
        new = _infer_shape(self.data.shape, _shape_args(shape))
        return self if new == self.data.shape else self._apply(S.Reshape, self, shape=new)

    view = reshape
    view_as = lambda self, other: self.reshape(other.shape)  # noqa: E731
    reshape_as = view_as

    def flatten(self, start_dim=0, end_dim=-1):
        n = self.data.ndim
        if n == 0:
            return self.reshape(1)
        s, e = start_dim % n, end_dim % n
        shp = self.data.shape
        return self.reshape(shp[:s] + (int(math.prod(shp[s : e + 1])),) + shp[e + 1 :])

    def unflatten(self, dim, sizes):
        shp = self.data.shape
        d = dim % len(shp)
        return self.reshape(shp[:d] + tuple(sizes) + shp[d + 1 :])

    def squeeze(self, dim=None):
        shp = self.data.shape
        if dim is None:
            return self.reshape(tuple(s for s in shp if s != 1))
        dims = {d % len(shp) for d in ((dim,) if isinstance(dim, int) else dim)} if shp else ()
        return self.reshape(tuple(s for i, s in enumerate(shp) if not (i in dims and s == 1)))

    def unsqueeze(self, dim):
        shp = list(self.data.shape)
        shp.insert(dim % (len(shp) + 1), 1)
        return self.reshape(tuple(shp))

    def permute(self, *dims):
        dims = tuple(d % self.data.ndim for d in _shape_args(dims))
        if sorted(dims) != list(range(self.data.ndim)):
            raise ValueError(
                f"permute: dims {dims} are not a permutation of {self.data.ndim} dimensions"
            )
        return self._apply(S.Permute, self, axes=dims)

    def transpose(self, dim0, dim1):
        axes = list(range(self.data.ndim))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return self._apply(S.Permute, self, axes=tuple(axes))

    swapaxes = transpose

    def t(self):
        return self if self.data.ndim < 2 else self.transpose(0, 1)

    def expand(self, *sizes):
        sizes = _shape_args(sizes)
        lead = len(sizes) - self.data.ndim
        full = tuple(self.data.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
        return self._apply(S.Expand, self, shape=full)

    expand_as = lambda self, other: self.expand(other.shape)  # noqa: E731

    def repeat(self, *reps):
        return self._apply(S.Repeat, self, reps=_shape_args(reps))

    def split(self, split_size_or_sections, dim=0):
        n = self.data.shape[dim]
        if isinstance(split_size_or_sections, int):
            k = split_size_or_sections
            sizes = [k] * (n // k) + ([n % k] if n % k else [])
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n:
                raise ValueError(f"split sizes {sizes} do not sum to dim {dim}'s size {n}")
        out = self._apply(S.Split, self, sizes=sizes, axis=dim)
        return out if isinstance(out, tuple) else (out,)

    def chunk(self, chunks, dim=0):
        n = self.data.shape[dim]
        return self.split(-(-n // chunks), dim)

    def unbind(self, dim=0):
        return tuple(p.squeeze(dim) for p in self.split(1, dim))

    # ---- indexing ---------------------------------------------------------------------
    def __getitem__(self, key):
        return self._apply(I.GetItem, self, key=_key(key))

    def __setitem__(self, key, value):
        if self.requires_grad and _state.grad.enabled:
            raise RuntimeError(
                "in-place assignment to a tensor that requires grad; "
                "wrap it in lamina.no_grad() or use detach()"
            )
        self.data[_key(key)] = value.data if hasattr(value, "_ctx") else value

    def gather(self, dim, index):
        return self._apply(I.Gather, self, np.asarray(_key(index)), axis=dim)

    def scatter_add(self, dim, index, src):
        return self._apply(I.ScatterAdd, self, np.asarray(_key(index)), src, axis=dim)

    def index_select(self, dim, index):
        return self._apply(I.IndexSelect, self, np.asarray(_key(index)), axis=dim)

    def masked_fill(self, mask, value):
        return self._apply(I.MaskedFill, self, np.asarray(_key(mask)), value=value)

    def tril(self, diagonal=0):
        return self._apply(I.Tri, self, diagonal=diagonal, upper=False)

    def triu(self, diagonal=0):
        return self._apply(I.Tri, self, diagonal=diagonal, upper=True)

    # ---- in-place updates of the data (no graph; as torch's under no_grad) -------------
    def _inplace(self, arr):
        self.data[...] = arr
        return self

    zero_ = lambda self: self._inplace(0)  # noqa: E731
    fill_ = lambda self, v: self._inplace(v)  # noqa: E731
    copy_ = lambda self, src: self._inplace(np.asarray(src))  # noqa: E731
    add_ = lambda self, o, alpha=1: self._inplace(self.data + np.asarray(o) * alpha)  # noqa: E731
    sub_ = lambda self, o, alpha=1: self._inplace(self.data - np.asarray(o) * alpha)  # noqa: E731
    mul_ = lambda self, o: self._inplace(self.data * np.asarray(o))  # noqa: E731
    div_ = lambda self, o: self._inplace(self.data / np.asarray(o))  # noqa: E731
    clamp_ = lambda self, min=None, max=None: self._inplace(np.clip(self.data, min, max))  # noqa: E731,E501

    def uniform_(self, a=0.0, b=1.0):
        return self._inplace(default_rng().uniform(a, b, self.data.shape))

    def normal_(self, mean=0.0, std=1.0):
        return self._inplace(default_rng().normal(mean, std, self.data.shape))
