"""Pooling and resampling ops on NCHW arrays, with torch's output sizes and numerics.

* ``MaxPool2d`` / ``AvgPool2d``: a loop over the kh*kw kernel taps, each a strided (N, C,
  Ho, Wo) slice of the padded input (``-inf`` padding for max, zeros for average), so the work
  is kh*kw vectorised passes and no copy of the windows. Max keeps the first maximum (a later
  tap must be strictly greater, NaN wins) as torch does, and returns torch's indices: the flat
  position ``h * W + w`` in the unpadded input plane. Its backward scatters the gradient to
  those positions with one ``np.add.at`` (overlapping windows accumulate).
* ``AdaptiveAvgPool2d`` (and ``Interpolate``, in ``interpolate.py``) are separable
  linear maps: ``out = A_h @ x @ A_w.T`` with small dense (Oh, H) and (Ow, W) matrices
  built from torch's index rules, and the backward is ``A_h.T @ g @ A_w`` - two BLAS calls
  each way. The cost is O(N*C*(Oh*H*W + Oh*W*Ow)): right for pooling heads and upsampling of
  feature maps up to a few hundred pixels a side.
* ``AdaptiveMaxPool2d`` gathers each bin (torch's start=floor(i*H/out), end=ceil((i+1)*H/out),
  padded to the largest bin by repeating its last element) and takes the argmax.
"""

from __future__ import annotations

import functools

import numpy as np

from ..autograd.function import Op
from . import fast
from ._parallel import matmul, parallel_for
from .conv import pair, positive

__all__ = [
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool2d",
    "AvgPool2d",
    "MaxPool2d",
    "pool_out_size",
]


def pool_out_size(size, k, stride, pad, dilation=1, ceil_mode=False):
    """torch's pooling_output_shape: output length along one axis."""
    span = size + 2 * pad - dilation * (k - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1  # the last window would start in the right padding
    return out


def _geometry(name, x, kernel_size, stride, padding, dilation, ceil_mode):
    """Resolve pair args and output size; returns (k, s, p, d, (ho, wo), (hp, wp))."""
    if x.ndim != 4:
        raise ValueError(f"{name}: expected input (N, C, H, W), got shape {x.shape}")
    k = positive(pair(kernel_size, "kernel_size"), "kernel_size", name)
    s = k if stride is None or stride == () else positive(pair(stride, "stride"), "stride", name)
    p, d = pair(padding, "padding"), positive(pair(dilation, "dilation"), "dilation", name)
    for ki, pi, di in zip(k, p, d):
        if pi > (di * (ki - 1) + 1) // 2:
            raise ValueError(
                f"{name}: padding {p} should be at most half of the kernel {k} (torch's rule)"
            )
    out = tuple(pool_out_size(x.shape[2 + a], k[a], s[a], p[a], d[a], ceil_mode) for a in (0, 1))
    if min(out) < 1:
        raise ValueError(f"{name}: input {x.shape} too small for kernel {k}, padding {p}")
    # padded extent the windows reach (ceil_mode may reach past the right padding)
    reach = tuple(
        max((out[a] - 1) * s[a] + d[a] * (k[a] - 1) + 1, x.shape[2 + a] + 2 * p[a]) for a in (0, 1)
    )
    return k, s, p, d, out, reach


def _padded(x, p, reach, fill):
    n, c, h, w = x.shape
    if p == (0, 0) and reach == (h, w):
        return x  # nothing to pad: read the input in place
    out = np.full((n, c, *reach), fill, dtype=x.dtype)
    out[:, :, p[0] : p[0] + h, p[1] : p[1] + w] = x
    return out


def _taps(k, s, d, out):
    """(tap, (ki, kj), slice pair) for every kernel tap, on the padded plane."""
    for ki in range(k[0]):
        for kj in range(k[1]):
            h0, w0 = ki * d[0], kj * d[1]
            sl = (
                slice(h0, h0 + s[0] * (out[0] - 1) + 1, s[0]),
                slice(w0, w0 + s[1] * (out[1] - 1) + 1, s[1]),
            )
            yield ki * k[1] + kj, sl


def _scatter_flat(grad, idx, shape):
    """dx (N, C, H, W): grad (N, C, ...) summed into the flat plane positions idx."""
    n, c, h, w = shape
    plane = np.arange(n * c, dtype=np.int64).reshape(n, c, *([1] * (idx.ndim - 2))) * (h * w)
    dx = np.zeros(n * c * h * w, dtype=grad.dtype)
    np.add.at(dx, (idx + plane).ravel(), grad.ravel())
    return dx.reshape(shape)


def _max_pool_numpy(x, k, s, p, d, out, reach):
    """Max pooling values and torch's flat indices, _max_first over batch slices in parallel."""
    xp = _padded(x, p, reach, -np.inf)
    origin, tap_off = _index_maps(k, s, p, d, out, x.shape[3])
    best = np.empty(x.shape[:2] + out, x.dtype)
    idx = np.empty(best.shape, np.int64)

    def chunk(a, b):
        best[a:b], arg = _max_first(xp[a:b], k, s, d, out)
        np.add(origin, np.take(tap_off, arg), out=idx[a:b])

    parallel_for(x.shape[0], chunk, xp.nbytes + idx.nbytes)
    return best, idx


_GEOMETRY_CACHE: dict = {}


def _cached_geometry(name, x, *args):
    """_geometry memoised on (name, x.shape, args): batch-1 inference calls it per layer."""
    key = (name, getattr(x, "shape", None), *args)
    try:
        return _GEOMETRY_CACHE[key]
    except KeyError:
        pass
    except TypeError:  # unhashable arguments (lists): no memo
        return _geometry(name, x, *args)
    geom = _geometry(name, x, *args)
    if len(_GEOMETRY_CACHE) < 256:
        _GEOMETRY_CACHE[key] = geom
    return geom


@functools.lru_cache(maxsize=64)
def _index_maps(k, s, p, d, out, w):
    """Flat index h * W + w into the unpadded plane = window origin (Ho, Wo) + tap offset."""
    origin = (np.arange(out[0]) * s[0] - p[0])[:, None] * w + np.arange(out[1]) * s[1] - p[1]
    tap_off = (np.arange(k[0])[:, None] * d[0] * w + np.arange(k[1]) * d[1]).ravel()
    origin.flags.writeable = tap_off.flags.writeable = False  # shared between calls
    return origin, tap_off


def _max_first(xp, k, s, d, out):
    """Window maxima (N, C, Ho, Wo) and the tap of the first maximum (torch's tie rule).

    kh*kw - 1 ``np.maximum`` passes, then one ``==`` + ``putmask`` per tap from the last to
    the first, so the first tap equal to the maximum wins: about half the passes of a
    running compare-and-select. Windows holding a NaN (where torch takes the last NaN) go
    through the running compare instead.
    """
    views = [xp[:, :, sh, sw] for _, (sh, sw) in _taps(k, s, d, out)]  # (N, C, Ho, Wo) each
    best = views[0].copy()
    for v in views[1:]:
        np.maximum(best, v, out=best)
    arg = np.zeros(best.shape, dtype=np.uint8 if len(views) <= 256 else np.int32)
    for t in range(len(views) - 1, 0, -1):
        np.putmask(arg, views[t] == best, t)
    np.putmask(arg, views[0] == best, 0)
    if np.isnan(best).any():
        best[...], arg[...] = views[0], 0
        for t, v in enumerate(views[1:], 1):
            better = (v > best) | np.isnan(v)
            np.copyto(best, v, where=better)
            np.putmask(arg, better, t)
    return best, arg


class MaxPool2d(Op):
    """torch.nn.functional.max_pool2d_with_indices; returns (out, indices int64)."""

    ctx_attrs = ("in_shape",)

    @staticmethod
    def forward(ctx, x, *, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        k, s, p, d, out, reach = _cached_geometry(
            "MaxPool2d", x, kernel_size, stride, padding, dilation, ceil_mode
        )
        if fast.use(x):  # one compiled pass (lamina.ops.fast)
            best, idx = fast.kernels().max_pool2d(x, k, s, p, d, out)
        else:
            best, idx = _max_pool_numpy(x, k, s, p, d, out, reach)
        ctx.save_for_backward(idx)
        ctx.in_shape = x.shape
        return best, idx

    @staticmethod
    def backward(ctx, grad, grad_idx=None):
        (idx,) = ctx.saved
        if fast.use(grad):
            return (fast.kernels().max_unpool_grad(grad, idx, ctx.in_shape),)
        return (_scatter_flat(grad, idx, ctx.in_shape),)


class AvgPool2d(Op):
    """torch.nn.functional.avg_pool2d (count_include_pad, ceil_mode, divisor_override)."""

    ctx_attrs = ("geom",)

    @staticmethod
    def forward(
        ctx,
        x,
        *,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode=False,
        count_include_pad=True,
        divisor_override=None,
    ):
        geom = _geometry("AvgPool2d", x, kernel_size, stride, padding, 1, ceil_mode)
        k, s, p, d, out, reach = geom
        xp = _padded(x, p, reach, 0)
        acc = np.zeros(x.shape[:2] + out, dtype=x.dtype)  # (N, C, Ho, Wo)

        def add_taps(a, b):  # samples a:b, on lamina's threads
            for _, (sh, sw) in _taps(k, s, d, out):
                acc[a:b] += xp[a:b, :, sh, sw]

        parallel_for(x.shape[0], add_taps, xp.nbytes + acc.nbytes)
        if divisor_override:
            div = np.full(out, divisor_override, dtype=x.dtype)
        else:
            counts = []
            for a in (0, 1):
                start = np.arange(out[a]) * s[a] - p[a]
                end = np.minimum(start + k[a], x.shape[2 + a] + p[a])
                if not count_include_pad:
                    start, end = np.maximum(start, 0), np.minimum(end, x.shape[2 + a])
                counts.append(end - start)
            div = np.outer(counts[0], counts[1]).astype(x.dtype)  # (Ho, Wo)
        ctx.geom = (k, s, p, out, reach, x.shape)
        ctx.save_for_backward(div)
        return acc / div

    @staticmethod
    def backward(ctx, grad):
        (div,) = ctx.saved
        k, s, p, out, reach, shape = ctx.geom
        g = grad / div
        dxp = np.zeros(shape[:2] + reach, dtype=grad.dtype)

        def add_taps(a, b):  # samples a:b, on lamina's threads
            for _, (sh, sw) in _taps(k, s, (1, 1), out):
                dxp[a:b, :, sh, sw] += g[a:b]

        parallel_for(shape[0], add_taps, dxp.nbytes + g.nbytes)
        return (np.ascontiguousarray(dxp[:, :, p[0] : p[0] + shape[2], p[1] : p[1] + shape[3]]),)


def _adaptive_bins(size, out):
    """torch's adaptive bins: start = floor(i*size/out), end = ceil((i+1)*size/out)."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _out_pair(x, output_size, name):
    if x.ndim != 4:
        raise ValueError(f"{name}: expected input (N, C, H, W), got shape {x.shape}")
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size, output_size)
    oh, ow = (x.shape[2 + a] if v is None else int(v) for a, v in enumerate(output_size))
    if oh < 1 or ow < 1:
        raise ValueError(f"{name}: output_size must be positive, got {output_size!r}")
    return oh, ow


def _separable(x, ah, aw):
    """A_h @ x @ A_w.T over the last two axes: (N, C, H, W) -> (N, C, Oh, Ow)."""
    n, c, h, w = x.shape
    t = matmul(x.reshape(-1, w), aw.T).reshape(n, c, h, aw.shape[0])  # (N, C, H, Ow)
    return matmul(ah, t)  # (N, C, Oh, Ow)


def _avg_matrix(size, out, dtype):
    start, end = _adaptive_bins(size, out)
    pos = np.arange(size)
    inside = (pos >= start[:, None]) & (pos < end[:, None])  # (out, size)
    return (inside / (end - start)[:, None]).astype(dtype)


class AdaptiveAvgPool2d(Op):
    """torch.nn.functional.adaptive_avg_pool2d; output_size int, pair, None = keep."""

    @staticmethod
    def forward(ctx, x, *, output_size):
        oh, ow = _out_pair(x, output_size, "AdaptiveAvgPool2d")
        ah, aw = _avg_matrix(x.shape[2], oh, x.dtype), _avg_matrix(x.shape[3], ow, x.dtype)
        ctx.save_for_backward(ah, aw)
        return _separable(x, ah, aw)

    @staticmethod
    def backward(ctx, grad):
        ah, aw = ctx.saved
        return (_separable(grad, ah.T, aw.T),)


def _bin_index(size, out):
    """(out, kmax) input positions of each adaptive bin, the last one repeated as filler."""
    start, end = _adaptive_bins(size, out)
    kmax = int((end - start).max())
    return np.minimum(start[:, None] + np.arange(kmax), end[:, None] - 1)


class AdaptiveMaxPool2d(Op):
    """torch.nn.functional.adaptive_max_pool2d with indices; returns (out, indices int64)."""

    ctx_attrs = ("in_shape",)

    @staticmethod
    def forward(ctx, x, *, output_size):
        oh, ow = _out_pair(x, output_size, "AdaptiveMaxPool2d")
        n, c, h, w = x.shape
        ih, iw = _bin_index(h, oh), _bin_index(w, ow)  # (Oh, kh), (Ow, kw)
        kh, kw = ih.shape[1], iw.shape[1]
        win = x[:, :, ih[:, None, :, None], iw[None, :, None, :]]  # (N, C, Oh, Ow, kh, kw)
        win = win.reshape(n, c, oh, ow, kh * kw)
        nan = np.isnan(win)
        # torch: a NaN wins (the last one); otherwise the first maximum
        arg = np.where(nan.any(-1), kh * kw - 1 - np.argmax(nan[..., ::-1], -1), np.argmax(win, -1))
        out = np.take_along_axis(win, arg[..., None], -1)[..., 0]
        rows = ih[np.arange(oh)[:, None], arg // kw]  # (N, C, Oh, Ow)
        cols = iw[np.arange(ow), arg % kw]
        idx = rows.astype(np.int64) * w + cols
        ctx.save_for_backward(idx)
        ctx.in_shape = x.shape
        return out, idx

    @staticmethod
    def backward(ctx, grad, grad_idx=None):
        (idx,) = ctx.saved
        return (_scatter_flat(grad, idx, ctx.in_shape),)
