"""Module-level twins of the sorting, scanning and selection methods: ``lamina.sort(x)``.

Each has the method's signature with ``input`` first; a non-tensor input is converted
with ``lamina.tensor`` first.
"""

from __future__ import annotations

from .functions import tensor
from .tensor import Tensor


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else tensor(x)


def sort(input, dim=-1, descending=False, stable=False):
    """(values, indices) sorted along ``dim`` (torch.sort)."""
    return _t(input).sort(dim, descending, stable)


def argsort(input, dim=-1, descending=False, stable=False):
    """Indices that sort ``dim`` (torch.argsort)."""
    return _t(input).argsort(dim, descending, stable)


def msort(input):
    """Sorted along dim 0 (torch.msort)."""
    return _t(input).msort()


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The k largest (or smallest) values and their indices (torch.topk)."""
    return _t(input).topk(k, dim, largest, sorted)


def cumsum(input, dim, dtype=None):
    """Running sum along ``dim`` (torch.cumsum)."""
    return _t(input).cumsum(dim, dtype=dtype)


def cumprod(input, dim, dtype=None):
    """Running product along ``dim`` (torch.cumprod)."""
    return _t(input).cumprod(dim, dtype=dtype)


def nonzero(input, *, as_tuple=False):
    """Indices of the non-zero elements (torch.nonzero)."""
    return _t(input).nonzero(as_tuple=as_tuple)


def argwhere(input):
    """Indices of the non-zero elements as a (n, ndim) tensor (torch.argwhere)."""
    return _t(input).argwhere()


def isinf(input):
    """True where +inf or -inf (torch.isinf)."""
    return _t(input).isinf()


def isposinf(input):
    """True where +inf (torch.isposinf)."""
    return _t(input).isposinf()


def isneginf(input):
    """True where -inf (torch.isneginf)."""
    return _t(input).isneginf()


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN and infinities replaced by numbers (torch.nan_to_num)."""
    return _t(input).nan_to_num(nan, posinf, neginf)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Category indices drawn from rows of non-negative weights (torch.multinomial)."""
    return _t(input).multinomial(num_samples, replacement, generator)


def mm(input, mat2):
    """Matrix product of two 2-D tensors (torch.mm)."""
    return _t(input).mm(mat2)


def bmm(input, mat2):
    """Batched matrix product of 3-D tensors (torch.bmm)."""
    return _t(input).bmm(mat2)


NAMES = (
    "sort",
    "argsort",
    "msort",
    "topk",
    "cumsum",
    "cumprod",
    "nonzero",
    "argwhere",
    "isinf",
    "isposinf",
    "isneginf",
    "nan_to_num",
    "multinomial",
    "mm",
    "bmm",
)
__all__ = list(NAMES)
