"""numba kernels for ``lamina.compile``'s replay (inference only); imported on first use.

Each loop does in one pass what the eager op does in several NumPy passes, with the same
float operations in the same order on the same dtype (numba compiles without fast-math, so
no operation is fused or reordered): results equal the NumPy passes bit for bit.
"""

from __future__ import annotations

import numba as nb
import numpy as np

_JIT = {"cache": True, "nogil": True, "boundscheck": False}


@nb.njit(**_JIT)
def batch_norm_into(x, y, mean, invstd, w, b, relu):
    """y = ((x - mean) * invstd) * w + b per channel, then the ReLU if ``relu``.

    x, y (N, C, L), distinct arrays; mean, invstd, w, b (C,) of x's dtype. The ReLU is
    ``np.maximum(y, 0)``'s: NaN stays NaN, -0.0 becomes 0.0.
    """
    n_, c_, l_ = x.shape
    zero = x.dtype.type(0)
    for n in range(n_):
        for c in range(c_):
            m, s, ww, bb = mean[c], invstd[c], w[c], b[c]
            xr, yr = x[n, c], y[n, c]
            if relu:  # a loop per case, branch-free inside, so that LLVM vectorises it
                for i in range(l_):
                    v = ((xr[i] - m) * s) * ww + bb
                    yr[i] = v if (v > 0) | (v != v) else zero
            else:
                for i in range(l_):
                    yr[i] = ((xr[i] - m) * s) * ww + bb


@nb.njit(**_JIT)
def batch_norm_inplace(y, mean, invstd, w, b, relu):
    """batch_norm_into with x = y (one array: no aliasing check that would stop the SIMD)."""
    n_, c_, l_ = y.shape
    zero = y.dtype.type(0)
    for n in range(n_):
        for c in range(c_):
            m, s, ww, bb = mean[c], invstd[c], w[c], b[c]
            yr = y[n, c]
            if relu:
                for i in range(l_):
                    v = ((yr[i] - m) * s) * ww + bb
                    yr[i] = v if (v > 0) | (v != v) else zero
            else:
                for i in range(l_):
                    yr[i] = ((yr[i] - m) * s) * ww + bb


@nb.njit(**_JIT)
def max_pool_values(x, out, tmp, acc, kh, kw, sh, sw, ph, pw, dh, dw):
    """Max-pool values (no indices) of x (N, C, H, W) into out (N, C, Ho, Wo), separably.

    Per output row: the elementwise maximum of the input rows its windows cover goes to
    ``tmp`` (W,), then the maximum over each window's columns of ``tmp`` to ``acc`` (Wo,);
    taps outside the input are skipped (as ``-inf`` padding would be). NaN wins, as in the
    eager op.
    """
    n_, c_, h_, w_ = x.shape
    ho, wo = out.shape[2], out.shape[3]
    ninf = x.dtype.type(-np.inf)
    for n in range(n_):
        for c in range(c_):
            for y in range(ho):
                tmp[:] = ninf
                for i in range(kh):
                    r = y * sh - ph + i * dh
                    if r < 0 or r >= h_:
                        continue
                    xr = x[n, c, r]
                    for q in range(w_):
                        v, b = xr[q], tmp[q]
                        tmp[q] = v if (v > b) | (v != v) else b
                acc[:] = ninf
                for j in range(kw):
                    off = j * dw - pw
                    lo, hi = 0, wo  # the outputs whose column q * sw + off is inside
                    while lo < wo and lo * sw + off < 0:
                        lo += 1
                    while hi > lo and (hi - 1) * sw + off >= w_:
                        hi -= 1
                    for q in range(lo, hi):
                        v, b = tmp[q * sw + off], acc[q]
                        acc[q] = v if (v > b) | (v != v) else b
                out[n, c, y, :] = acc
