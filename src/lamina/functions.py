"""Module-level tensor functions and factories: ``lamina.zeros``, ``lamina.cat``, ..."""

from __future__ import annotations

import builtins

import numpy as np

from .ops import einsum as Ein
from .ops import elementwise as E
from .ops import shape as S
from .random import default_rng
from .tensor import Tensor, _default_array, _make, _operand, apply

float32, float64, float16 = np.float32, np.float64, np.float16
int64, int32, int16, int8, uint8 = np.int64, np.int32, np.int16, np.int8, np.uint8
bool_ = np.bool_
long, double, half = np.int64, np.float64, np.float16
float, int = np.float32, np.int32  # noqa: A001 - torch's aliases, as lamina.float


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def _new(arr, requires_grad):
    t = _make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, dtype=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (torch.tensor)."""
    arr = _default_array(data, dtype)
    if isinstance(data, (np.ndarray, Tensor)):
        arr = arr.copy()
    return _new(arr, requires_grad)


def as_tensor(data, dtype=None) -> Tensor:
    if isinstance(data, Tensor) and dtype is None:
        return data
    return _make(_default_array(data, dtype))


def from_numpy(arr: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``arr`` (torch.from_numpy)."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(arr).__name__}")
    return _make(arr)


def zeros(*size, dtype=np.float32, requires_grad=False) -> Tensor:
    return _new(np.zeros(_size(size), dtype=dtype), requires_grad)


def ones(*size, dtype=np.float32, requires_grad=False) -> Tensor:
    return _new(np.ones(_size(size), dtype=dtype), requires_grad)


def empty(*size, dtype=np.float32, requires_grad=False) -> Tensor:
    return _new(np.empty(_size(size), dtype=dtype), requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False) -> Tensor:
    if dtype is None:
        dtype = (
            np.float32
            if isinstance(fill_value, (builtins.float, np.floating))
            else (np.bool_ if isinstance(fill_value, bool) else np.int64)
        )
    return _new(np.full(tuple(size), fill_value, dtype=dtype), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False) -> Tensor:
    if end is None:
        start, end = 0, start
    is_int = all(isinstance(v, (builtins.int, np.integer)) for v in (start, end, step))
    dtype = dtype or (np.int64 if is_int else np.float32)
    return _new(np.arange(start, end, step).astype(dtype), requires_grad)


def linspace(start, end, steps, dtype=np.float32, requires_grad=False) -> Tensor:
    return _new(np.linspace(start, end, steps).astype(dtype), requires_grad)


def eye(n, m=None, dtype=np.float32, requires_grad=False) -> Tensor:
    return _new(np.eye(n, m, dtype=dtype), requires_grad)


def rand(*size, dtype=np.float32, requires_grad=False) -> Tensor:
    return _new(default_rng().random(_size(size), dtype=np.float64).astype(dtype), requires_grad)


def randn(*size, dtype=np.float32, requires_grad=False) -> Tensor:
    return _new(default_rng().standard_normal(_size(size)).astype(dtype), requires_grad)


def randint(low, high=None, size=(), dtype=np.int64) -> Tensor:
    if high is None:
        low, high = 0, low
    return _make(default_rng().integers(low, high, size=tuple(size)).astype(dtype))


def randperm(n, dtype=np.int64) -> Tensor:
    return _make(default_rng().permutation(n).astype(dtype))


def zeros_like(t, dtype=None, requires_grad=False) -> Tensor:
    return zeros(np.shape(t), dtype=dtype or t.dtype, requires_grad=requires_grad)


def ones_like(t, dtype=None, requires_grad=False) -> Tensor:
    return ones(np.shape(t), dtype=dtype or t.dtype, requires_grad=requires_grad)


def full_like(t, fill_value, dtype=None) -> Tensor:
    return full(np.shape(t), fill_value, dtype=dtype or t.dtype)


def empty_like(t, dtype=None) -> Tensor:
    return empty(np.shape(t), dtype=dtype or t.dtype)


def randn_like(t, dtype=None, requires_grad=False) -> Tensor:
    return randn(np.shape(t), dtype=dtype or t.dtype, requires_grad=requires_grad)


def rand_like(t, dtype=None) -> Tensor:
    return rand(np.shape(t), dtype=dtype or t.dtype)


def _tensors(ts, name):
    ts = list(ts)
    if not ts:
        raise ValueError(f"{name}() expects a non-empty sequence of tensors")
    return [t if isinstance(t, Tensor) else _make(_default_array(t)) for t in ts]


def cat(tensors, dim=0) -> Tensor:
    """Concatenate along an existing dim (torch.cat)."""
    ts = _tensors(tensors, "cat")
    ref = ts[0].shape
    for i, t in enumerate(ts):
        if t.ndim != len(ref) or any(
            a != b for j, (a, b) in enumerate(zip(t.shape, ref)) if j != dim % len(ref)
        ):
            raise ValueError(
                f"cat: tensor {i} has shape {tuple(t.shape)}, incompatible with "
                f"tensor 0's {tuple(ref)} outside dim {dim}"
            )
    return apply(S.Cat, *ts, axis=dim)


concatenate = cat


def stack(tensors, dim=0) -> Tensor:
    ts = _tensors(tensors, "stack")
    for i, t in enumerate(ts):
        if t.shape != ts[0].shape:
            raise ValueError(
                f"stack: tensor {i} has shape {tuple(t.shape)}, expected "
                f"{tuple(ts[0].shape)} like tensor 0"
            )
    return apply(S.Stack, *ts, axis=dim)


def where(cond, a=None, b=None):
    """Elementwise choice between ``a`` and ``b`` (torch.where); ``where(cond)`` alone is
    ``cond.nonzero(as_tuple=True)``."""
    if a is None and b is None:
        return (cond if isinstance(cond, Tensor) else tensor(cond)).nonzero(as_tuple=True)
    cond = cond.data if isinstance(cond, Tensor) else np.asarray(cond)
    if not isinstance(a, Tensor):
        a = _make(np.asarray(_operand(b, a) if isinstance(b, Tensor) else a))
    return apply(E.Where, cond, a, _operand(a, b))


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation (torch.einsum); operands as arguments or as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ts = [t if isinstance(t, Tensor) else tensor(t) for t in operands]
    return apply(Ein.Einsum, *ts, equation=equation)


def pad(x: Tensor, pad, mode: str = "constant", value: float = 0.0) -> Tensor:
    """torch.nn.functional.pad: ``pad`` lists (left, right) pairs from the last dim back."""
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad {tuple(pad)} must have an even length <= 2 * ndim ({x.ndim})")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise ValueError(
            f"pad mode {mode!r} unknown; expected constant, reflect, replicate or circular"
        )
    width = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        width[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return apply(S.Pad, x, pad_width=tuple(width), mode=mode, value=value)


def _fn(name):
    def f(x, *args, **kwargs):
        return getattr(x if isinstance(x, Tensor) else tensor(x), name)(*args, **kwargs)

    f.__name__ = name
    f.__doc__ = f"lamina.{name}(x, ...) is x.{name}(...) (torch.{name})."
    return f


_NAMES = (
    "exp log log1p sqrt rsqrt sin cos tanh abs sign clamp clip sigmoid relu softmax "
    "log_softmax sum mean var std max min amax amin argmax argmin logsumexp prod norm "
    "reshape flatten squeeze unsqueeze transpose permute split chunk unbind gather "
    "scatter_add index_select masked_fill tril triu matmul maximum minimum square "
    "clone detach neg isnan isfinite allclose equal add sub mul div "
    "sort argsort msort topk cumsum cumprod nonzero argwhere isinf isposinf isneginf "
    "nan_to_num multinomial mm bmm"
).split()
for _n in _NAMES:
    globals()[_n] = _fn(_n)
del _n

__all__ = [
    "Tensor",
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
    "full_like",
    "empty_like",
    "randn_like",
    "rand_like",
    "cat",
    "concatenate",
    "stack",
    "where",
    "einsum",
    "pad",
    "float32",
    "float64",
    "float16",
    "int64",
    "int32",
    "int16",
    "int8",
    "uint8",
    "bool_",
    "long",
    "double",
    "half",
    "float",
    "int",
    *_NAMES,
]
