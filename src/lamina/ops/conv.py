"""Convolution ops on NCHW arrays: Conv2d and ConvTranspose2d, with their argument checks.

The array kernels (im2col + batched GEMM, col2im, depthwise taps, the correlation dx) and
the measurements behind them live in ``lamina.ops.conv_kernels``.

Padding is an int, a pair (ph, pw) or a 4-tuple (pt, pb, pl, pr) of zeros; other padding
modes go through ``lamina.ops.shape.Pad`` first (torch's ``padding_mode``).
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ._parallel import matmul
from .conv_kernels import (
    col2im,
    cols_backward,
    cols_forward,
    depthwise,
    depthwise_backward,
    from_layout,
    im2col,
    pad_zeros,
    to_layout,
    weight_grad,
)

# Below this many output pixels per sample the per-sample GEMMs get too small and the
# channel-major layout (one GEMM per group over the whole batch) wins; measured, see
# lamina.ops.conv_kernels.
CN_MAX_PIXELS = 256

__all__ = ["Conv2d", "ConvTranspose2d", "conv_out_size", "pair", "pads4", "positive"]


def pair(v, name: str = "value") -> tuple[int, int]:
    """An int or a length-2 sequence as a pair of ints (torch's ``_pair``)."""
    if type(v) is tuple and len(v) == 2 and type(v[0]) is int and type(v[1]) is int:
        return v  # the common case, without the slower isinstance checks below
    if isinstance(v, (int, np.integer)):
        return int(v), int(v)
    t = tuple(int(a) for a in v)
    if len(t) == 1:
        return t[0], t[0]
    if len(t) != 2:
        raise ValueError(f"{name} must be an int or a pair, got {v!r}")
    return t


def positive(t: tuple, name: str, where: str) -> tuple:
    """Check a stride/dilation/kernel pair is >= 1; ValueError naming the op otherwise."""
    if min(t) < 1:
        raise ValueError(f"{where}: {name} must be >= 1, got {t}")
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
    if x.dtype != weight.dtype:
        raise TypeError(
            f"{name}: input dtype {x.dtype} and weight dtype {weight.dtype} should be the same"
        )
    if (weight.shape[0] % groups) or groups < 1:
        raise ValueError(f"{name}: groups={groups} does not divide weight {weight.shape}")


class Conv2d(Op):
    """2-D cross-correlation, torch.nn.functional.conv2d; weight (O, C/groups, kh, kw)."""

    ctx_attrs = ("geom",)

    @staticmethod
    def forward(ctx, x, weight, bias=None, *, stride=1, padding=0, dilation=1, groups=1):
        _check_conv("Conv2d", x, weight, groups, 1)
        stride = positive(pair(stride, "stride"), "stride", "Conv2d")
        dilation = positive(pair(dilation, "dilation"), "dilation", "Conv2d")
        pt, pb, pl, pr = pads4(padding)
        n, c, h, w = x.shape
        o, _, kh, kw = weight.shape
        ho = conv_out_size(h, kh, stride[0], pt + pb, dilation[0])
        wo = conv_out_size(w, kw, stride[1], pl + pr, dilation[1])
        if ho < 1 or wo < 1:
            raise ValueError(f"Conv2d: input {x.shape} too small for kernel {(kh, kw)}")
        xpad = pad_zeros(x, pt, pb, pl, pr)
        needs = ctx.needs_input_grad
        needs_w, cols = needs[1], None
        if groups == c > 1:
            layout = "depthwise"
            out = depthwise(xpad, weight, (ho, wo), stride, dilation)  # (N, O, Ho, Wo)
        else:
            layout = "cn" if ho * wo < CN_MAX_PIXELS else "nc"
            out, cols = cols_forward(
                xpad, weight, (ho, wo), stride, dilation, groups, layout == "cn", needs_w
            )
        # keep the padded input, not the kh*kw times larger columns (backward rebuilds them),
        # unless the columns are small (KEEP_COLS_BYTES)
        ctx.save_for_backward(weight, xpad if needs_w and cols is None else None, cols)
        if bias is not None:
            out += bias.reshape(1, o, 1, 1)
        ctx.geom = (xpad.shape, (pt, pl), (h, w), stride, dilation, groups, layout)
        return out

    @staticmethod
    def backward(ctx, grad):
        weight, xpad, cols = ctx.saved
        padded, (pt, pl), (h, w), stride, dilation, groups, layout = ctx.geom
        needs = ctx.needs_input_grad
        db = grad.sum(axis=(0, 2, 3)) if needs[2] else None
        if layout != "depthwise":
            dx, dw = cols_backward(grad, xpad, weight, ctx.geom, needs, cols)
            return dx, dw, db
        dxp, dw = depthwise_backward(grad, xpad, padded, weight, stride, dilation, needs)
        dx = None if dxp is None else np.ascontiguousarray(dxp[:, :, pt : pt + h, pl : pl + w])
        return dx, dw, db


def _transpose_out_size(size, k, stride, pad, dilation, out_pad):
    return (size - 1) * stride - pad + dilation * (k - 1) + out_pad + 1


class ConvTranspose2d(Op):
    """Transposed 2-D convolution, torch.nn.functional.conv_transpose2d.

    Weight is (C_in, C_out/groups, kh, kw) as in torch. ``output_padding`` adds rows/columns
    at the bottom/right only (it must be smaller than stride or dilation, as in torch).
    """

    ctx_attrs = ("geom",)

    @staticmethod
    def forward(
        ctx, x, weight, bias=None, *, stride=1, padding=0, output_padding=0, groups=1, dilation=1
    ):
        _check_conv("ConvTranspose2d", x, weight, groups, 0)
        stride = positive(pair(stride, "stride"), "stride", "ConvTranspose2d")
        dilation = positive(pair(dilation, "dilation"), "dilation", "ConvTranspose2d")
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
        cn = h * w < CN_MAX_PIXELS
        xg = to_layout(x, groups, cn)  # C/G rows per group
        wg = weight.reshape(groups, c // groups, -1)  # (G, C/G, K), K = C_out/G*kh*kw
        dcols = matmul(wg.transpose(0, 2, 1), xg)  # K rows per group
        out = col2im(dcols, full, (kh, kw), (h, w), stride, dilation, cn)
        out = out[:, :, pt : pt + ho, pl : pl + wo]
        out = np.ascontiguousarray(out)
        if bias is not None:
            out += bias.reshape(1, -1, 1, 1)
        ctx.save_for_backward(xg, weight)
        ctx.geom = ((pt, pb, pl, pr), stride, dilation, groups, x.shape, cn)
        return out

    @staticmethod
    def backward(ctx, grad):
        xg, weight = ctx.saved
        pads, stride, dilation, groups, (n, c, h, w), cn = ctx.geom
        needs = ctx.needs_input_grad
        kh, kw = weight.shape[2:]
        gpad = pad_zeros(grad, *pads)
        cols = im2col(gpad, kh, kw, stride, dilation, h, w, groups, cn)  # K rows per group
        dx = dw = db = None
        if needs[0]:
            wg = weight.reshape(groups, c // groups, -1)  # (G, C/G, K)
            dx = from_layout(matmul(wg, cols), n, h, w, cn)
        if needs[1]:
            dw = weight_grad(xg, cols, cn).reshape(weight.shape)
        if needs[2]:
            db = grad.sum(axis=(0, 2, 3))
        return dx, dw, db
