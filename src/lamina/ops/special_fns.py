"""Elementwise special functions with torch's gradients (torch.special): expm1, sinc,
entr, erf, erfc, xlogy, xlog1py, round. erf/erfc reuse lamina's erf (ops/special.py)."""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Op
from .special import erf, erfc_large

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def erfc(x: np.ndarray) -> np.ndarray:
    """1 - erf(x), accurate in the tail (relative error ~1e-14 in float64 for x > 2)."""
    x = np.asarray(x)
    out = 1.0 - erf(x)
    big, neg = x > 2.0, x < -2.0
    if big.any():
        out[big] = erfc_large(x[big])
    if neg.any():
        out[neg] = 2.0 - erfc_large(-x[neg])
    return out


class Expm1(Op):
    """exp(x) - 1, exact near 0 (torch.special.expm1)."""

    @staticmethod
    def forward(ctx, x):
        y = np.expm1(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved
        return (g * (y + 1),)


class Sinc(Op):
    """sin(pi x) / (pi x), 1 at 0 (torch.special.sinc); its gradient is 0 at 0."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):  # sinc(±inf) is NaN, as torch's
            return np.sinc(x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        px = np.pi * x
        with np.errstate(divide="ignore", invalid="ignore"):
            d = (np.cos(px) * px - np.sin(px)) / (px * x)
        return ((g * np.where(x == 0, 0.0, d)).astype(x.dtype, copy=False),)


class Entr(Op):
    """-x log x for x > 0, 0 at 0, -inf for x < 0 (torch.special.entr)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.where(x > 0, -x * np.log(np.where(x > 0, x, 1)), np.where(x == 0, 0, -np.inf))
        return np.where(np.isnan(x), np.nan, y).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            return ((g * -(np.log(x) + 1)).astype(x.dtype, copy=False),)


class Erf(Op):
    """The error function (torch.special.erf); ``complement`` gives erfc."""

    ctx_attrs = ("complement",)

    @staticmethod
    def forward(ctx, x, *, complement=False):
        ctx.save_for_backward(x)
        ctx.complement = complement
        return (erfc(x) if complement else erf(x)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        d = _TWO_OVER_SQRT_PI * np.exp(-(x * x))
        return ((g * (-d if ctx.complement else d)).astype(x.dtype, copy=False),)


class XLogY(Op):
    """x * log(y) (``log1p``: x * log1p(y)), 0 where x == 0 unless y is NaN
    (torch.special.xlogy / xlog1py)."""

    ctx_attrs = ("log1p",)

    @staticmethod
    def forward(ctx, x, y, *, log1p=False):
        ctx.save_for_backward(x, y)
        ctx.log1p = log1p
        with np.errstate(divide="ignore", invalid="ignore"):
            ly = np.log1p(y) if log1p else np.log(y)
            return np.where((x == 0) & ~np.isnan(y), 0.0, x * ly).astype(ly.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved
        need = ctx.needs_input_grad
        with np.errstate(divide="ignore", invalid="ignore"):
            ly = np.log1p(y) if ctx.log1p else np.log(y)
            # torch zeroes d/dx only where x == 0 and the log is not finite (y <= 0, or -1)
            edge = (x == 0) & (y <= (-1 if ctx.log1p else 0))
            gx = g * np.where(edge, 0.0, ly) if need[0] else None
            gy = g * x / ((1 + y) if ctx.log1p else y) if need[1] else None
        return gx, gy


class Round(Op):
    """Round half to even (torch.round); zero gradient."""

    @staticmethod
    def forward(ctx, x, *, decimals=0):
        return np.round(x, decimals)

    @staticmethod
    def backward(ctx, g):
        return (np.zeros_like(g),)
