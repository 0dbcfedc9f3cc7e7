"""Module-level twins of the rounding, bitwise, fused-update and selection methods:
``lamina.floor(x)`` is ``x.floor()`` (torch.floor); a non-tensor input goes through
``lamina.tensor`` first."""

from __future__ import annotations

from .functions import tensor
from .tensor import Tensor


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else tensor(x)


def floor(input):
    """Largest whole number <= input (torch.floor)."""
    return _t(input).floor()


def ceil(input):
    """Smallest whole number >= input (torch.ceil)."""
    return _t(input).ceil()


def trunc(input):
    """Rounded toward zero (torch.trunc)."""
    return _t(input).trunc()


def fix(input):
    """Rounded toward zero (torch.fix)."""
    return _t(input).fix()


def round(input, decimals=0):
    """Rounded half to even (torch.round)."""
    return _t(input).round(decimals=decimals)


def frac(input):
    """input - trunc(input) (torch.frac)."""
    return _t(input).frac()


def reciprocal(input):
    """1 / input (torch.reciprocal)."""
    return _t(input).reciprocal()


def remainder(input, other):
    """Remainder with the sign of other (torch.remainder)."""
    return _t(input).remainder(other)


def fmod(input, other):
    """Remainder with the sign of input (torch.fmod)."""
    return _t(input).fmod(other)


def floor_divide(input, other):
    """input // other (torch.floor_divide)."""
    return _t(input).floor_divide(other)


def bitwise_and(input, other):
    """Bitwise AND (torch.bitwise_and)."""
    return _t(input).bitwise_and(other)


def bitwise_or(input, other):
    """Bitwise OR (torch.bitwise_or)."""
    return _t(input).bitwise_or(other)


def bitwise_xor(input, other):
    """Bitwise XOR (torch.bitwise_xor)."""
    return _t(input).bitwise_xor(other)


def bitwise_not(input):
    """Bitwise NOT (torch.bitwise_not)."""
    return _t(input).bitwise_not()


def bitwise_left_shift(input, other):
    """input << other (torch.bitwise_left_shift)."""
    return _t(input).bitwise_left_shift(other)


def bitwise_right_shift(input, other):
    """input >> other (torch.bitwise_right_shift)."""
    return _t(input).bitwise_right_shift(other)


def logical_and(input, other):
    """Elementwise AND of truth values (torch.logical_and)."""
    return _t(input).logical_and(other)


def logical_or(input, other):
    """Elementwise OR of truth values (torch.logical_or)."""
    return _t(input).logical_or(other)


def logical_xor(input, other):
    """Elementwise XOR of truth values (torch.logical_xor)."""
    return _t(input).logical_xor(other)


def lerp(input, end, weight):
    """input + weight * (end - input) (torch.lerp)."""
    return _t(input).lerp(end, weight)


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2 (torch.addcmul)."""
    return _t(input).addcmul(tensor1, tensor2, value=value)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2 (torch.addcdiv)."""
    return _t(input).addcdiv(tensor1, tensor2, value=value)


def clamp_min(input, min):
    """clamp(input, min=min) (torch.clamp_min)."""
    return _t(input).clamp_min(min)


def clamp_max(input, max):
    """clamp(input, max=max) (torch.clamp_max)."""
    return _t(input).clamp_max(max)


def flip(input, dims):
    """Reversed along dims (torch.flip)."""
    return _t(input).flip(dims)


def roll(input, shifts, dims=None):
    """Shifted cyclically (torch.roll)."""
    return _t(input).roll(shifts, dims=dims)


def kthvalue(input, k, dim=-1, keepdim=False):
    """k-th smallest value and its index (torch.kthvalue)."""
    return _t(input).kthvalue(k, dim=dim, keepdim=keepdim)


def median(input, dim=None, keepdim=False):
    """The lower median (torch.median)."""
    return _t(input).median(dim=dim, keepdim=keepdim)


def mode(input, dim=-1, keepdim=False):
    """Most frequent value and its index (torch.mode)."""
    return _t(input).mode(dim=dim, keepdim=keepdim)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """Distinct values (torch.unique)."""
    return _t(input).unique(
        sorted=sorted, return_inverse=return_inverse, return_counts=return_counts, dim=dim
    )


def select(input, dim, index):
    """The slice at index along dim (torch.select)."""
    return _t(input).select(dim, index)


def index_add(input, dim, index, source, *, alpha=1):
    """A copy with source added at index (torch.index_add)."""
    return _t(input).index_add(dim, index, source, alpha=alpha)


def scatter(input, dim, index, src=None, value=None):
    """A copy with src written at index (torch.scatter)."""
    return _t(input).scatter(dim, index, src=src, value=value)


__all__ = NAMES = [
    "floor",
    "ceil",
    "trunc",
    "fix",
    "round",
    "frac",
    "reciprocal",
    "remainder",
    "fmod",
    "floor_divide",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "bitwise_not",
    "bitwise_left_shift",
    "bitwise_right_shift",
    "logical_and",
    "logical_or",
    "logical_xor",
    "lerp",
    "addcmul",
    "addcdiv",
    "clamp_min",
    "clamp_max",
    "flip",
    "roll",
    "kthvalue",
    "median",
    "mode",
    "unique",
    "select",
    "index_add",
    "scatter",
]
