"""Module-level twins of the Tensor shape methods: ``lamina.flatten(x)`` is ``x.flatten()``.

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


NAMES = (
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
)
