"""dtypes as torch names them, torch's type promotion, and ``Size``.

lamina's dtypes are NumPy's scalar types (``lamina.float32 is numpy.float32``), so arrays
and tensors compare and convert freely. Promotion follows ``torch.result_type``:

- categories bool < integer < floating < complex;
- operands rank by kind: tensors with dimensions, then 0-d tensors, then scalars (Python
  and NumPy numbers). A lower kind changes the result only when it brings a higher
  category, so ``float32_tensor * np.float64(2)``, ``x * tensor(2.0, dtype=float64)`` and
  ``int32_tensor + 5`` keep the tensor's dtype;
- a float scalar meets an integer tensor in the default dtype (float32).
"""

from __future__ import annotations

import builtins

import numpy as np

float32, float64, float16 = np.float32, np.float64, np.float16
int64, int32, int16, int8, uint8 = np.int64, np.int32, np.int16, np.int8, np.uint8
complex64, complex128 = np.complex64, np.complex128
bool = np.bool_  # noqa: A001 - torch's name: lamina.bool
bool_ = np.bool_
long, double, half, short = np.int64, np.float64, np.float16, np.int16
float, int = np.float32, np.int32  # noqa: A001 - torch's aliases: lamina.float, lamina.int
cfloat, cdouble = np.complex64, np.complex128


class UnsupportedDtype:
    """A torch dtype NumPy has no type for (``torch.bfloat16``): the name exists, so scripts
    that list it (``{'bfloat16': torch.bfloat16, ...}``) import, and any use raises.

    NumPy reads an object's ``dtype`` attribute wherever it expects a dtype, so the property
    below makes ``np.dtype(...)``, ``astype`` and every factory raise this TypeError.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"lamina.{self.name}"

    @property
    def dtype(self):
        raise TypeError(
            f"lamina.{self.name} is not supported: lamina computes with NumPy, which has no "
            f"{self.name} type; use lamina.float32 (or lamina.float16)"
        )


bfloat16 = UnsupportedDtype("bfloat16")

DEFAULT_FLOAT = np.dtype(np.float32)
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
_SCALAR_DTYPES = (np.dtype(np.bool_), np.dtype(np.int64), DEFAULT_FLOAT, np.dtype(np.complex64))
_TENSOR_TYPES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "bool": "BoolTensor",
}
_FROM_TYPE_NAME = {v: k for k, v in _TENSOR_TYPES.items()}


def category(dtype) -> builtins.int:
    """0 bool, 1 integer, 2 floating, 3 complex."""
    return _CATEGORY[np.dtype(dtype).kind]


def promote_types(a, b) -> np.dtype:
    """torch.promote_types: the higher category wins; within one, NumPy's promotion."""
    a, b = np.dtype(a), np.dtype(b)
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def _combine(higher, lower):
    """torch's combine_categories: what a lower-ranked kind of operand may change."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    ch, cl = _CATEGORY[higher.kind], _CATEGORY[lower.kind]
    if ch >= 2 and cl <= ch:
        return higher
    if ch == 0 or cl > ch:
        return promote_types(higher, lower)
    return higher


def _kind(x):
    """(rank, dtype): rank 2 a tensor/array with dims, 1 a 0-d one, 0 a scalar."""
    arr = getattr(x, "_data", x)
    if isinstance(arr, np.ndarray):
        return (2 if arr.ndim else 1), arr.dtype
    if isinstance(arr, (builtins.bool, np.bool_)):
        return 0, _SCALAR_DTYPES[0]
    if isinstance(arr, (builtins.int, np.integer)):
        return 0, _SCALAR_DTYPES[1]
    if isinstance(arr, (builtins.float, np.floating)):
        return 0, _SCALAR_DTYPES[2]
    if isinstance(arr, (builtins.complex, np.complexfloating)):
        return 0, _SCALAR_DTYPES[3]
    raise TypeError(f"expected a Tensor, array or number as operand, got {type(x).__name__}")


def result_type(*operands) -> np.dtype:
    """The dtype an elementwise op on ``operands`` computes in (torch.result_type)."""
    best = [None, None, None]  # per rank: scalars, 0-d, dimensioned
    for x in operands:
        if x is None:
            continue
        rank, dt = _kind(x)
        best[rank] = dt if best[rank] is None else promote_types(best[rank], dt)
    return _combine(best[2], _combine(best[1], best[0]))


def check_inplace_cast(result: np.dtype, target: np.dtype, op: str) -> None:
    """Refuse an in-place op whose result cannot be stored in ``target`` (torch's rule)."""
    if _CATEGORY[np.dtype(result).kind] > _CATEGORY[np.dtype(target).kind]:
        raise RuntimeError(
            f"{op}: result type {type_name(result)} can't be cast to the desired output type "
            f"{type_name(target)}"
        )


def type_name(dtype) -> str:
    """torch's short name of a dtype, e.g. Float, Long."""
    return _TENSOR_TYPES.get(np.dtype(dtype).name, np.dtype(dtype).name).replace("Tensor", "")


def tensor_type(dtype) -> str:
    """Tensor.type()'s string, e.g. ``lamina.FloatTensor``."""
    name = np.dtype(dtype).name
    return "lamina." + _TENSOR_TYPES.get(name, name)


def parse_type(t) -> np.dtype:
    """A dtype from a dtype or a Tensor.type() string such as ``'lamina.DoubleTensor'``."""
    if isinstance(t, str):
        short = t.rsplit(".", 1)[-1]
        if short in _FROM_TYPE_NAME:
            return np.dtype(_FROM_TYPE_NAME[short])
        raise TypeError(f"invalid type {t!r}: expected e.g. 'lamina.FloatTensor' or a dtype")
    return np.dtype(t)


def as_dtype(dtype, default=None) -> np.dtype | None:
    """``dtype`` as an np.dtype; None gives ``default``."""
    if dtype is None:
        return default
    if isinstance(dtype, UnsupportedDtype):
        return dtype.dtype  # raises, saying why
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"expected a dtype such as lamina.float32, got {dtype!r}") from None


class Size(tuple):
    """A tensor's shape (torch.Size): a tuple with ``numel()``."""

    def numel(self) -> builtins.int:
        """Number of elements of a tensor of this shape."""
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self) -> str:
        return f"lamina.Size({list(self)})"

    def __getitem__(self, key):
        out = tuple.__getitem__(self, key)
        return Size(out) if isinstance(key, slice) else out


def default_array(data, dtype=None) -> np.ndarray:
    """Data as an ndarray; Python numbers and lists default to float32/int64 as in torch."""
    if hasattr(data, "_data"):  # a Tensor
        data = data._data
    if isinstance(data, np.ndarray):
        return data if dtype is None or data.dtype == dtype else data.astype(dtype)
    if isinstance(data, (list, tuple)) and any(hasattr(d, "_data") for d in data):
        data = [getattr(d, "_data", d) for d in data]
    arr = np.asarray(data, dtype=dtype)
    if dtype is None and not isinstance(data, np.generic):
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        elif arr.dtype.kind in "iu" and arr.dtype != np.int64:
            arr = arr.astype(np.int64)
    return arr
