"""numba kernels for ``lamina.compile``'s replay (inference only); imported on first use.

Each loop does in one pass what the eager op does in several NumPy passes, with the same
float operations in the same order on the same dtype (numba compiles without fast-math, so
no operation is fused or reordered): results equal the NumPy passes bit for bit.
"""

from __future__ import annotations

import numba as nb

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
