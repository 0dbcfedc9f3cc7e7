"""Tensor methods for arithmetic, comparisons, elementwise maths and reductions.

Mixed into Tensor (tensor.py). Binary operands are brought to torch's result type first
(``self._promote``, see ``dtypes.result_type``); the ops then see arrays of one dtype.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from . import dtypes as D
from .ops import activation as A
from .ops import elementwise as E
from .ops import linalg as L

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _axis(dim):
    return tuple(dim) if isinstance(dim, list) else dim


def _tensor_operand(name: str, other) -> None:
    """torch.maximum/minimum take a Tensor, not a number."""
    if not hasattr(other, "_data"):
        raise TypeError(
            f"{name}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}"
        )


def _is_operand(o) -> bool:
    return hasattr(o, "_data") or isinstance(o, (np.ndarray, np.generic, bool, int, float, complex))


def _check_alpha(a, b, alpha) -> None:
    """torch's rules for add/sub's alpha: bool only for bool results, no float for integers."""
    kind = D.result_type(a, b).kind
    if isinstance(alpha, (bool, np.bool_)) and kind != "b":
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, (float, np.floating)) and kind in "biu":
        raise RuntimeError(
            "For integral input tensors, argument alpha must not be a floating point number."
        )


class MathMixin:
    __slots__ = ()

    # ---- arithmetic -------------------------------------------------------------------
    def _binary(self, fn, other, reverse=False, true_div=False):
        dtype = self._data.dtype
        od = getattr(other, "_data", None)
        if od is not None and od.dtype == dtype and dtype.kind in "fc":
            # the common case: two tensors of one float dtype, nothing to promote or refuse
            return self._apply(fn, other, self) if reverse else self._apply(fn, self, other)
        kind = dtype.kind
        if fn is E.Sub and (
            kind == "b"
            or other is True
            or other is False
            or getattr(other, "dtype", None) == np.bool_
        ):
            E.check_sub_operands(self._data, getattr(other, "_data", other))  # as torch
        if od is not None and od.dtype == dtype:
            a, b = self, other  # one dtype: nothing to promote (the common case)
        elif type(other) is float and kind == "f" or type(other) is int and kind in "fiu":
            a, b = self, other  # a Python scalar of a lower or equal category
        elif not _is_operand(other):
            return NotImplemented
        else:
            a, b = self._promote(self, other)
            if fn is E.Pow and not reverse and getattr(other, "dtype", None) == np.bool_:
                b = other  # a bool exponent stays bool: torch's backward then refuses it
        if true_div and a.dtype.kind not in "fc":
            a = a.astype(np.float32)  # int / int gives the default float dtype, as torch
            b = b.astype(np.float32) if isinstance(b, np.ndarray) or hasattr(b, "_data") else b
        return self._apply(fn, b, a) if reverse else self._apply(fn, a, b)

    def __add__(self, other):
        return self._binary(E.Add, other)

    def __radd__(self, other):
        return self._binary(E.Add, other, reverse=True)

    def __sub__(self, other):
        return self._binary(E.Sub, other)

    def __rsub__(self, other):
        return self._binary(E.Sub, other, reverse=True)

    def __mul__(self, other):
        return self._binary(E.Mul, other)

    def __rmul__(self, other):
        return self._binary(E.Mul, other, reverse=True)

    def __truediv__(self, other):
        return self._binary(E.Div, other, true_div=True)

    def __rtruediv__(self, other):
        if isinstance(other, (int, float, np.number)) and not isinstance(other, bool):
            return self.reciprocal() * other  # torch's number / tensor (what backward saves)
        return self._binary(E.Div, other, reverse=True, true_div=True)

    def __pow__(self, other):
        return self._binary(E.Pow, other)

    def __rpow__(self, other):
        return self._binary(E.Pow, other, reverse=True)

    def __matmul__(self, other):
        return self._matmul(other)

    def __rmatmul__(self, other):
        other = other if hasattr(other, "_data") else self._wrap(np.asarray(other))
        return other._matmul(self)

    def _matmul(self, other):
        if not hasattr(other, "_data") and not isinstance(other, (np.ndarray, list, tuple)):
            raise TypeError(
                f"matmul(): argument 'other' (position 2) must be Tensor, not "
                f"{type(other).__name__}"
            )
        other = other if hasattr(other, "_data") else self._wrap(np.asarray(other))
        if np.bool_ in (self.dtype, other.dtype) and self.ndim and other.ndim:
            kernel = "dot" if self.ndim == other.ndim == 1 else "bmm"
            raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
        if self.ndim == 0 or other.ndim == 0:
            raise RuntimeError(
                f"both arguments to matmul need to be at least 1D, but they are {self.ndim}D "
                f"and {other.ndim}D"
            )
        if self.dtype != other.dtype:
            raise RuntimeError(
                f"expected both operands of matmul to have the same dtype, but got: "
                f"{self.dtype} != {other.dtype}"
            )
        return self._apply(L.MatMul, self, other)

    def __neg__(self):
        if self.dtype == np.bool_:
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead."
            )
        return self._apply(E.Neg, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self._apply(E.Abs, self)

    def add(self, other, alpha=1):
        """self + alpha * other (torch.add)."""
        if type(alpha) is not int:
            _check_alpha(self, other, alpha)
        elif alpha != 1 and D.result_type(self, other).kind == "b":
            alpha = bool(alpha)  # torch casts alpha to the bool result
        return self + (other * alpha if alpha != 1 else other)

    def sub(self, other, alpha=1):
        """self - alpha * other (torch.sub)."""
        if type(alpha) is not int:
            _check_alpha(self, other, alpha)
        return self - (other * alpha if alpha != 1 else other)

    def mul(self, other):
        """Elementwise product (torch.mul)."""
        return self * other

    def div(self, other, rounding_mode=None):
        """self / other (torch.div); ``rounding_mode`` 'trunc' or 'floor' rounds (no grad)."""
        if rounding_mode is None:
            return self / other
        if rounding_mode not in ("trunc", "floor"):
            raise ValueError(
                f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                f"{rounding_mode!r}"
            )
        return self._rounding_div(other, rounding_mode, zero_grad=True)  # tensor_rounding.py

    def pow(self, exponent):
        """Elementwise power (torch.pow)."""
        return self**exponent

    def matmul(self, other):
        """Matrix product with broadcasting (torch.matmul)."""
        return self._matmul(other)

    def neg(self):
        """-self (torch.neg)."""
        return -self

    def abs(self):
        """|self| (torch.abs)."""
        return self._apply(E.Abs, self)

    def square(self):
        """self * self (torch.square); bool gives int64 as torch."""
        return (self.long() if self.dtype == np.bool_ else self) * self

    # ---- comparisons and logic: no gradient ------------------------------------------
    def _cmp(self, other, op):
        if not _is_operand(other):
            return NotImplemented
        other = getattr(other, "_data", other)
        E.check_broadcast(self._data, other)
        return self._wrap(op(self._data, other))

    def __eq__(self, other):
        return self._cmp(other, np.equal)

    def __ne__(self, other):
        return self._cmp(other, np.not_equal)

    def __lt__(self, other):
        return self._cmp(other, np.less)

    def __le__(self, other):
        return self._cmp(other, np.less_equal)

    def __gt__(self, other):
        return self._cmp(other, np.greater)

    def __ge__(self, other):
        return self._cmp(other, np.greater_equal)

    def eq(self, other):
        """self == other elementwise (torch.eq)."""
        return self == other

    def ne(self, other):
        """self != other elementwise (torch.ne)."""
        return self != other

    def lt(self, other):
        """self < other elementwise (torch.lt)."""
        return self < other

    def le(self, other):
        """self <= other elementwise (torch.le)."""
        return self <= other

    def gt(self, other):
        """self > other elementwise (torch.gt)."""
        return self > other

    def ge(self, other):
        """self >= other elementwise (torch.ge)."""
        return self >= other

    def logical_not(self):
        """Elementwise not, a bool tensor (torch.logical_not)."""
        return self._wrap(np.logical_not(self._data))

    def isnan(self):
        """Where the values are NaN (torch.isnan)."""
        return self._wrap(np.isnan(self._data))

    def isfinite(self):
        """Where the values are finite (torch.isfinite)."""
        return self._wrap(np.isfinite(self._data))

    def allclose(self, other, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
        """Whether all values are close (torch.allclose)."""
        return bool(np.allclose(self._data, np.asarray(other), rtol, atol, equal_nan))

    def equal(self, other) -> bool:
        """Same shape and values (torch.equal)."""
        return bool(np.array_equal(self._data, np.asarray(other)))

    def all(self, dim=None, keepdim=False):
        """Whether all values are true, overall or along dim (torch.all)."""
        return self._wrap(np.all(self._data, axis=self._dims(dim), keepdims=keepdim))

    def any(self, dim=None, keepdim=False):
        """Whether any value is true, overall or along dim (torch.any)."""
        return self._wrap(np.any(self._data, axis=self._dims(dim), keepdims=keepdim))

    # ---- elementwise maths -----------------------------------------------------------
    def _float_unary(self, fn):
        x = self if self.dtype.kind in "fc" else self.astype(np.float32)
        return self._apply(fn, x)

    def exp(self):
        """e ** self (torch.exp)."""
        return self._float_unary(E.Exp)

    def log(self):
        """Natural log (torch.log)."""
        return self._float_unary(E.Log)

    def log1p(self):
        """log(1 + self) (torch.log1p)."""
        return self._float_unary(E.Log1p)

    def sqrt(self):
        """Square root (torch.sqrt)."""
        return self._float_unary(E.Sqrt)

    def rsqrt(self):
        """1 / sqrt(self) (torch.rsqrt)."""
        return self._float_unary(E.Rsqrt)

    def sin(self):
        """Sine (torch.sin)."""
        return self._float_unary(E.Sin)

    def cos(self):
        """Cosine (torch.cos)."""
        return self._float_unary(E.Cos)

    def tanh(self):
        """Hyperbolic tangent (torch.tanh)."""
        return self._float_unary(A.Tanh)

    def sigmoid(self):
        """1 / (1 + exp(-self)) (torch.sigmoid)."""
        return self._float_unary(A.Sigmoid)

    def relu(self):
        """max(self, 0) (torch.relu)."""
        return self._apply(A.ReLU, self)

    def sign(self):
        """-1, 0 or 1 elementwise (torch.sign)."""
        return self._apply(E.Sign, self)

    def softmax(self, dim, dtype=None):
        """Softmax along dim (torch.softmax)."""
        x = self if dtype is None else self.astype(dtype)
        return self._apply(A.Softmax, x, dim=self._dim(dim))

    def log_softmax(self, dim, dtype=None):
        """log(softmax) along dim (torch.log_softmax)."""
        x = self if dtype is None else self.astype(dtype)
        return self._apply(A.LogSoftmax, x, dim=self._dim(dim))

    def clamp(self, min=None, max=None):
        """Values limited to [min, max]; bounds may be numbers or tensors (torch.clamp)."""
        dims = [getattr(b, "ndim", 0) for b in (min, max)]  # a 0-d tensor passes as a number
        if (
            min is not None
            and max is not None
            and (hasattr(min, "_data") != hasattr(max, "_data"))
            and any(dims)
        ):
            raise TypeError(
                "clamp() received an invalid combination of arguments: min and max must both be "
                "Tensors or both be numbers"
            )
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        x, lo, hi = self._promote(self, min, max)
        return self._apply(E.Clamp, x, lo, hi)

    def clamp_min(self, min):
        """clamp(min=min) (torch.clamp_min)."""
        return self.clamp(min=min)

    def clamp_max(self, max):
        """clamp(max=max) (torch.clamp_max)."""
        return self.clamp(max=max)

    def clip(self, min=None, max=None):
        """Alias of clamp (torch.clip)."""
        return self.clamp(min, max)

    def maximum(self, other):
        """Elementwise max; ties share the gradient (torch.maximum)."""
        _tensor_operand("maximum", other)
        a, b = self._promote(self, other)
        return self._apply(E.Maximum, a, b)

    def minimum(self, other):
        """Elementwise min; ties share the gradient (torch.minimum)."""
        _tensor_operand("minimum", other)
        a, b = self._promote(self, other)
        return self._apply(E.Minimum, a, b)
