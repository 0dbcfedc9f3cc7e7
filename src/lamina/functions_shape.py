"""Module-level twins of the Tensor shape, sorting and selection methods (``lamina.flatten``).

Each has the method's signature with ``input`` first; a non-tensor input is converted
with ``lamina.tensor`` first.
"""

from __future__ import annotations

from .functions import tensor
from .tensor import Tensor


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else tensor(x)


def reshape(input, shape):
    """Same values in a new shape (torch.reshape)."""
    return _t(input).reshape(shape)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims start_dim..end_dim (torch.flatten)."""
    return _t(input).flatten(start_dim=start_dim, end_dim=end_dim)


def unflatten(input, dim, sizes):
    """Split one dim into sizes (torch.unflatten)."""
    return _t(input).unflatten(dim, sizes)


def squeeze(input, dim=None):
    """Drop size-1 dims (torch.squeeze)."""
    return _t(input).squeeze(dim=dim)


def unsqueeze(input, dim):
    """Insert a size-1 dim (torch.unsqueeze)."""
    return _t(input).unsqueeze(dim)


def transpose(input, dim0, dim1):
    """Swap two dims (torch.transpose)."""
    return _t(input).transpose(dim0, dim1)


def swapaxes(input, axis0, axis1):
    """Alias of transpose (torch.swapaxes)."""
    return _t(input).swapaxes(axis0, axis1)


def permute(input, dims):
    """Reorder the dims (torch.permute)."""
    return _t(input).permute(*dims)


def t(input):
    """Transpose of a tensor with <= 2 dims (torch.t)."""
    return _t(input).t()


def split(input, split_size_or_sections, dim=0):
    """Pieces along dim (torch.split)."""
    return _t(input).split(split_size_or_sections, dim=dim)


def chunk(input, chunks, dim=0):
    """Nearly equal pieces along dim (torch.chunk)."""
    return _t(input).chunk(chunks, dim=dim)


def unbind(input, dim=0):
    """The slices along dim (torch.unbind)."""
    return _t(input).unbind(dim=dim)


def narrow(input, dim, start, length):
    """A slice along dim, as a view (torch.narrow)."""
    return _t(input).narrow(dim, start, length)


def gather(input, dim, index):
    """Values at index along dim (torch.gather)."""
    return _t(input).gather(dim, index)


def scatter_add(input, dim, index, src):
    """A copy with src added at index (torch.scatter_add)."""
    return _t(input).scatter_add(dim, index, src)


def index_select(input, dim, index):
    """Slices at index along dim (torch.index_select)."""
    return _t(input).index_select(dim, index)


def masked_fill(input, mask, value):
    """A copy with value where mask is true (torch.masked_fill)."""
    return _t(input).masked_fill(mask, value)


def tril(input, diagonal=0):
    """Lower triangle (torch.tril)."""
    return _t(input).tril(diagonal=diagonal)


def triu(input, diagonal=0):
    """Upper triangle (torch.triu)."""
    return _t(input).triu(diagonal=diagonal)


def sort(input, dim=-1, descending=False, stable=False):
    """Sorted values and indices along dim (torch.sort)."""
    return _t(input).sort(dim=dim, descending=descending, stable=stable)


def argsort(input, dim=-1, descending=False, stable=False):
    """Indices that sort dim (torch.argsort)."""
    return _t(input).argsort(dim=dim, descending=descending, stable=stable)


def msort(input):
    """Sorted along dim 0 (torch.msort)."""
    return _t(input).msort()


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The k largest or smallest values and their indices (torch.topk)."""
    return _t(input).topk(k, dim=dim, largest=largest, sorted=sorted)


def cumsum(input, dim, dtype=None):
    """Running sum along dim (torch.cumsum)."""
    return _t(input).cumsum(dim, dtype=dtype)


def cumprod(input, dim, dtype=None):
    """Running product along dim (torch.cumprod)."""
    return _t(input).cumprod(dim, dtype=dtype)


def nonzero(input, *, as_tuple=False):
    """Indices of the non-zero elements (torch.nonzero)."""
    return _t(input).nonzero(as_tuple=as_tuple)


def argwhere(input):
    """Indices of the non-zero elements, one row each (torch.argwhere)."""
    return _t(input).argwhere()


def isinf(input):
    """Where input is +-inf (torch.isinf)."""
    return _t(input).isinf()


def isposinf(input):
    """Where input is +inf (torch.isposinf)."""
    return _t(input).isposinf()


def isneginf(input):
    """Where input is -inf (torch.isneginf)."""
    return _t(input).isneginf()


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN and infinities replaced by numbers (torch.nan_to_num)."""
    return _t(input).nan_to_num(nan=nan, posinf=posinf, neginf=neginf)


def multinomial(input, num_samples, replacement=False, generator=None):
    """Category indices drawn from rows of weights (torch.multinomial)."""
    return _t(input).multinomial(num_samples, replacement=replacement, generator=generator)


def mm(input, mat2):
    """Product of two 2-D tensors (torch.mm)."""
    return _t(input).mm(mat2)


def bmm(input, mat2):
    """Batched product of 3-D tensors (torch.bmm)."""
    return _t(input).bmm(mat2)


__all__ = NAMES = [
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
    "reshape",
    "flatten",
    "unflatten",
    "squeeze",
    "unsqueeze",
    "transpose",
    "swapaxes",
    "permute",
    "t",
    "split",
    "chunk",
    "unbind",
    "narrow",
    "gather",
    "scatter_add",
    "index_select",
    "masked_fill",
    "tril",
    "triu",
]
