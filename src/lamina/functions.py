"""Tensor factories and joins: ``lamina.tensor``, ``zeros``, ``arange``, ``cat``, ...

As in torch, ``dtype=None`` means the default dtype (float32) for floating factories, the
inferred dtype for ``tensor``/``full``/``arange``, and the input's dtype for ``*_like``;
``device=`` accepts the CPU (anything else raises ``lamina.device.DeviceError``).
"""

from __future__ import annotations

import builtins

import numpy as np

from . import dtypes as D
from .device import as_device
from .ops import einsum as Ein
from .ops import elementwise as E
from .ops import shape as S
from .random import default_rng
from .tensor import Tensor, _default_array, _make, apply, promote


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def _new(arr, device, requires_grad) -> Tensor:
    as_device(device)
    t = _make(arr)
    return t.requires_grad_(True) if requires_grad else t


def _float(dtype) -> np.dtype:
    return D.as_dtype(dtype, D.DEFAULT_FLOAT)


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (torch.tensor)."""
    arr = _default_array(data, D.as_dtype(dtype))
    if isinstance(data, (np.ndarray, Tensor)) and arr is getattr(data, "_data", data):
        arr = arr.copy()
    return _new(arr, device, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """``data`` as a tensor, sharing memory where it can (torch.as_tensor)."""
    as_device(device)
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtype):
        return data
    return _make(_default_array(data, D.as_dtype(dtype)))


def from_numpy(arr: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``arr`` (torch.from_numpy)."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(arr).__name__})")
    return _make(arr)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Zeros of the given shape (torch.zeros)."""
    return _new(np.zeros(_size(size), dtype=_float(dtype)), device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Ones of the given shape (torch.ones)."""
    return _new(np.ones(_size(size), dtype=_float(dtype)), device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uninitialised values of the given shape (torch.empty)."""
    return _new(np.empty(_size(size), dtype=_float(dtype)), device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` everywhere; the dtype follows the value as in torch (torch.full)."""
    if dtype is None:
        _, dtype = D._kind(getattr(fill_value, "_data", fill_value))
    size = (size,) if isinstance(size, int) else tuple(size)
    return _new(np.full(size, fill_value, dtype=np.dtype(dtype)), device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from start to end by step (torch.arange); int64 for integer arguments."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    is_int = builtins.all(isinstance(v, (builtins.int, np.integer)) for v in (start, end, step))
    dtype = D.as_dtype(dtype, np.dtype(np.int64) if is_int else D.DEFAULT_FLOAT)
    return _new(np.arange(start, end, step).astype(dtype), device, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from start to end (torch.linspace)."""
    return _new(np.linspace(start, end, steps).astype(_float(dtype)), device, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Identity matrix (torch.eye)."""
    return _new(np.eye(n, m, dtype=_float(dtype)), device, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Draws from U[0, 1) (torch.rand)."""
    arr = default_rng().random(_size(size), dtype=np.float64).astype(_float(dtype))
    return _new(arr, device, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Draws from N(0, 1) (torch.randn)."""
    arr = default_rng().standard_normal(_size(size)).astype(_float(dtype))
    return _new(arr, device, requires_grad)


def randint(low=0, high=None, size=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Integers from [low, high) (torch.randint); int64 by default.

    torch's forms: ``randint(high, size)``, ``randint(low, high, size)``, keywords too.
    """
    if size is None and isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size' (a tuple of ints)")
    if not low < high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    arr = default_rng().integers(low, high, size=tuple(size))
    return _new(arr.astype(D.as_dtype(dtype, np.dtype(np.int64))), device, requires_grad)


def randperm(n, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A random permutation of 0..n-1 (torch.randperm)."""
    arr = default_rng().permutation(n).astype(D.as_dtype(dtype, np.dtype(np.int64)))
    return _new(arr, device, requires_grad)


def _like(t, dtype):
    return np.shape(getattr(t, "_data", t)), D.as_dtype(dtype, getattr(t, "dtype", None))


def zeros_like(input, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Zeros shaped like ``input``, in its dtype unless given (torch.zeros_like)."""
    shape, dtype = _like(input, dtype)
    return _new(np.zeros(shape, dtype), device, requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Ones shaped like ``input`` (torch.ones_like)."""
    shape, dtype = _like(input, dtype)
    return _new(np.ones(shape, dtype), device, requires_grad)


def empty_like(input, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uninitialised values shaped like ``input`` (torch.empty_like)."""
    shape, dtype = _like(input, dtype)
    return _new(np.empty(shape, dtype), device, requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``fill_value`` shaped like ``input`` (torch.full_like)."""
    shape, dtype = _like(input, dtype)
    return _new(np.full(shape, fill_value, dtype), device, requires_grad)


def rand_like(input, dtype=None, device=None, requires_grad=False) -> Tensor:
    """U[0, 1) draws shaped like ``input`` (torch.rand_like)."""
    shape, dtype = _like(input, dtype)
    return rand(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(input, dtype=None, device=None, requires_grad=False) -> Tensor:
    """N(0, 1) draws shaped like ``input`` (torch.randn_like)."""
    shape, dtype = _like(input, dtype)
    return randn(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def _tensors(ts, name) -> list:
    ts = list(ts)
    if not ts:
        raise RuntimeError(f"{name}(): expected a non-empty list of Tensors")
    return promote(*[t if isinstance(t, Tensor) else _make(_default_array(t)) for t in ts])


def cat(tensors, dim: int = 0) -> Tensor:
    """Concatenate along an existing dim (torch.cat)."""
    ts = _tensors(tensors, "cat")
    for i, t in enumerate(ts):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    # torch skips empty 1-D tensors beside tensors of more dims (legacy behaviour)
    full = [t for t in ts if not (t.ndim == 1 and t.shape[0] == 0)] or ts
    ref = full[0]
    d = ref._dim(dim)
    for i, t in enumerate(ts):
        if t.ndim == 1 and t.shape[0] == 0 and full is not ts:
            continue
        if t.ndim != ref.ndim or any(
            a != b for j, (a, b) in enumerate(zip(t.shape, ref.shape)) if j != d
        ):
            raise RuntimeError(
                f"cat: Sizes of tensors must match except in dimension {dim}: tensor {i} has "
                f"shape {list(t.shape)}, tensor 0 {list(ref.shape)}"
            )
    return apply(S.Cat, *ts, axis=d)


concatenate = cat
concat = cat


def stack(tensors, dim: int = 0) -> Tensor:
    """Join along a new dim (torch.stack)."""
    ts = _tensors(tensors, "stack")
    for i, t in enumerate(ts):
        if t.shape != ts[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ts[0].shape)} at "
                f"entry 0 and {list(t.shape)} at entry {i}"
            )
    return apply(S.Stack, *ts, axis=ts[0]._dim(dim, ts[0].ndim + 1))


def where(condition, input=None, other=None):
    """``input`` where condition else ``other`` (torch.where); one argument: the indices."""
    if not isinstance(condition, Tensor):
        raise TypeError(
            f"where(): argument 'condition' must be Tensor, not {type(condition).__name__}"
        )
    cond = condition._data
    if input is None and other is None:
        return tuple(_make(i.astype(np.int64)) for i in np.nonzero(cond))
    a, b = promote(input, other)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = _make(np.asarray(a, D.result_type(input, other)))
    return apply(E.Where, cond.astype(bool, copy=False), a, b)


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation (torch.einsum); operands as arguments or as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ts = [t if isinstance(t, Tensor) else tensor(t) for t in operands]
    return apply(Ein.Einsum, *ts, equation=equation)


def pad(input: Tensor, pad, mode: str = "constant", value=None) -> Tensor:
    """torch.nn.functional.pad: ``pad`` lists (left, right) pairs from the last dim back; a
    negative amount crops. The other modes pad the trailing dims of an unbatched or batched
    input (``len(pad) // 2 + 1`` or ``+ 2`` dims), as torch."""
    x = input
    if len(pad) % 2:
        raise RuntimeError(f"Padding length must be divisible by 2, got pad {tuple(pad)}")
    if len(pad) // 2 > x.ndim:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pad)} and input of dimension {x.ndim}"
        )
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise ValueError(
            f"pad mode {mode!r} unknown; expected constant, reflect, replicate or circular"
        )
    pairs = [(x.ndim - 1 - i, int(pad[2 * i]), int(pad[2 * i + 1])) for i in range(len(pad) // 2)]
    if mode != "constant":
        return _pad_by_index(x, pairs, mode, len(pad))
    width = [(0, 0)] * x.ndim
    for d, left, right in pairs:
        n = x.shape[d]
        if n + min(left, 0) + min(right, 0) < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        if left < 0 or right < 0:  # crop first
            x = x.narrow(d, -min(left, 0), n + min(left, 0) + min(right, 0))
        width[d] = (max(left, 0), max(right, 0))
    value = 0.0 if value is None else value
    return apply(S.Pad, x, pad_width=tuple(width), mode="constant", value=value)


def _pad_by_index(x, pairs, mode, n_pad):
    """reflect / replicate / circular: output j of a dim reads input (j - left) mapped back
    into range, gathered with index_select (so repeated sources accumulate gradients)."""
    k = n_pad // 2
    if x.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {n_pad} is not supported for {x.ndim}D input tensor."
        )
    if mode != "circular" and 0 in x.shape[x.ndim - k - 1 :]:
        raise RuntimeError(
            f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and "
            f"other non-zero dimensions for input, but got: {list(x.shape)}"
        )
    shape = list(x.shape)
    for d, left, right in pairs:
        n = shape[d]
        if mode == "reflect" and (left >= n or right >= n):
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input "
                f"dimension, but got: padding ({left}, {right}) at dimension {d} of input {shape}"
            )
        if mode == "circular" and (left > n or right > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        j = np.arange(n + left + right) - left
        if mode == "reflect":
            j = np.abs(j)
            j = np.where(j >= n, 2 * (n - 1) - j, j)
        elif mode == "replicate":
            j = np.clip(j, 0, n - 1)
        elif n:  # circular wraps within what a negative amount leaves (torch crops first)
            lo, keep = -min(left, 0), n + min(left, 0) + min(right, 0)
            j = (np.arange(keep + max(left, 0) + max(right, 0)) - max(left, 0)) % keep + lo
        else:  # an empty dim padded by 0
            j = np.arange(0)
        x = x.index_select(d, _make(j.astype(np.int64)))
    return x


def result_type(tensor1, tensor2) -> np.dtype:
    """The dtype an op on the two operands computes in (torch.result_type)."""
    return D.result_type(tensor1, tensor2)


def promote_types(type1, type2) -> np.dtype:
    """The smallest dtype both promote to (torch.promote_types)."""
    return D.promote_types(type1, type2)


def get_default_dtype() -> np.dtype:
    """float32, the dtype of floating factories and Python floats (torch.get_default_dtype)."""
    return D.DEFAULT_FLOAT


def is_tensor(obj) -> bool:
    """Whether obj is a lamina Tensor (torch.is_tensor)."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """Number of elements (torch.numel)."""
    return input.numel()


__all__ = [
    "tensor",
    "as_tensor",
    "from_numpy",
    "zeros",
    "ones",
    "empty",
    "full",
    "arange",
    "linspace",
    "eye",
    "rand",
    "randn",
    "randint",
    "randperm",
    "zeros_like",
    "ones_like",
    "empty_like",
    "full_like",
    "rand_like",
    "randn_like",
    "cat",
    "stack",
    "where",
    "einsum",
    "pad",
    "result_type",
    "promote_types",
    "get_default_dtype",
    "is_tensor",
    "numel",
    "concatenate",
    "concat",
]
