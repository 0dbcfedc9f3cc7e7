"""Elementwise special functions with torch's gradients (torch.special): expm1, sinc,
entr, erf, erfc, xlogy, xlog1py, round. erf/erfc reuse lamina's erf (ops/special.py)."""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Op
from .special import erf, erfc_large

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def erfc_series(a: np.ndarray) -> np.ndarray:
    """a sqrt(pi) e^{a^2} erfc(a) for a > 8 from its asymptotic series (14 terms; the first
    omitted one is below 1e-16 there)."""
    with np.errstate(over="ignore"):
        inv2 = 1.0 / (2.0 * a * a)
        term, series = np.ones_like(a), np.ones_like(a)
        for n in range(1, 15):  # 1 - 1/(2a^2) + 3/(2a^2)^2 - 15/(2a^2)^3 ...
            term = term * -(2 * n - 1) * inv2
            series = series + term
        return series


def log_erfc_series(a: np.ndarray) -> np.ndarray:
    """log erfc(a) for a > 8 (see erfc_series)."""
    with np.errstate(over="ignore"):
        return -(a * a) - np.log(a) - 0.5 * math.log(math.pi) + np.log(erfc_series(a))


def erfc(x: np.ndarray) -> np.ndarray:
    """1 - erf(x), accurate in the tail (relative error ~1e-14 in float64 for x > 2)."""
    x = np.asarray(x)
    out = 1.0 - erf(x)
    big, neg = x > 2.0, x < -2.0
    if big.any():
        out[big] = erfc_large(x[big])
    far = x > 8.0  # erfc_large's fit stops at 8
    if far.any():
        with np.errstate(under="ignore"):
            out[far] = np.exp(log_erfc_series(x[far].astype(np.float64)))
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


class InverseLike(Op):
    """log_ndtr, erfinv and ndtri (``fn``), computed in float64 and returned in the input's
    dtype; their derivatives come from the output (ops/special_inv.py)."""

    ctx_attrs = ("which",)

    @staticmethod
    def forward(ctx, x, *, which):
        from . import special_inv as SI

        y = getattr(SI, which)(x.astype(np.float64))
        ctx.which = which
        ctx.save_for_backward(x, y)
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved
        with np.errstate(over="ignore", invalid="ignore"):
            if ctx.which == "log_ndtr":  # phi(x) / Phi(x) without underflow
                x64 = x.astype(np.float64)
                d = np.exp(-0.5 * x64 * x64 - y) / math.sqrt(2 * math.pi)
            elif ctx.which == "erfcx":  # 2x erfcx(x) - 2/sqrt(pi)
                d = 2 * x.astype(np.float64) * y - _TWO_OVER_SQRT_PI
            elif ctx.which == "erfinv":
                d = math.sqrt(math.pi) / 2 * np.exp(y * y)
            else:  # ndtri
                d = math.sqrt(2 * math.pi) * np.exp(0.5 * y * y)
        return ((g * d).astype(x.dtype, copy=False),)
