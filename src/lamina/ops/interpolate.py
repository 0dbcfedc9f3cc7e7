"""``Interpolate`` (nearest, nearest-exact, bilinear) on NCHW arrays, torch's index rules.

A separable linear map like adaptive average pooling (``pool.py``): ``out = A_h @ x @ A_w.T``
with small dense (Oh, H) and (Ow, W) matrices, and the backward ``A_h.T @ g @ A_w``.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from .conv import pair
from .pool import _separable


def _src_scale(size, out, align_corners, scale):
    """torch's area_pixel_compute_scale."""
    if align_corners:
        return (size - 1) / (out - 1) if out > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else size / out


def _interp_matrix(size, out, mode, align_corners, scale, dtype):
    """(out, size) matrix of torch's nearest / nearest-exact / linear resampling."""
    sc = np.float32(_src_scale(size, out, align_corners, scale))
    dst = np.arange(out, dtype=np.float32)
    m = np.zeros((out, size), dtype=np.float64)
    rows = np.arange(out)
    if mode in ("nearest", "nearest-exact"):
        off = np.float32(0.5 if mode == "nearest-exact" else 0.0)
        src = np.minimum(np.floor((dst + off) * sc).astype(np.int64), size - 1)
        m[rows, src] = 1.0
        return m.astype(dtype)
    if align_corners:
        src = dst * sc
    else:
        src = np.maximum((dst + np.float32(0.5)) * sc - np.float32(0.5), np.float32(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), size - 1)
    i1 = np.minimum(i0 + 1, size - 1)
    lam = (src - i0).astype(np.float64)
    np.add.at(m, (rows, i0), 1.0 - lam)
    np.add.at(m, (rows, i1), lam)
    return m.astype(dtype)


class Interpolate(Op):
    """torch.nn.functional.interpolate for (N, C, H, W): nearest, nearest-exact, bilinear.

    ``size`` is the resolved (Oh, Ow); ``scales`` the (sh, sw) scale_factor torch uses for the
    source index when the size came from a scale factor (recompute_scale_factor not set).
    """

    ctx_attrs = ("repeat",)

    @staticmethod
    def forward(ctx, x, *, size, mode="nearest", align_corners=None, scales=None):
        if x.ndim != 4:
            raise ValueError(f"Interpolate: expected input (N, C, H, W), got shape {x.shape}")
        if mode not in ("nearest", "nearest-exact", "bilinear"):
            raise ValueError(
                f"Interpolate: mode {mode!r} not one of 'nearest', 'nearest-exact', 'bilinear'"
            )
        oh, ow = pair(size, "size")
        sh, sw = (None, None) if scales is None else scales
        ac = bool(align_corners) and mode == "bilinear"
        ah = _interp_matrix(x.shape[2], oh, mode, ac, sh, x.dtype)
        aw = _interp_matrix(x.shape[3], ow, mode, ac, sw, x.dtype)
        ctx.save_for_backward(ah, aw)
        ctx.repeat = _repeats(ah, aw) if mode != "bilinear" else None
        if ctx.repeat:  # nearest by whole factors: copy each pixel, no GEMM
            n, c, h, w = x.shape
            (kh, kw), tile = ctx.repeat, x[:, :, :, None, :, None]
            return np.broadcast_to(tile, (n, c, h, kh, w, kw)).reshape(n, c, h * kh, w * kw)
        return _separable(x, ah, aw)

    @staticmethod
    def backward(ctx, grad):
        ah, aw = ctx.saved
        if ctx.repeat:
            (kh, kw), (n, c, oh, ow) = ctx.repeat, grad.shape
            return (grad.reshape(n, c, oh // kh, kh, ow // kw, kw).sum(axis=(3, 5)),)
        return (_separable(grad, ah.T, aw.T),)


def _repeats(ah, aw):
    """(kh, kw) when the nearest matrices repeat every input pixel k times, else None."""
    ks = []
    for m in (ah, aw):
        out, size = m.shape
        k = out // size
        if k * size != out or not np.array_equal(m.argmax(axis=1), np.arange(out) // k):
            return None
        ks.append(k)
    return tuple(ks)


__all__ = ["Interpolate"]
