"""Tensor methods for rounding, integer division, remainders, bitwise and logical ops, and
the fused updates torch names (lerp, addcmul, addcdiv).

Mixed into Tensor (tensor.py). Operands are brought to torch's result type first; torch's
refusals (bitwise ops on floats, integer division by zero, integer addcdiv) raise its errors.
"""

from __future__ import annotations

import numpy as np

from . import dtypes as D
from .ops import elementwise as E
from .ops import rounding as R


def _operand(o) -> bool:
    return hasattr(o, "_data") or isinstance(o, (np.ndarray, np.generic, bool, int, float))


def _arr(o):
    return getattr(o, "_data", o)


class RoundingMixin:
    """Rounding, division with rounding, bitwise/logical ops; mixed into Tensor."""

    __slots__ = ()

    # ---- rounding ---------------------------------------------------------------------
    def floor(self):
        """Largest whole number <= x; integers unchanged (torch.floor)."""
        return self._apply(R.Round, self, how="floor")

    def ceil(self):
        """Smallest whole number >= x (torch.ceil)."""
        return self._apply(R.Round, self, how="ceil")

    def trunc(self):
        """x rounded toward zero (torch.trunc)."""
        return self._apply(R.Round, self, how="trunc")

    fix = trunc

    def round(self, decimals: int = 0):
        """x rounded half to even, to ``decimals`` places (torch.round)."""
        return self._apply(R.Round, self, how="round", decimals=decimals)

    def frac(self):
        """x - trunc(x) (torch.frac); refused for integers, as torch."""
        if self.dtype.kind not in "fc":
            raise NotImplementedError(f'"frac_cpu" not implemented for {D.type_name(self.dtype)!r}')
        return self._apply(R.Frac, self)

    def reciprocal(self):
        """1 / x; integers give float32 (torch.reciprocal)."""
        return self._apply(E.Reciprocal, self)

    # ---- division with rounding -------------------------------------------------------
    def _rounding_div(self, other, op, reverse=False, zero_grad=False):
        if not _operand(other):
            return NotImplemented
        a, b = self._promote(self, other)
        if reverse:
            a, b = (b if hasattr(b, "_data") else self._wrap(np.asarray(b, a.dtype))), a
        x, y = a._data, _arr(b)
        E.check_broadcast(x, y)
        kind = a.dtype.kind
        if kind in "biu" and np.size(x) and np.any(np.asarray(y) == 0):
            raise RuntimeError("ZeroDivisionError")  # torch: only when it divides something
        if op in ("remainder", "fmod") and not reverse:
            return self._apply(R.Remainder, a, b, trunc=op == "fmod")
        if op == "remainder":  # scalar % tensor: torch has no derivative for it
            with np.errstate(divide="ignore", invalid="ignore"):
                value = np.asarray(R.remainder(x, y)).astype(a.dtype, copy=False)
            return self._apply(R.Given, a, b, value=value, op="remainder")
        with np.errstate(divide="ignore", invalid="ignore"):
            if op == "trunc":
                q = np.trunc(np.true_divide(x, y)) if kind in "fc" else _int_trunc_div(x, y)
            else:
                q = np.floor_divide(x, y)
        q = np.asarray(q).astype(a.dtype, copy=False)
        # torch: div with a rounding mode has zero gradients; floor_divide none at all
        return self._apply(R.Given, a, b, value=q, op="floor_divide", zero_grad=zero_grad)

    def floor_divide(self, other):
        """self // other, rounded toward -inf (torch.floor_divide); no derivative."""
        return self._rounding_div(other, "floor")

    def __floordiv__(self, other):
        return self._rounding_div(other, "floor")

    def __rfloordiv__(self, other):
        return self._rounding_div(other, "floor", reverse=True)

    def remainder(self, other):
        """self - other * floor(self / other), the sign of other (torch.remainder)."""
        return self._rounding_div(other, "remainder")

    def __mod__(self, other):
        return self._rounding_div(other, "remainder")

    def __rmod__(self, other):
        return self._rounding_div(other, "remainder", reverse=True)

    def fmod(self, other):
        """C's fmod: the sign of self (torch.fmod)."""
        return self._rounding_div(other, "fmod")

    # ---- bitwise and logical ----------------------------------------------------------
    def _bitwise(self, other, name, fn, reverse=False):
        if not _operand(other):
            return NotImplemented
        a, b = self._promote(self, other)
        if a.dtype.kind not in "biu":
            raise NotImplementedError(f'"{name}_cpu" not implemented for {D.type_name(a.dtype)!r}')
        x, y = (_arr(b), a._data) if reverse else (a._data, _arr(b))
        E.check_broadcast(x, y)
        return self._wrap(np.asarray(fn(x, y)).astype(a.dtype, copy=False))

    def bitwise_and(self, other):
        """Bitwise AND of integers/bools (torch.bitwise_and)."""
        return self._bitwise(other, "bitwise_and", np.bitwise_and)

    def bitwise_or(self, other):
        """Bitwise OR (torch.bitwise_or)."""
        return self._bitwise(other, "bitwise_or", np.bitwise_or)

    def bitwise_xor(self, other):
        """Bitwise XOR (torch.bitwise_xor)."""
        return self._bitwise(other, "bitwise_xor", np.bitwise_xor)

    def bitwise_not(self):
        """Bitwise NOT; logical NOT for bool (torch.bitwise_not)."""
        if self.dtype.kind not in "biu":
            raise NotImplementedError(
                f'"bitwise_not_cpu" not implemented for {D.type_name(self.dtype)!r}'
            )
        return self._wrap(np.invert(self._data))

    def __invert__(self):
        if self.dtype.kind not in "biu":
            raise TypeError(
                "~ (operator.invert) is only implemented on integer and Boolean-type tensors"
            )
        return self._wrap(np.invert(self._data))

    __and__, __or__, __xor__ = bitwise_and, bitwise_or, bitwise_xor

    def __rand__(self, other):
        return self._bitwise(other, "bitwise_and", np.bitwise_and, True)

    def __ror__(self, other):
        return self._bitwise(other, "bitwise_or", np.bitwise_or, True)

    def __rxor__(self, other):
        return self._bitwise(other, "bitwise_xor", np.bitwise_xor, True)

    def __lshift__(self, other):
        return self._bitwise(other, "lshift", _shift_left)

    def __rshift__(self, other):
        return self._bitwise(other, "rshift", _shift_right)

    def bitwise_left_shift(self, other):
        """self << other (torch.bitwise_left_shift)."""
        return self._bitwise(other, "lshift", _shift_left)

    def bitwise_right_shift(self, other):
        """self >> other, arithmetic (torch.bitwise_right_shift)."""
        return self._bitwise(other, "rshift", _shift_right)

    def _logical(self, other, fn, name):
        if not hasattr(other, "_data"):
            raise TypeError(
                f"{name}(): argument 'other' (position 2) must be Tensor, "
                f"not {type(other).__name__}"
            )
        E.check_broadcast(self._data, other._data)
        return self._wrap(fn(self._data.astype(bool), other._data.astype(bool)))

    def logical_and(self, other):
        """Elementwise AND of truth values, a bool tensor (torch.logical_and)."""
        return self._logical(other, np.logical_and, "logical_and")

    def logical_or(self, other):
        """Elementwise OR of truth values (torch.logical_or)."""
        return self._logical(other, np.logical_or, "logical_or")

    def logical_xor(self, other):
        """Elementwise XOR of truth values (torch.logical_xor)."""
        return self._logical(other, np.logical_xor, "logical_xor")

    # ---- fused updates ----------------------------------------------------------------
    def lerp(self, end, weight):
        """self + weight * (end - self) (torch.lerp); floats of one dtype only, as torch."""
        if self.dtype.kind not in "fc":
            raise NotImplementedError(
                f'"lerp_kernel_scalar" not implemented for {D.type_name(self.dtype)!r}'
            )
        for what, o in (("end", end), ("weight", weight)):
            od = getattr(o, "dtype", self.dtype)
            if hasattr(o, "_data") and od != self.dtype and (what == "end" or o.ndim):
                raise RuntimeError(
                    f"expected dtype {D.type_name(self.dtype).lower()} for `{what}` but got "
                    f"dtype {D.type_name(od).lower()}"
                )
        if hasattr(weight, "_data") and weight.dtype != self.dtype:
            weight = weight.astype(self.dtype)  # a 0-d weight of another float dtype
        return self._apply(R.Lerp, self, end, weight)

    def addcmul(self, tensor1, tensor2, value=1):
        """self + value * tensor1 * tensor2 (torch.addcmul)."""
        if D.result_type(self, tensor1, tensor2) == np.bool_:
            raise NotImplementedError("\"addcmul_cpu_out\" not implemented for 'Bool'")
        prod = tensor1 * tensor2
        dtype = D.result_type(self, prod)
        if dtype.kind in "biu":
            value = int(value)  # torch casts the scalar to the result's dtype
        return self + (prod * value if value != 1 else prod)

    def addcdiv(self, tensor1, tensor2, value=1):
        """self + value * tensor1 / tensor2 (torch.addcdiv); refused for integer division."""
        if getattr(tensor1, "dtype", np.float32).kind in "biu" and (
            getattr(tensor2, "dtype", np.float32).kind in "biu"
        ):
            raise RuntimeError(
                "Integer division with addcdiv is no longer supported, and in a future  release "
                "addcdiv will perform a true division of tensor1 and tensor2. The historic "
                "addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / "
                "tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / "
                "tensor2) for float inputs. The future addcdiv behavior is just the latter "
                "implementation: (input + value * tensor1 / tensor2), for all dtypes."
            )
        quot = tensor1 / tensor2
        return self + (quot * value if value != 1 else quot)


def _shift_left(x, y):
    y = np.asarray(y)
    out = np.left_shift(x, np.clip(y, 0, 63))
    return np.where(y >= 64, 0, out) if y.dtype.kind in "iu" else out


def _shift_right(x, y):
    return np.right_shift(x, np.clip(np.asarray(y), 0, 63))


def _int_trunc_div(x, y):
    """Integer division rounded toward zero, exact (no trip through float)."""
    q = np.floor_divide(x, y)
    return q + ((q < 0) & (q * y != x))
