"""Convolution ops on NCHW arrays: Conv2d and ConvTranspose2d.

Method (torch.nn.functional.conv2d / conv_transpose2d numerics, float32 kept float32):

* **im2col, one GEMM per sample and group.** The zero-padded input ``xp`` (N, C, Hp, Wp) is
  viewed through ``as_strided`` as ``(N, C, kh, kw, Ho, Wo)`` (stride and dilation live in the
  strides, nothing is copied) and reshaped - one copy - to the column matrix
  ``cols (N, G, C/G*kh*kw, Ho*Wo)``. Then ``out (N, G, O/G, Ho*Wo) = w (G, O/G, K) @ cols``
  with ``np.matmul``, which hands every (sample, group) to BLAS and gives NCHW directly, with
  no transpose of the output. Measured on 2 cores (batch 32, 3x3 pad 1): 3->32 at 32x32
  1.3 ms, 32->64 at 32x32 21 ms, LeNet 1->6 5x5 at 28x28 0.4 ms; the row-major im2col
  (``(N*Ho*Wo, K) @ w.T`` plus an NCHW transpose) took 1.5-5x longer, a sum of per-tap GEMMs
  2-10x longer, and NHWC per-tap GEMMs lost on all but one shape because of the layout
  transposes. A 1x1 stride-1 unpadded conv copies nothing (the view reshapes in place).
* **Backward.** ``dw = sum_n g_n @ cols_n.T`` (one batched GEMM, then a sum over N);
  ``dcols = w.T @ g`` (one batched GEMM) and col2im: a loop over the kh*kw taps, each one
  strided ``+=`` of a (N, C, Ho, Wo) slab into the padded gradient. ConvTranspose2d is the
  same pair the other way round: its forward is Conv2d's dx, its dx is Conv2d's forward.

Workspace: forward allocates the padded input (N*C*Hp*Wp) and the columns
(N*C*kh*kw*Ho*Wo, i.e. kh*kw times the input for stride 1); when the weight needs a gradient
the columns are kept for backward (the price of not rebuilding them). Backward allocates the
column gradient (same size) and the padded input gradient.

Padding is an int, a pair (ph, pw) or a 4-tuple (pt, pb, pl, pr) of zeros; other padding
modes go through ``lamina.ops.shape.Pad`` first (torch's ``padding_mode``).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from lamina.autograd.function import Function

from ._util import array_module

__all__ = ["Conv2d", "ConvTranspose2d", "conv_out_size", "pair", "pads4"]


def pair(v, name: str = "value") -> tuple[int, int]:
    """An int or a length-2 sequence as a pair of ints (torch's ``_pair``)."""
    if isinstance(v, (int, np.integer)):
        return int(v), int(v)
    t = tuple(int(a) for a in v)
    if len(t) == 1:
        return t[0], t[0]
    if len(t) != 2:
        raise ValueError(f"{name} must be an int or a pair, got {v!r}")
    return t


def pads4(padding) -> tuple[int, int, int, int]:
    """Padding as (top, bottom, left, right) from an int, (ph, pw) or (pt, pb, pl, pr)."""
    if not isinstance(padding, (int, np.integer)) and len(padding) == 4:
        p = tuple(int(a) for a in padding)
    else:
        ph, pw = pair(padding, "padding")
        p = (ph, ph, pw, pw)
    if min(p) < 0:
        raise ValueError(f"padding must be non-negative, got {padding!r}")
    return p


def conv_out_size(size: int, k: int, stride: int, pad: int, dilation: int) -> int:
    """Output length of a convolution over ``size`` with total padding ``pad``."""
    return (size + pad - dilation * (k - 1) - 1) // stride + 1


def _pad_zeros(x, pt, pb, pl, pr):
    """Zero-pad the last two axes: (N, C, H, W) -> (N, C, H+pt+pb, W+pl+pr)."""
    if pt == pb == pl == pr == 0:
        return x
    xp = array_module(x)
    n, c, h, w = x.shape
    out = xp.zeros((n, c, h + pt + pb, w + pl + pr), dtype=x.dtype)
    out[:, :, pt : pt + h, pl : pl + w] = x
    return out


def _windows(xp, kh, kw, stride, dilation, ho, wo):
    """Read-only view (N, C, kh, kw, Ho, Wo) of the receptive fields of ``xp``."""
    n, c = xp.shape[:2]
    sn, sc, sh, sw = xp.strides
    (st_h, st_w), (dh, dw) = stride, dilation
    shape = (n, c, kh, kw, ho, wo)
    strides = (sn, sc, dh * sh, dw * sw, st_h * sh, st_w * sw)
    return as_strided(xp, shape, strides, writeable=False)


def _im2col(xp, kh, kw, stride, dilation, ho, wo, groups):
    """Columns (N, G, C/G*kh*kw, Ho*Wo) of the padded input (one copy, none for 1x1)."""
    n, c = xp.shape[:2]
    win = _windows(xp, kh, kw, stride, dilation, ho, wo)
    return win.reshape(n, groups, (c // groups) * kh * kw, ho * wo)


def _col2im(dcols, shape, stride, dilation):
    """Adjoint of the window view: sum dcols (N, C, kh, kw, Ho, Wo) into zeros(shape)."""
    xp = array_module(dcols)
    n, c, kh, kw, ho, wo = dcols.shape
    (st_h, st_w), (dh, dw) = stride, dilation
    out = xp.zeros(shape, dtype=dcols.dtype)
    for i in range(kh):
        for j in range(kw):
            h0, w0 = i * dh, j * dw
            rows = slice(h0, h0 + st_h * (ho - 1) + 1, st_h)
            cols = slice(w0, w0 + st_w * (wo - 1) + 1, st_w)
            out[:, :, rows, cols] += dcols[:, :, i, j]
    return out


def _check_conv(name, x, weight, groups, in_axis):
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError(
            f"{name}: expected input (N, C, H, W) and weight of rank 4, "
            f"got input {x.shape} and weight {weight.shape}"
        )
    c_in = weight.shape[in_axis] * (groups if in_axis == 1 else 1)
    if x.shape[1] != c_in:
        raise ValueError(
            f"{name}: expected input with {c_in} channels (weight {weight.shape}, "
            f"groups={groups}), got input {x.shape}"
        )
    if (weight.shape[0] % groups) or groups < 1:
        raise ValueError(f"{name}: groups={groups} does not divide weight {weight.shape}")


class Conv2d(Function):
    """2-D cross-correlation, torch.nn.functional.conv2d; weight (O, C/groups, kh, kw)."""

    @staticmethod
    def forward(ctx, x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        _check_conv("Conv2d", x, weight, groups, 1)
        stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
        pt, pb, pl, pr = pads4(padding)
        n, c, h, w = x.shape
        o, _, kh, kw = weight.shape
        ho = conv_out_size(h, kh, stride[0], pt + pb, dilation[0])
        wo = conv_out_size(w, kw, stride[1], pl + pr, dilation[1])
        if ho < 1 or wo < 1:
            raise ValueError(f"Conv2d: input {x.shape} too small for kernel {(kh, kw)}")
        xpad = _pad_zeros(x, pt, pb, pl, pr)
        cols = _im2col(xpad, kh, kw, stride, dilation, ho, wo, groups)  # (N, G, K, L)
        wg = weight.reshape(groups, o // groups, -1)  # (G, O/G, K)
        out = np.matmul(wg, cols).reshape(n, o, ho, wo)  # (N, O, Ho, Wo)
        if bias is not None:
            out += bias.reshape(1, o, 1, 1)
        needs = ctx.needs_input_grad
        ctx.save_for_backward(weight, cols if len(needs) > 1 and needs[1] else None)
        ctx.geom = (xpad.shape, (pt, pl), (h, w), stride, dilation, groups)
        return out

    @staticmethod
    def backward(ctx, grad):
        weight, cols = ctx.saved
        padded, (pt, pl), (h, w), stride, dilation, groups = ctx.geom
        needs = ctx.needs_input_grad
        n, o, ho, wo = grad.shape
        g = grad.reshape(n, groups, o // groups, ho * wo)  # (N, G, O/G, L)
        dx = dw = db = None
        if needs[0]:
            wg = weight.reshape(groups, o // groups, -1)
            dcols = np.matmul(wg.transpose(0, 2, 1), g)  # (N, G, K, L)
            dcols = dcols.reshape(n, padded[1], *weight.shape[2:], ho, wo)
            dxp = _col2im(dcols, padded, stride, dilation)
            dx = np.ascontiguousarray(dxp[:, :, pt : pt + h, pl : pl + w])
        if len(needs) > 1 and needs[1]:
            dw = np.matmul(g, cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(weight.shape)
        if len(needs) > 2 and needs[2]:
            db = grad.sum(axis=(0, 2, 3))
        return dx, dw, db


def _transpose_out_size(size, k, stride, pad, dilation, out_pad):
    return (size - 1) * stride - pad + dilation * (k - 1) + out_pad + 1


class ConvTranspose2d(Function):
    """Transposed 2-D convolution, torch.nn.functional.conv_transpose2d.

    Weight is (C_in, C_out/groups, kh, kw) as in torch. ``output_padding`` adds rows/columns
    at the bottom/right only (it must be smaller than stride or dilation, as in torch).
    """

    @staticmethod
    def forward(
        ctx, x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
    ):
        _check_conv("ConvTranspose2d", x, weight, groups, 0)
        stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
        opad = pair(output_padding, "output_padding")
        for op_, s_, d_ in zip(opad, stride, dilation):
            if op_ >= max(s_, d_):
                raise ValueError(
                    f"ConvTranspose2d: output_padding {opad} must be smaller than stride "
                    f"{stride} or dilation {dilation}"
                )
        pt, pb, pl, pr = pads4(padding)
        n, c, h, w = x.shape
        og, kh, kw = weight.shape[1:]
        ho = _transpose_out_size(h, kh, stride[0], pt + pb, dilation[0], opad[0])
        wo = _transpose_out_size(w, kw, stride[1], pl + pr, dilation[1], opad[1])
        if ho < 1 or wo < 1:
            raise ValueError(f"ConvTranspose2d: padding {padding} leaves no output for {x.shape}")
        full = (n, og * groups, ho + pt + pb, wo + pl + pr)  # the un-cropped output
        xg = x.reshape(n, groups, c // groups, h * w)  # (N, G, C/G, L)
        wg = weight.reshape(groups, c // groups, -1)  # (G, C/G, K)
        dcols = np.matmul(wg.transpose(0, 2, 1), xg)  # (N, G, K, L)
        dcols = dcols.reshape(n, og * groups, kh, kw, h, w)
        out = _col2im(dcols, full, stride, dilation)[:, :, pt : pt + ho, pl : pl + wo]
        if bias is not None:
            out = out + bias.reshape(1, -1, 1, 1)
        ctx.save_for_backward(x, weight)
        ctx.geom = ((pt, pb, pl, pr), stride, dilation, groups, (h, w))
        return np.ascontiguousarray(out)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved
        pads, stride, dilation, groups, (h, w) = ctx.geom
        needs = ctx.needs_input_grad
        n, c = x.shape[:2]
        kh, kw = weight.shape[2:]
        gpad = _pad_zeros(grad, *pads)
        cols = _im2col(gpad, kh, kw, stride, dilation, h, w, groups)  # (N, G, K, L)
        dx = dw = db = None
        if needs[0]:
            wg = weight.reshape(groups, c // groups, -1)  # (G, C/G, K)
            dx = np.matmul(wg, cols).reshape(x.shape)
        if len(needs) > 1 and needs[1]:
            xg = x.reshape(n, groups, c // groups, h * w)
            dw = np.matmul(xg, cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(weight.shape)
        if len(needs) > 2 and needs[2]:
            db = grad.sum(axis=(0, 2, 3))
        return dx, dw, db
