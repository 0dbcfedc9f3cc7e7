"""Tensor reductions: sum, mean, var/std, max/min (with indices), amax/amin, argmax/argmin,
logsumexp, prod and norm (torch's names and rules); mixed into Tensor."""

from __future__ import annotations

import numpy as np

from .ops import reduce as R
from .ops.dims import wrap_dim
from .tensor_math import ValuesIndices
from .tensor_norms import torch_norm


def _arg(f, data: np.ndarray, dim, keepdim: bool) -> np.ndarray:
    """argmax/argmin as torch: dim=None flattens, a 0-d array takes dim 0/-1, bool input
    and empty reductions raise."""
    name = f.__name__
    if data.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    d = None if dim is None else wrap_dim(dim, data.ndim)
    if data.size == 0:
        if d is None or data.ndim == 0:
            raise IndexError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
            )
        if data.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    if d is None or data.ndim == 0:
        out = np.asarray(f(data.reshape(-1)))
        return out.reshape((1,) * data.ndim if keepdim else ()).astype(np.int64)
    return f(data, axis=d, keepdims=keepdim).astype(np.int64)


class ReduceMixin:
    __slots__ = ()

    def sum(self, dim=None, keepdim=False, dtype=None):
        """Sum over all elements or dims (torch.sum); bool and ints sum in int64."""
        x = self if dtype is None else self.astype(dtype)
        dt = x._data.dtype
        if dt.kind in "biu" and dt != np.int64:
            x = x.astype(np.int64)
        return self._apply(R.Sum, x, axis=self._dims(dim), keepdim=keepdim)

    def mean(self, dim=None, keepdim=False, dtype=None):
        """Mean over all elements or dims (torch.mean); needs a float dtype."""
        x = self if dtype is None else self.astype(dtype)
        if x.dtype.kind not in "fc":
            raise RuntimeError(
                f"mean(): could not infer output dtype. Input dtype must be either a floating "
                f"point or complex dtype. Got: {x.dtype}"
            )
        return self._apply(R.Mean, x, axis=self._dims(dim), keepdim=keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, correction=None):
        """Variance with Bessel's correction by default (torch.var)."""
        c = correction if correction is not None else (0 if unbiased is False else 1)
        return self._apply(R.Var, self, axis=self._dims(dim), correction=c, keepdim=keepdim)

    def std(self, dim=None, unbiased=None, keepdim=False, correction=None):
        """Standard deviation (torch.std); its gradient is 0 where it is 0."""
        c = correction if correction is not None else (0 if unbiased is False else 1)
        return self._apply(R.Std, self, axis=self._dims(dim), correction=c, keepdim=keepdim)

    def _maxmin(self, dim, keepdim, largest):
        if dim is None:
            return self._apply(R.MaxMin, self, largest=largest)
        dim = self._dim(dim)
        values = self._apply(R.MaxMin, self, axis=dim, keepdim=keepdim, largest=largest)
        data = self._data.astype(np.int8) if self.dtype == np.bool_ else self._data
        idx = _arg(np.argmax if largest else np.argmin, data, dim, keepdim)
        return ValuesIndices(values, self._wrap(idx))

    def max(self, dim=None, keepdim=False):
        """Largest value, or (values, indices) along dim (torch.max)."""
        if dim is not None and hasattr(dim, "_data"):
            return self.maximum(dim)
        return self._maxmin(dim, keepdim, True)

    def min(self, dim=None, keepdim=False):
        """Smallest value, or (values, indices) along dim (torch.min)."""
        if dim is not None and hasattr(dim, "_data"):
            return self.minimum(dim)
        return self._maxmin(dim, keepdim, False)

    def amax(self, dim=(), keepdim=False):
        """Largest values over dims (an int, a tuple; () means all); ties share the gradient
        evenly (torch.amax)."""
        return self._apply(R.AMaxMin, self, axis=self._dims(dim), keepdim=keepdim)

    def amin(self, dim=(), keepdim=False):
        """Smallest values over dims; ties share the gradient evenly (torch.amin)."""
        return self._apply(R.AMaxMin, self, axis=self._dims(dim), keepdim=keepdim, largest=False)

    def argmax(self, dim=None, keepdim=False):
        """Index of the largest value, flat or along dim (torch.argmax)."""
        return self._wrap(_arg(np.argmax, self._data, dim, keepdim))

    def argmin(self, dim=None, keepdim=False):
        """Index of the smallest value, flat or along dim (torch.argmin)."""
        return self._wrap(_arg(np.argmin, self._data, dim, keepdim))

    def logsumexp(self, dim, keepdim=False):
        """log(sum(exp(self))) along dims, computed stably (torch.logsumexp)."""
        return self._apply(R.LogSumExp, self, axis=self._dims(dim), keepdim=keepdim)

    def prod(self, dim=None, keepdim=False):
        """Product over all elements or one dim (torch.prod)."""
        axis = None if dim is None else self._dim(dim)
        return self._apply(R.Prod, self, axis=axis, keepdim=keepdim)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """Vector p-norm, or a matrix norm for ``p='nuc'`` (torch.norm / Tensor.norm)."""
        return torch_norm(self, p, dim, keepdim, dtype)
