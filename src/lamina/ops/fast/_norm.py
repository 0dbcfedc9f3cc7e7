"""LayerNorm over rows as compiled loops: two passes per row forward, two backward.

The NumPy path (``ops/norm.py``) makes about eight passes over the (rows, K) array each way,
each a separate NumPy call; for a GPT block's (768, 128) that is ~0.35 ms a call, mostly
call and pass overhead. Here each row is read twice and written once or twice, in the
input's dtype throughout (as the NumPy path's GEMV sums; float64 accumulators for float32
rows made the loops 2.3x slower: 144 vs 62 us for (768, 128)). ``reassoc`` lets LLVM
vectorise the row sums; no other fast-math flag is set, so NaN and inf propagate as in
NumPy.
"""

from __future__ import annotations

import numba as nb
import numpy as np

_JIT = {"cache": True, "nogil": True, "boundscheck": False, "error_model": "numpy"}
_SUMS = {**_JIT, "fastmath": {"reassoc"}}


@nb.njit(**_SUMS)
def layer_norm_rows(x, w, b, eps, inv_k, y, xhat, mean, rstd, r0, r1):
    """Rows [r0, r1) of (rows, K) x: xhat = (x - mean) * rstd, y = xhat * w + b.
    ``eps`` and ``inv_k`` (1 / K) are scalars of x's dtype, so float32 stays float32."""
    k = x.shape[1]
    for r in range(r0, r1):
        s = inv_k - inv_k  # a zero of x's dtype
        for j in range(k):
            s += x[r, j]
        m = s * inv_k
        v = inv_k - inv_k
        for j in range(k):
            d = x[r, j] - m
            v += d * d
        rs = (inv_k / inv_k) / np.sqrt(v * inv_k + eps)
        for j in range(k):
            h = (x[r, j] - m) * rs
            xhat[r, j] = h
            y[r, j] = h * w[j] + b[j]
        mean[r] = m
        rstd[r] = rs


@nb.njit(**_SUMS)
def layer_norm_rows_backward(g, xhat, rstd, w, inv_k, dx, gx, r0, r1):
    """Rows [r0, r1): dx = rstd * (g w - mean(g w) - xhat mean(g w xhat)); gx = g * xhat
    (its column sums are weight's gradient)."""
    k = g.shape[1]
    for r in range(r0, r1):
        s1 = inv_k - inv_k
        s2 = inv_k - inv_k
        for j in range(k):
            gw = g[r, j] * w[j]
            s1 += gw
            s2 += gw * xhat[r, j]
            gx[r, j] = g[r, j] * xhat[r, j]
        m1, m2, rs = s1 * inv_k, s2 * inv_k, rstd[r]
        for j in range(k):
            dx[r, j] = (g[r, j] * w[j] - m1 - xhat[r, j] * m2) * rs
