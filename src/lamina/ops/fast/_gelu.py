"""GELU (exact, float32) as one compiled loop: output and derivative in a single pass.

The NumPy path (``ops/gelu.py``) makes about 25 passes over each chunk; this loop computes
the same formula per element, ``h = t Q(t) exp(-a^2 / 2)`` with the same fitted ``Q``, in
float32 throughout. The exponential is written out (Cody-Waite reduction by ln 2, a degree-6
polynomial, the power of two built in the exponent bits) so that LLVM vectorises the whole
loop: numba's ``math.exp`` is a call into libm, which keeps a loop scalar (no SVML here).
The polynomial's error on |r| <= ln(2) / 2 is under one float32 ulp; the result agrees with
the NumPy path within a few ulp (tests/ops/test_gelu.py compares both with float64).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

from ..gelu import _C_PHI, _INV_P, _QS

_F = np.float32


@intrinsic
def _bits_to_f32(typingctx, i):
    """The float32 whose bits are the int32 ``i`` (a free bit cast, vectorisable)."""
    sig = types.float32(types.int32)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())

    return sig, codegen


_LOG2E, _LN2_HI, _LN2_LO = _F(1.4426950408889634), _F(0.693359375), _F(-2.12194440e-4)
_E2, _E3, _E4, _E5, _E6 = (_F(1 / math.factorial(n)) for n in range(2, 7))
_LOWEST = _F(-103.5)  # exp(y) rounds to 0 in float32 below this
_TWO_M64 = _F(2.0**-64)
_ZERO, _HALF, _ONE, _BIAS = _F(0.0), _F(0.5), _F(1.0), _F(0.5)
_P = _F(_INV_P)
_CP = _F(_C_PHI)
_Q0, _Q1, _Q2, _Q3, _Q4, _Q5, _Q6, _Q7, _Q8 = _QS


_JIT = {"cache": True, "nogil": True, "boundscheck": False, "error_model": "numpy"}


@nb.njit(inline="always", **_JIT)
def _exp_neg(y):
    """exp(y) for float32 y <= 0."""
    yc = max(y, _LOWEST)
    n = np.floor(yc * _LOG2E + _BIAS)
    r = yc - n * _LN2_HI - n * _LN2_LO
    p = _ONE + r * (_ONE + r * (_E2 + r * (_E3 + r * (_E4 + r * (_E5 + r * _E6)))))
    # 2^n built in the exponent bits of 2^(n + 64), then scaled: subnormal results down
    # to exp(-103) come out right
    e = p * _bits_to_f32((np.int32(n) + np.int32(127 + 64)) << np.int32(23)) * _TWO_M64
    return e if y >= _LOWEST else _ZERO


@nb.njit(inline="always", **_JIT)
def _h(a, t, e):
    """Phi(-a) = t Q(t) exp(-a^2 / 2), Q by Horner."""
    q = _Q0 + t * (_Q1 + t * (_Q2 + t * (_Q3 + t * (_Q4 + t * (_Q5 + t * (
        _Q6 + t * (_Q7 + t * _Q8)))))))  # fmt: skip
    return t * q * e


@nb.njit(**_JIT)
def _with_deriv(x, out, deriv):
    for i in range(x.size):
        xi = x[i]
        a = abs(xi)
        e = _exp_neg(-_HALF * a * a)
        h = _h(a, _P / (a + _P), e)
        deriv[i] = (_HALF + math.copysign(_HALF - h, xi)) + xi * e * _CP
        out[i] = max(xi, _ZERO) - a * h


@nb.njit(**_JIT)
def _value(x, out):
    for i in range(x.size):
        xi = x[i]
        a = abs(xi)
        out[i] = max(xi, _ZERO) - a * _h(a, _P / (a + _P), _exp_neg(-_HALF * a * a))


@nb.njit(**_JIT)
def gelu_exact_f32(x, out, deriv, start, stop):
    """out = x Phi(x) and, when deriv has x's size, deriv = Phi(x) + x phi(x), over
    [start, stop) of the flat float32 arrays (loops over whole slices: a loop indexed
    from ``start`` keeps numba's negative-index checks and does not vectorise)."""
    if deriv.size == x.size:
        _with_deriv(x[start:stop], out[start:stop], deriv[start:stop])
    else:
        _value(x[start:stop], out[start:stop])
