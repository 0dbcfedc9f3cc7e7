"""numba kernels behind lamina.ops.fast; imported only through ``fast.kernels()``.

Each public function takes plain ndarrays, allocates its output and calls one compiled
loop per slice of the batch on lamina's threads (``ops._parallel.parallel_for``; the loops
release the GIL). One pool serves the NumPy and the compiled paths, rather than numba's
``parallel=True`` with a threading layer of its own beside OpenBLAS's threads. Loops are
written so that the innermost loop runs along the contiguous last axis without a branch.
Pure data movement: no float arithmetic is promoted (numba would widen ``1 - x`` on
float32 to float64).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from .._parallel import parallel_for
from ._adam import adam_step  # noqa: F401  (kernels of this module's set)
from ._gelu import gelu_exact_f32  # noqa: F401
from ._norm import layer_norm_rows, layer_norm_rows_backward  # noqa: F401
from ._spin import spin_until  # noqa: F401

_JIT = {"cache": True, "nogil": True, "boundscheck": False}


@nb.njit(**_JIT)
def _span(size, n_out, stride, off):
    """Output range [lo, hi) whose input position ``o * stride + off`` lies in [0, size)."""
    lo = (-off + stride - 1) // stride if off < 0 else 0
    hi = (size - 1 - off) // stride + 1 if size - 1 - off >= 0 else 0
    lo, hi = min(lo, n_out), min(hi, n_out)
    return lo, max(lo, hi)


@nb.njit(**_JIT)
def _col2im_loop(d, dx, sh, sw, dh, dw, pt, pl):
    # d (N, C, kh, kw, Ho, Wo), any strides; dx (N, C, H, W) zeros, accumulated in place
    n_, c_, h_, w_ = dx.shape
    kh, kw, ho, wo = d.shape[2], d.shape[3], d.shape[4], d.shape[5]
    for n in range(n_):
        for c in range(c_):
            for i in range(kh):
                for j in range(kw):
                    off = j * dw - pl
                    lo, hi = _span(w_, wo, sw, off)
                    for y in range(ho):
                        r = y * sh + i * dh - pt
                        if r < 0 or r >= h_:
                            continue
                        src, dst = d[n, c, i, j, y], dx[n, c, r]
                        for q in range(lo, hi):
                            dst[q * sw + off] += src[q]


def col2im(d, in_shape, stride, dilation, pads):
    """col2im: sum column gradients d (N, C, kh, kw, Ho, Wo), any strides, into (N, C, H, W).

    ``pads`` (top, left): taps that fall into that padding are dropped, so with the conv's
    padding the result is the gradient of the unpadded input (no padded buffer, no crop).
    """
    dx = np.zeros(in_shape, d.dtype)
    parallel_for(
        dx.shape[0],
        lambda a, b: _col2im_loop(d[a:b], dx[a:b], *stride, *dilation, *pads),
        d.nbytes + dx.nbytes,
    )
    return dx


@nb.njit(**_JIT)
def _maxpool_loop(x, out, idx, kh, kw, sh, sw, ph, pw, dh, dw):
    # x (N, C, H, W); out, idx (N, C, Ho, Wo). torch's CPU rule: start at the first tap
    # inside the input, take a later tap if it is greater or NaN (so the last NaN wins).
    n_, c_, h_, w_ = x.shape
    ho, wo = out.shape[2], out.shape[3]
    for n in range(n_):
        for c in range(c_):
            for y in range(ho):
                r0 = y * sh - ph
                i0 = 0
                while r0 + i0 * dh < 0:
                    i0 += 1
                for q in range(wo):
                    c0 = q * sw - pw
                    j0 = 0
                    while c0 + j0 * dw < 0:
                        j0 += 1
                    best = x[n, c, r0 + i0 * dh, c0 + j0 * dw]
                    at = (r0 + i0 * dh) * w_ + c0 + j0 * dw
                    for i in range(i0, kh):
                        r = r0 + i * dh
                        if r >= h_:
                            break
                        for j in range(j0, kw):
                            col = c0 + j * dw
                            if col >= w_:
                                break
                            v = x[n, c, r, col]
                            if v > best or v != v:
                                best, at = v, r * w_ + col
                    out[n, c, y, q] = best
                    idx[n, c, y, q] = at


@nb.njit(**_JIT)
def _scatter_loop(g, idx, dx):
    # g, idx (N, C, Ho, Wo); dx (N, C, H*W) zeros: dx[n, c, idx] += g
    n_, c_, ho, wo = g.shape
    for n in range(n_):
        for c in range(c_):
            for y in range(ho):
                for q in range(wo):
                    dx[n, c, idx[n, c, y, q]] += g[n, c, y, q]


def max_pool2d(x, kernel, stride, padding, dilation, out_hw):
    """Max pooling (N, C, H, W) -> values and torch's flat indices h * W + w (int64), one pass.

    Padding is implicit (taps outside the input are skipped, as torch's -inf padding).
    """
    n, c = x.shape[:2]
    out = np.empty((n, c, *out_hw), x.dtype)
    idx = np.empty((n, c, *out_hw), np.int64)
    x = np.ascontiguousarray(x)
    args = (*kernel, *stride, *padding, *dilation)
    parallel_for(
        n, lambda a, b: _maxpool_loop(x[a:b], out[a:b], idx[a:b], *args), x.nbytes + idx.nbytes
    )
    return out, idx


def max_unpool_grad(grad, idx, in_shape):
    """Backward of :func:`max_pool2d`: grad summed into the positions idx of zeros(in_shape)."""
    n, c, h, w = in_shape
    dx = np.zeros((n, c, h * w), grad.dtype)
    g, i = np.ascontiguousarray(grad), np.ascontiguousarray(idx)
    parallel_for(
        n, lambda a, b: _scatter_loop(g[a:b], i[a:b], dx[a:b]), dx.nbytes + i.nbytes + g.nbytes
    )
    return dx.reshape(in_shape)
