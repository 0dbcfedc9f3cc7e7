"""GELU in float32, forward and derivative in one sweep of NumPy passes (torch's gelu).

NumPy has no erf ufunc, and ``special.erf`` (two high-degree fits selected by a mask) costs
about 40 passes plus fancy indexing. For float32 this module uses one fit valid for every
``a = |x|``, so no masks, branches or gathers:

    h(a) = Phi(-a) = erfc(a / sqrt 2) / 2 = t * Q(t) * phi(a),   t = 1 / (1 + a / (2 sqrt 2))

``Q`` is a degree-8 polynomial fitted offline for lamina (iteratively reweighted least squares
on Chebyshev nodes in t, against mpmath) to ``erfc(z) exp(z^2) / t`` in relative
error (max 5e-7 in float64; in float32 the GELU is within a few ulp of the exact value, closer
than torch's own float32 kernel, whose erf approximation is off by up to ~1e-6). The exp
needed for ``phi(a) = exp(-a^2/2) / sqrt(2 pi)`` is the one the derivative also uses.
``x Phi(x) = relu(x) - |x| h`` keeps a relative error <= 5e-6 in the negative tail (torch's
kernel, computing ``1 + erf``, flushes it to 0 below x ~ -5.5). The derivative uses
``Phi(x) = 0.5 + copysign(0.5 - h, x)``, the sign copied with integer bit operations
(``np.copysign`` is not vectorised in NumPy). Arrays are walked in chunks so the
temporaries stay in cache.

The derivative ``Phi(x) + x phi(x)`` is computed only when backward will need it; backward
is then one multiply.

With numba (the ``fast`` extra) the exact GELU runs as one compiled loop of the same formula
(``ops/fast/_gelu.py``), within a few ulp of this path; the chunks are spread over lamina's
threads on either path.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from . import fast
from ._parallel import parallel_for

_F = np.float32
_INV_P = 2.0 * math.sqrt(2.0)  # t = 1 / (1 + a / _INV_P) = _INV_P / (a + _INV_P)
_C_PHI = 1.0 / math.sqrt(2.0 * math.pi)
# Q(t) coefficients, constant term first: erfc(a / sqrt 2) = t Q(t) exp(-a^2 / 2); halved in
# _QS, so that Horner gives h = erfc / 2 directly
_Q = (
    0.28209482675901765,
    0.2821094156901581,
    0.246214226685768,
    0.18459522935559547,
    0.03198663322130627,
    0.1676166100289254,
    -0.36710088615886066,
    0.2148114079243443,
    -0.04232697075454247,
)
_QS = tuple(_F(c * 0.5) for c in _Q)
_CHUNK = 1 << 15  # elements per chunk: 5 float32 temporaries of 128 KiB stay in L2
_SIGN = np.uint32(0x80000000)
_scratch = threading.local()


def _chunk_exact(x, out, deriv, a, t, e) -> None:
    """out = x Phi(x) and (if deriv is not None) deriv = Phi(x) + x phi(x), float32 1-D."""
    np.abs(x, out=a)
    np.add(a, _F(_INV_P), out=t)
    np.divide(_F(_INV_P), t, out=t)
    q = out  # Q'(t) by Horner, built in the output buffer
    np.multiply(t, _QS[-1], out=q)
    for c in _QS[-2:0:-1]:
        q += c
        q *= t
    q += _QS[0]
    q *= t
    np.square(a, out=e)
    e *= _F(-0.5)
    np.exp(e, out=e)  # exp(-x^2 / 2)
    q *= e  # h = Phi(-|x|)
    if deriv is not None:  # Phi(x) = 0.5 + copysign(0.5 - h, x), the sign copied bitwise
        np.subtract(_F(0.5), q, out=t)
        ti = t.view(np.uint32)
        np.bitwise_or(
            ti, np.bitwise_and(x.view(np.uint32), _SIGN, out=deriv.view(np.uint32)), out=ti
        )
        t += _F(0.5)
        np.multiply(x, e, out=deriv)
        deriv *= _F(_C_PHI)
        deriv += t  # Phi(x) + x phi(x)
    q *= a  # x Phi(x) = relu(x) - |x| h: no cancellation in the negative tail
    np.maximum(x, _F(0.0), out=t)
    np.subtract(t, q, out=out)


def _chunk_tanh(x, out, deriv, a, t, e) -> None:
    """torch's approximate='tanh' GELU and its derivative, float32 1-D."""
    k = _F(math.sqrt(2.0 / math.pi))
    np.square(x, out=a)  # x^2
    np.multiply(a, _F(0.044715), out=t)
    t += _F(1.0)
    t *= x
    t *= k  # inner = k (x + 0.044715 x^3)
    np.tanh(t, out=t)
    if deriv is not None:  # 0.5 (1 + tanh) + 0.5 x (1 - tanh^2) k (1 + 3 * 0.044715 x^2)
        np.multiply(a, _F(3 * 0.044715 * k), out=e)
        e += k
        e *= x
        np.square(t, out=deriv)
        np.subtract(_F(1.0), deriv, out=deriv)
        deriv *= e
        deriv += t
        deriv += _F(1.0)
        deriv *= _F(0.5)
    t += _F(1.0)
    t *= x
    np.multiply(t, _F(0.5), out=out)


def gelu_f32(x: np.ndarray, approximate: str, with_deriv: bool):
    """(gelu(x), d gelu / dx or None) for a float32 array x, in chunks spread over lamina's
    threads."""
    xf = np.ascontiguousarray(x).reshape(-1)
    out = np.empty(x.shape, _F)
    deriv = np.empty(x.shape, _F) if with_deriv else None
    of, df = out.reshape(-1), None if deriv is None else deriv.reshape(-1)
    if approximate != "tanh" and fast.use(xf):  # one compiled pass (ops/fast/_gelu.py)
        loop = fast.kernels().gelu_exact_f32
        dd = df if df is not None else of[:0]

        def part(s: int, e: int) -> None:
            loop(xf, of, dd, s * _CHUNK, min(e * _CHUNK, xf.size))

        parallel_for(-(-xf.size // _CHUNK), part, 3 * xf.nbytes)
        return out, deriv
    kernel = _chunk_tanh if approximate == "tanh" else _chunk_exact

    def chunks(c0: int, c1: int) -> None:
        tmp = getattr(_scratch, "bufs", None)
        if tmp is None:  # kept per thread: fresh pages cost page faults
            tmp = _scratch.bufs = [np.empty(_CHUNK, _F) for _ in range(3)]
        # |x| > 1e19 overflows x^2 to inf (exp gives 0, tanh 1: right); inf inputs give nan
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):  # per thread
            for s in range(c0 * _CHUNK, min(c1 * _CHUNK, xf.size), _CHUNK):
                xs = xf[s : s + _CHUNK]
                m = xs.size
                kernel(
                    xs, of[s : s + m], None if df is None else df[s : s + m], *(b[:m] for b in tmp)
                )

    parallel_for(-(-xf.size // _CHUNK), chunks, 3 * xf.nbytes)
    return out, deriv
