"""The array kernels behind Conv2d and ConvTranspose2d (lamina.ops.conv): im2col, col2im,
depthwise taps and the correlation dx.

Method (torch.nn.functional.conv2d / conv_transpose2d numerics, float32 kept float32):

* **im2col + batched GEMM.** The zero-padded input ``xp`` (N, C, Hp, Wp) is viewed through
  ``as_strided`` as ``(N, C, kh, kw, Ho, Wo)`` (stride and dilation live in the strides,
  nothing is copied) and reshaped - one copy - to a column matrix, in one of two layouts:

  - per sample (NC), ``cols (N, G, C/G*kh*kw, Ho*Wo)``: ``out = w (G, O/G, K) @ cols`` is
    NCHW already, no transpose; chosen when Ho*Wo >= ``CN_MAX_PIXELS`` (256).
  - channel-major (CN), ``cols (G, C/G*kh*kw, N*Ho*Wo)``: one large GEMM per group over the
    whole batch, at the price of transposing the output and the incoming gradient; chosen
    for small feature maps, where N small GEMMs waste BLAS.

  Forward+backward, one thread, best of 12 on a loaded shared machine (batch 32, 3x3 pad 1):
  the NC layout beat CN at 32x32 (3->32: 16 vs 29 ms), tied at 16x16, and lost at 4x4
  (128->128: 79 vs 49 ms) and 2x2 (256->256: 5x). Rejected after measuring (forward only): row-major
  im2col ``(N*Ho*Wo, K) @ w.T`` plus an NCHW transpose (1.5-5x slower), a sum of per-tap
  GEMMs (2-10x slower), NHWC per-tap GEMMs (slower on 4 of 5 shapes). A 1x1 stride-1
  unpadded conv in the NC layout copies nothing.
* **dx of stride-1 convs on maps of >= 256 pixels** is a correlation of the padded output
  gradient with the flipped kernel (im2col of the gradient + one GEMM with inner dimension
  O*kh*kw), when O <= 2*C: 1.2-1.7x faster than dcols + col2im on cnn_cifar's layers, one
  thread, process time (an earlier wall-clock test under heavy load had found it slower).
* **Depthwise** (groups == C, weight (C*m, 1, kh, kw)) skips the columns: kh*kw strided
  multiply-adds, and the same loop backward (``einsum`` per tap for dw). 1.4-1.8x faster
  than per-channel GEMMs with a 1 x kh*kw left matrix, still 3-10x behind torch's kernel.
* **Backward.** ``dw = sum_n g_n @ cols_n.T`` (NC: a batched GEMM and a sum over N; CN: one
  GEMM per group);
  ``dcols = w.T @ g`` (one batched GEMM) and col2im: a loop over the kh*kw taps, each one
  strided ``+=`` of a (N, C, Ho, Wo) slab into the padded gradient. ConvTranspose2d is the
  same pair the other way round: its forward is Conv2d's dx, its dx is Conv2d's forward.

Workspace: forward allocates the padded input (N*C*Hp*Wp) and the columns
(N*C*kh*kw*Ho*Wo, i.e. kh*kw times the input for stride 1), freed on return; when the
columns would pass ``WORKSPACE_BYTES`` (256 MiB) the batch is done in chunks of samples.
Only the padded input is kept for backward, which rebuilds the columns (one copy; a
VGG-style stack keeps ~kh*kw times less memory alive between forward and backward), except
columns of at most ``KEEP_COLS_BYTES`` (16 MiB), which are kept: the rebuild was ~20% of a
LeNet-5 step (peak memory +18 MB on resnet18_cifar at batch 16). Backward allocates the
columns, the column gradient (same size) and the padded input gradient; ConvTranspose2d
keeps its input.

Padding is an int, a pair (ph, pw) or a 4-tuple (pt, pb, pl, pr) of zeros; other padding
modes go through ``lamina.ops.shape.Pad`` first (torch's ``padding_mode``).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import fast
from ._parallel import matmul, parallel_copy, parallel_for


def pad_zeros(x, pt, pb, pl, pr):
    """Zero-pad the last two axes: (N, C, H, W) -> (N, C, H+pt+pb, W+pl+pr)."""
    if pt == pb == pl == pr == 0:
        return x
    n, c, h, w = x.shape
    out = np.zeros((n, c, h + pt + pb, w + pl + pr), dtype=x.dtype)
    parallel_copy(out[:, :, pt : pt + h, pl : pl + w], x)
    return out


def windows(xp, kh, kw, stride, dilation, ho, wo):
    """Read-only view (N, C, kh, kw, Ho, Wo) of the receptive fields of ``xp``."""
    n, c = xp.shape[:2]
    sn, sc, sh, sw = xp.strides
    (st_h, st_w), (dh, dw) = stride, dilation
    shape = (n, c, kh, kw, ho, wo)
    strides = (sn, sc, dh * sh, dw * sw, st_h * sh, st_w * sw)
    if not (isinstance(xp, np.ndarray) and xp.flags.c_contiguous):
        return as_strided(xp, shape, strides, writeable=False)
    view = np.ndarray(shape, xp.dtype, buffer=xp, strides=strides)  # 10x cheaper than as_strided
    view.flags.writeable = False
    return view


def im2col(xp, kh, kw, stride, dilation, ho, wo, groups, cn):
    """Columns of the padded input (N, C, Hp, Wp), one copy (none for an unpadded 1x1 NC).

    ``cn``: (G, C/G*kh*kw, N*Ho*Wo); else (N, G, C/G*kh*kw, Ho*Wo). The copy is split over
    the batch on lamina's threads (``ops._parallel``).
    """
    n, c = xp.shape[:2]
    k = (c // groups) * kh * kw
    win = windows(xp, kh, kw, stride, dilation, ho, wo)  # (N, C, kh, kw, Ho, Wo) view
    if cn:
        cols = np.empty((groups, k, n * ho * wo), xp.dtype)
        parallel_copy(cols.reshape(c, kh, kw, n, ho, wo), win.transpose(1, 2, 3, 0, 4, 5), 3)
        return cols
    if kh == kw == 1 and stride == (1, 1):
        return win.reshape(n, groups, k, ho * wo)  # a view of a contiguous input
    cols = np.empty((n, groups, k, ho * wo), xp.dtype)
    parallel_copy(cols.reshape(n, c, kh, kw, ho, wo), win)
    return cols


def col2im(dcols, shape, kernel, out_hw, stride, dilation, cn):
    """Adjoint of im2col: sum column gradients into a zero padded (N, C, Hp, Wp) (a view).

    A loop over the kh*kw taps, each a strided ``+=`` of an (N, C, Ho, Wo) slab.
    """
    (n, c), (kh, kw), (ho, wo) = shape[:2], kernel, out_hw
    if cn:  # (G, K, N*L) -> (N, C, kh, kw, Ho, Wo) view
        d = dcols.reshape(c, kh, kw, n, ho, wo).transpose(3, 0, 1, 2, 4, 5)
    else:
        d = dcols.reshape(n, c, kh, kw, ho, wo)
    if fast.use(dcols):  # one compiled pass instead of kh*kw strided adds (lamina.ops.fast)
        return fast.kernels().col2im(d, shape, stride, dilation, (0, 0))
    if cn:  # buffer (C, N, Hp, Wp)
        out = np.zeros((c, n, *shape[2:]), dtype=dcols.dtype).transpose(1, 0, 2, 3)
    else:
        out = np.zeros(shape, dtype=dcols.dtype)

    def add_taps(a, b):  # samples a:b, on lamina's threads
        for i, j, rows, cols in taps((kh, kw), (ho, wo), stride, dilation):
            out[a:b, :, rows, cols] += d[a:b, :, i, j]

    parallel_for(n, add_taps, 2 * dcols.nbytes)
    return out


def taps(kernel, out_hw, stride, dilation):
    """(i, j, rows, cols) per kernel tap: the slices of the padded plane that tap reads."""
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            h0, w0 = i * dilation[0], j * dilation[1]
            rows = slice(h0, h0 + stride[0] * (out_hw[0] - 1) + 1, stride[0])
            cols = slice(w0, w0 + stride[1] * (out_hw[1] - 1) + 1, stride[1])
            yield i, j, rows, cols


def depthwise(xpad, weight, out_hw, stride, dilation):
    """Depthwise conv (groups = C, weight (C*m, 1, kh, kw)) as kh*kw multiply-adds.

    No columns: each tap adds a strided (N, C, Ho, Wo) slab times its weights.
    """
    n, c = xpad.shape[:2]
    o, _, kh, kw = weight.shape
    wv = weight.reshape(c, o // c, kh, kw)  # (C, m, kh, kw)
    out = np.zeros((n, c, o // c, *out_hw), dtype=xpad.dtype)  # (N, C, m, Ho, Wo)
    for i, j, rows, cols in taps((kh, kw), out_hw, stride, dilation):
        out += xpad[:, :, None, rows, cols] * wv[:, :, i, j, None, None]
    return out.reshape(n, o, *out_hw)


def depthwise_backward(grad, xpad, padded, weight, stride, dilation, needs):
    """(dxpad, dw) of depthwise; None where not needed (xpad only needed for dw)."""
    n, c = padded[:2]
    o, _, kh, kw = weight.shape
    wv = weight.reshape(c, o // c, kh, kw)
    g5 = grad.reshape(n, c, o // c, *grad.shape[2:])  # (N, C, m, Ho, Wo)
    dxp = np.zeros(padded, dtype=grad.dtype) if needs[0] else None
    dw = np.zeros(wv.shape, dtype=grad.dtype) if needs[1] else None
    for i, j, rows, cols in taps((kh, kw), grad.shape[2:], stride, dilation):
        if dxp is not None:
            dxp[:, :, rows, cols] += np.einsum("ncmhw,cm->nchw", g5, wv[:, :, i, j])
        if dw is not None:
            dw[:, :, i, j] = np.einsum("ncmhw,nchw->cm", g5, xpad[:, :, rows, cols])
    return dxp, None if dw is None else dw.reshape(weight.shape)


def to_layout(a, groups, cn):
    """(N, C, H, W) -> (G, C/G, N*H*W) contiguous if ``cn``, else a (N, G, C/G, H*W) view."""
    n, c = a.shape[:2]
    if cn:
        return np.ascontiguousarray(a.transpose(1, 0, 2, 3)).reshape(groups, c // groups, -1)
    return a.reshape(n, groups, c // groups, -1)


def from_layout(a, n, h, w, cn):
    """Inverse of to_layout: (N, C, H, W) contiguous."""
    if cn:
        return np.ascontiguousarray(a.reshape(-1, n, h, w).transpose(1, 0, 2, 3))
    return a.reshape(n, -1, h, w)


def weight_grad(a, cols, cn):
    """sum over the batch of a @ cols.T: (G, A, K) from a and cols in the same layout."""
    if cn:
        return matmul(a, cols.transpose(0, 2, 1))
    return matmul(a, cols.transpose(0, 1, 3, 2)).sum(axis=0)


# dx as a correlation of the padded output gradient needs its columns (O*kh*kw rows per
# sample instead of col2im's C*kh*kw): allow O up to this many times C.
CORR_DX_MAX_WIDENING = 2


def correlation_dx_fits(padded, top_left, hw, wshape, stride, dilation):
    """Whether Conv2d's dx can run as a stride-1 correlation (see dx_by_correlation)."""
    o, _, kh, kw = wshape
    (pt, pl), (h, w) = top_left, hw
    span_h, span_w = dilation[0] * (kh - 1), dilation[1] * (kw - 1)
    return (
        stride == (1, 1)
        and h * w >= 256  # small maps: many tiny per-sample GEMMs, col2im's layout wins
        and o <= CORR_DX_MAX_WIDENING * padded[1]
        and max(pt, padded[2] - h - pt) <= span_h  # no side padded wider than the kernel
        and max(pl, padded[3] - w - pl) <= span_w
    )


def dx_by_correlation(grad, weight, padded, top_left, hw, dilation, groups):
    """dx of a stride-1 Conv2d as one correlation: im2col of the padded gradient + a GEMM.

    dx[n, c, y, x] = sum_{o,i,j} w[o, c, i, j] g[n, o, y + pt - i*dh, x + pl - j*dw], i.e. the
    gradient padded by dh*(kh-1) - pt (top) etc., correlated with the kernel flipped in both
    axes and transposed to (C, O). Same FLOPs as dcols + col2im, but the GEMM's inner
    dimension is O*kh*kw instead of O and no (N, C*kh*kw, Ho*Wo) column gradient is written
    and re-read: 1.2-1.7x faster on the 16x16 and 32x32 layers of cnn_cifar (one thread,
    process time; docs/performance.md).
    """
    n, o, ho, wo = grad.shape
    _, cg, kh, kw = weight.shape
    (pt, pl), (h, w), (dh, dw) = top_left, hw, dilation
    pb, pr = padded[2] - h - pt, padded[3] - w - pl
    gp = pad_zeros(
        grad, dh * (kh - 1) - pt, dh * (kh - 1) - pb, dw * (kw - 1) - pl, dw * (kw - 1) - pr
    )
    win = windows(gp, kh, kw, (1, 1), dilation, h, w)  # (N, O, kh, kw, H, W) view
    cols = np.empty((n, groups, (o // groups) * kh * kw, h * w), grad.dtype)
    parallel_copy(cols.reshape(win.shape), win)  # one copy, split over the batch
    wf = weight[:, :, ::-1, ::-1].reshape(groups, o // groups, cg, kh * kw)  # (G, O/G, C/G, K)
    wf = wf.transpose(0, 2, 1, 3).reshape(groups, cg, -1)  # (G, C/G, O/G*kh*kw)
    return matmul(wf, cols).reshape(n, cg * groups, h, w)


# Bound on the column workspace of one call; a larger batch is done in chunks of samples
# (each still one BLAS call per group), so inference of 224x224 VGG-style layers stays small.
WORKSPACE_BYTES = 1 << 28


def batch_chunks(n, per_sample_bytes):
    step = max(1, WORKSPACE_BYTES // max(per_sample_bytes, 1))
    return [slice(s, min(s + step, n)) for s in range(0, n, step)]


# Columns up to this size are kept from forward for dw instead of being rebuilt from the
# padded input: the rebuild was ~20% of a LeNet-5 training step and ~10% of cnn_cifar's.
KEEP_COLS_BYTES = 1 << 24


def cols_forward(xpad, weight, out_hw, stride, dilation, groups, cn, keep=False):
    """im2col + GEMM, chunked over the batch: (N, C, Hp, Wp) -> (out (N, O, Ho, Wo), cols).

    ``cols`` are the columns if ``keep`` and they fit one chunk of KEEP_COLS_BYTES, else None.
    """
    (n, c), (o, _, kh, kw), (ho, wo) = xpad.shape[:2], weight.shape, out_hw
    wg = weight.reshape(groups, o // groups, -1)  # (G, O/G, K)
    chunks = batch_chunks(n, c * kh * kw * ho * wo * xpad.itemsize)
    out = None if len(chunks) == 1 else np.empty((n, o, ho, wo), np.result_type(xpad, weight))
    for sl in chunks:  # K = C/G*kh*kw rows per group
        cols = im2col(xpad[sl], kh, kw, stride, dilation, ho, wo, groups, cn)
        res = from_layout(matmul(wg, cols), sl.stop - sl.start, ho, wo, cn)
        if out is None:
            return res, cols if keep and cols.nbytes <= KEEP_COLS_BYTES else None
        out[sl] = res
    return out, None


def cols_backward(grad, xpad, weight, geom, needs, kept=None):
    """(dx, dw) of cols_forward, chunked like it; None where not needed.

    ``kept``: the forward's columns (one chunk), used for dw instead of rebuilding them.
    """
    padded, (pt, pl), (h, w), stride, dilation, groups, layout = geom
    (n, o, ho, wo), (c, kh, kw), cn = grad.shape, (padded[1], *weight.shape[2:]), layout == "cn"
    wg = weight.reshape(groups, o // groups, -1)  # (G, O/G, K)
    dx = np.empty((n, c, h, w), dtype=grad.dtype) if needs[0] else None
    dw = np.zeros(wg.shape, dtype=grad.dtype) if needs[1] else None
    corr = correlation_dx_fits(padded, (pt, pl), (h, w), weight.shape, stride, dilation)
    for sl in batch_chunks(n, c * kh * kw * ho * wo * grad.itemsize):
        g = to_layout(grad[sl], groups, cn)  # O/G rows per group
        if dx is not None and corr:
            dx[sl] = dx_by_correlation(grad[sl], weight, padded, (pt, pl), (h, w), dilation, groups)
        elif dx is not None:
            dcols = matmul(wg.transpose(0, 2, 1), g)  # K rows per group
            shape = (sl.stop - sl.start, *padded[1:])
            dxp = col2im(dcols, shape, (kh, kw), (ho, wo), stride, dilation, cn)
            dx[sl] = dxp[:, :, pt : pt + h, pl : pl + w]
        if dw is not None:
            cols = (
                kept
                if kept is not None
                else im2col(xpad[sl], kh, kw, stride, dilation, ho, wo, groups, cn)
            )
            dw += weight_grad(g, cols, cn)
    return dx, None if dw is None else dw.reshape(weight.shape)
