"""Convolution, pooling and resampling (torch.nn.functional), on NCHW / NCL Tensors.

The 1-D forms run the 2-D ops on a height-1 image ``(N, C, 1, L)``. Inputs without a batch
axis (``(C, H, W)`` / ``(C, L)``) get one for the call, as in torch.
"""

from __future__ import annotations

import math

from ...ops import conv as C
from ...ops import interpolate as I
from ...ops import pool as P
from ...tensor import Tensor, _make, apply

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "conv1d",
    "conv2d",
    "conv_transpose2d",
    "interpolate",
    "max_pool1d",
    "max_pool2d",
    "same_padding",
]


def _batched(x, ndim: int, name: str):
    """(x with a batch axis, whether one was added); checks the rank."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor input, got {type(x).__name__}")
    if x.ndim == ndim - 1:
        return x.unsqueeze(0), True
    if x.ndim != ndim:
        dims = "(N, C, H, W)" if ndim == 4 else "(N, C, L)"
        raise ValueError(f"{name}: expected input {dims} or without N, got shape {x.shape}")
    return x, False


def _unbatch(out, added):
    return out.squeeze(0) if added else out


def _single(v, name):
    if isinstance(v, (tuple, list)):
        if len(v) != 1:
            raise ValueError(f"{name} must be an int or a 1-tuple, got {v!r}")
        return int(v[0])
    return int(v)


def same_padding(kernel, dilation):
    """torch's padding='same' as (pt, pb, pl, pr): total d*(k-1), the extra one at the end."""
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads += [total // 2, total - total // 2]
    return tuple(pads)


def _conv_padding(padding, kernel, stride, dilation, name):
    if isinstance(padding, str):
        if padding == "valid":
            return 0
        if padding != "same":
            raise ValueError(f"{name}: padding {padding!r} must be 'same', 'valid' or ints")
        if any(s != 1 for s in stride):
            raise ValueError(f"{name}: padding='same' needs stride 1, got stride {stride}")
        return same_padding(kernel, dilation)
    return padding


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """torch.nn.functional.conv2d; padding int, pair, (pt, pb, pl, pr), 'same' or 'valid'."""
    x, added = _batched(input, 4, "conv2d")
    stride, dilation = C.pair(stride, "stride"), C.pair(dilation, "dilation")
    pad = _conv_padding(padding, weight.shape[2:], stride, dilation, "conv2d")
    out = apply(
        C.Conv2d, x, weight, bias, stride=stride, padding=pad, dilation=dilation, groups=groups
    )
    return _unbatch(out, added)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """torch.nn.functional.conv1d on (N, C, L), weight (O, C/groups, k)."""
    x, added = _batched(input, 3, "conv1d")
    if weight.ndim != 3:
        raise ValueError(f"conv1d: expected weight (O, C/groups, k), got shape {weight.shape}")
    s, d = _single(stride, "stride"), _single(dilation, "dilation")
    if isinstance(padding, str):  # 'valid' -> 0, 'same' -> (left, right)
        pad = _conv_padding(padding, weight.shape[2:], (s,), (d,), "conv1d")
        pad = (0, 0, *pad) if isinstance(pad, tuple) else 0
    else:
        pad = (0, _single(padding, "padding"))
    out = apply(
        C.Conv2d,
        x.unsqueeze(2),
        weight.unsqueeze(2),
        bias,
        stride=(1, s),
        padding=pad,
        dilation=(1, d),
        groups=groups,
    )
    return _unbatch(out.squeeze(2), added)


def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
) -> Tensor:
    """torch.nn.functional.conv_transpose2d; weight (C_in, C_out/groups, kh, kw)."""
    x, added = _batched(input, 4, "conv_transpose2d")
    out = apply(
        C.ConvTranspose2d,
        x,
        weight,
        bias,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        groups=groups,
        dilation=dilation,
    )
    return _unbatch(out, added)


def _with_indices(outs, return_indices):
    out, idx = outs
    return (out, _make(idx._data)) if return_indices else out


def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """torch.nn.functional.max_pool2d; indices are flat positions h * W + w per plane."""
    x, added = _batched(input, 4, "max_pool2d")
    out, idx = apply(
        P.MaxPool2d,
        x,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
        ceil_mode=ceil_mode,
    )
    return _with_indices((_unbatch(out, added), _unbatch(idx, added)), return_indices)


def max_pool1d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """torch.nn.functional.max_pool1d on (N, C, L)."""
    x, added = _batched(input, 3, "max_pool1d")
    k = _single(kernel_size, "kernel_size")
    s = k if stride is None or stride == () else _single(stride, "stride")
    p, d = _single(padding, "padding"), _single(dilation, "dilation")
    out, idx = apply(
        P.MaxPool2d,
        x.unsqueeze(2),
        kernel_size=(1, k),
        stride=(1, s),
        padding=(0, p),
        dilation=(1, d),
        ceil_mode=ceil_mode,
    )
    out, idx = out.squeeze(2), idx.squeeze(2)
    return _with_indices((_unbatch(out, added), _unbatch(idx, added)), return_indices)


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
) -> Tensor:
    """torch.nn.functional.avg_pool2d."""
    x, added = _batched(input, 4, "avg_pool2d")
    opts = dict(kernel_size=kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode)
    opts.update(count_include_pad=count_include_pad, divisor_override=divisor_override)
    return _unbatch(apply(P.AvgPool2d, x, **opts), added)


def avg_pool1d(
    input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
) -> Tensor:
    """torch.nn.functional.avg_pool1d on (N, C, L)."""
    x, added = _batched(input, 3, "avg_pool1d")
    k = _single(kernel_size, "kernel_size")
    s = k if stride is None or stride == () else _single(stride, "stride")
    p = _single(padding, "padding")
    out = apply(
        P.AvgPool2d,
        x.unsqueeze(2),
        kernel_size=(1, k),
        stride=(1, s),
        padding=(0, p),
        ceil_mode=ceil_mode,
        count_include_pad=count_include_pad,
    )
    return _unbatch(out.squeeze(2), added)


def adaptive_avg_pool2d(input, output_size) -> Tensor:
    """torch.nn.functional.adaptive_avg_pool2d; output_size int, pair, None keeps a size."""
    x, added = _batched(input, 4, "adaptive_avg_pool2d")
    return _unbatch(apply(P.AdaptiveAvgPool2d, x, output_size=output_size), added)


def adaptive_avg_pool1d(input, output_size) -> Tensor:
    """torch.nn.functional.adaptive_avg_pool1d on (N, C, L)."""
    x, added = _batched(input, 3, "adaptive_avg_pool1d")
    out = apply(
        P.AdaptiveAvgPool2d, x.unsqueeze(2), output_size=(1, _single(output_size, "output_size"))
    )
    return _unbatch(out.squeeze(2), added)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """torch.nn.functional.adaptive_max_pool2d."""
    x, added = _batched(input, 4, "adaptive_max_pool2d")
    out, idx = apply(P.AdaptiveMaxPool2d, x, output_size=output_size)
    return _with_indices((_unbatch(out, added), _unbatch(idx, added)), return_indices)


_MODES = {"nearest": 3, "nearest-exact": 3, "linear": 3, "bilinear": 4}


def _interp_size(shape, size, scale_factor, ndim):
    """Resolved output size and the scale factors torch feeds the index rule."""
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    if size is not None:
        size = (size,) * ndim if isinstance(size, int) else tuple(int(s) for s in size)
        if len(size) != ndim:
            raise ValueError(f"interpolate: size {size} needs {ndim} entries for input {shape}")
        return size, None
    sf = (scale_factor,) * ndim if isinstance(scale_factor, (int, float)) else scale_factor
    if len(sf) != ndim:
        raise ValueError(f"interpolate: scale_factor {sf} needs {ndim} entries for {shape}")
    sf = tuple(float(f) for f in sf)
    return tuple(math.floor(n * f) for n, f in zip(shape[2:], sf)), sf


def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode="nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias=False,
) -> Tensor:
    """torch.nn.functional.interpolate: nearest / nearest-exact on 3-D and 4-D input,
    linear on (N, C, L), bilinear on (N, C, H, W)."""
    if mode not in _MODES:
        raise ValueError(f"interpolate: mode {mode!r} not one of {sorted(_MODES)}")
    if antialias:
        raise ValueError("interpolate: antialias=True is not supported")
    ndim = input.ndim
    if ndim not in (3, 4) or (mode in ("linear", "bilinear") and ndim != _MODES[mode]):
        raise ValueError(f"interpolate: mode {mode!r} does not take input of shape {input.shape}")
    if align_corners is not None and mode not in ("linear", "bilinear"):
        raise ValueError(f"interpolate: align_corners is only for linear modes, not {mode!r}")
    size, scales = _interp_size(input.shape, size, scale_factor, ndim - 2)
    if recompute_scale_factor:
        scales = None
    op_mode = "bilinear" if mode == "linear" else mode
    if ndim == 3:
        scales = None if scales is None else (None, scales[0])
        out = apply(
            I.Interpolate,
            input.unsqueeze(2),
            size=(1, size[0]),
            mode=op_mode,
            align_corners=align_corners,
            scales=scales,
        )
        return out.squeeze(2)
    return apply(
        I.Interpolate, input, size=size, mode=op_mode, align_corners=align_corners, scales=scales
    )
