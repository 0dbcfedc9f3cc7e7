"""Piecewise activations whose gradients at the kinks torch fixes by hand (torch's
hardtanh, hardswish, hardsigmoid backward kernels), and a stable log-sigmoid."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op


class Hardtanh(Op):
    """clamp(x, lo, hi); the gradient passes only strictly inside (lo, hi), as torch."""

    ctx_attrs = ("lo", "hi")

    @staticmethod
    def forward(ctx, x, *, lo=-1.0, hi=1.0):
        ctx.lo, ctx.hi = lo, hi
        ctx.save_for_backward(x)
        return np.minimum(np.maximum(x, np.asarray(lo, x.dtype)), np.asarray(hi, x.dtype))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return (np.where((x > ctx.lo) & (x < ctx.hi), g, np.zeros((), g.dtype)),)


class Hardswish(Op):
    """x * relu6(x + 3) / 6; gradient 0 up to -3, x / 3 + 1/2 strictly between, 1 from 3."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * np.clip(x + 3, 0, 6) / 6

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        d = np.where(x <= -3, 0.0, np.where(x < 3, x / 3 + 0.5, 1.0)).astype(g.dtype)
        return (g * d,)


class Hardsigmoid(Op):
    """relu6(x + 3) / 6; gradient 1/6 strictly inside (-3, 3)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (np.clip(x + 3, 0, 6) / 6).astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return (np.where((x > -3) & (x < 3), g / 6, np.zeros((), g.dtype)),)


class LogSigmoid(Op):
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), without overflow."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        with np.errstate(over="ignore"):
            return (g / (1 + np.exp(x)),)  # sigmoid(-x)
