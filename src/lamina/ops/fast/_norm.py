"""LayerNorm over rows as compiled loops: two passes per row forward, two backward.

The NumPy path (``ops/norm.py``) makes about eight passes over the (rows, K) array each way,
each a separate NumPy call; for a GPT block's (768, 128) that is ~0.35 ms a call, mostly
call and pass overhead. Here each row is read twice and written once or twice, with the
row statistics accumulated in float64 (as the NumPy path's GEMV sums do in blocks, only
tighter). ``reassoc`` lets LLVM vectorise the row sums; no other fast-math flag is set, so
NaN and inf propagate as in NumPy.
"""

from __future__ import annotations

import numba as nb
import numpy as np

_JIT = {"cache": True, "nogil": True, "boundscheck": False, "error_model": "numpy"}
_SUMS = {**_JIT, "fastmath": {"reassoc"}}


@nb.njit(**_SUMS)
def _mean_var(row):
    k = row.size
    s = 0.0
    for j in range(k):
        s += row[j]
    m = s / k
    v = 0.0
    for j in range(k):
        d = row[j] - m
        v += d * d
    return m, v / k


@nb.njit(**_JIT)
def layer_norm_rows(x, w, b, eps, y, xhat, mean, rstd, r0, r1):
    """Rows [r0, r1) of (rows, K) x: xhat = (x - mean) * rstd, y = xhat * w + b."""
    for r in range(r0, r1):
        xr, yr, hr = x[r], y[r], xhat[r]
        m, var = _mean_var(xr)
        rs = 1.0 / np.sqrt(var + eps)
        for j in range(xr.size):
            h = (xr[j] - m) * rs
            hr[j] = h
            yr[j] = h * w[j] + b[j]
        mean[r] = m
        rstd[r] = rs


@nb.njit(**_SUMS)
def _row_sums(gr, hr, w, gx):
    s1 = 0.0
    s2 = 0.0
    for j in range(gr.size):
        gw = gr[j] * w[j]
        s1 += gw
        s2 += gw * hr[j]
        gx[j] = gr[j] * hr[j]
    return s1 / gr.size, s2 / gr.size


@nb.njit(**_JIT)
def layer_norm_rows_backward(g, xhat, rstd, w, dx, gx, r0, r1):
    """Rows [r0, r1): dx = rstd * (g w - mean(g w) - xhat mean(g w xhat)); gx = g * xhat
    (its column sums are weight's gradient)."""
    for r in range(r0, r1):
        gr, hr, dr = g[r], xhat[r], dx[r]
        m1, m2 = _row_sums(gr, hr, w, gx[r])
        rs = rstd[r]
        for j in range(gr.size):
            dr[j] = (gr[j] * w[j] - m1 - hr[j] * m2) * rs
