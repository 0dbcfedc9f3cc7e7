"""Elementwise ops: arithmetic with broadcasting and the unary maths functions.

The engine sums a gradient of the broadcast shape back to each input's shape, so these
backwards return gradients of the output's shape.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op


class Add(Op):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Op):
    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        need = ctx.needs_input_grad
        return (g * b if need[0] else None), (g * a if need[1] else None)


class Div(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        need = ctx.needs_input_grad
        ga = g / b if need[0] else None
        gb = -g * a / (b * b) if need[1] else None
        return ga, gb


class Neg(Op):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return (-g,)


class Pow(Op):
    """a ** b for tensor or scalar a and b."""

    @staticmethod
    def forward(ctx, a, b):
        y = np.power(a, b)
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved
        need = ctx.needs_input_grad
        ga = g * b * np.power(a, b - 1) if need[0] else None
        gb = None
        if need[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = g * y * np.where(a > 0, np.log(np.where(a > 0, a, 1)), 0).astype(y.dtype)
        return ga, gb


def _unary(name, f, df, save="x"):
    """Build a unary op; df(x, y, g) gives the input gradient."""

    def forward(ctx, x):
        y = f(x)
        ctx.save_for_backward(x, y)
        return y

    def backward(ctx, g):
        x, y = ctx.saved
        return (df(x, y, g),)

    return type(
        name,
        (Op,),
        {"forward": staticmethod(forward), "backward": staticmethod(backward), "__doc__": name},
    )


Exp = _unary("Exp", np.exp, lambda x, y, g: g * y)
Log = _unary("Log", np.log, lambda x, y, g: g / x)
Log1p = _unary("Log1p", np.log1p, lambda x, y, g: g / (1 + x))
Sqrt = _unary("Sqrt", np.sqrt, lambda x, y, g: g / (2 * y))
Rsqrt = _unary("Rsqrt", lambda x: 1 / np.sqrt(x), lambda x, y, g: -0.5 * g * y * y * y)
Sin = _unary("Sin", np.sin, lambda x, y, g: g * np.cos(x))
Cos = _unary("Cos", np.cos, lambda x, y, g: -g * np.sin(x))
Abs = _unary("Abs", np.abs, lambda x, y, g: g * np.sign(x))
Sign = _unary("Sign", np.sign, lambda x, y, g: np.zeros_like(g))


class Clamp(Op):
    """clamp(x, min, max); gradient flows where min <= x <= max, as torch."""

    @staticmethod
    def forward(ctx, x, lo=None, hi=None):
        ctx.save_for_backward(x, lo, hi)
        return np.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved
        need = ctx.needs_input_grad
        inside = np.ones(x.shape, dtype=bool)
        if lo is not None:
            inside &= x >= lo
        if hi is not None:
            inside &= x <= hi
        gx = g * inside if need[0] else None
        glo = g * (x < lo) if need[1] else None
        ghi = g * (x > hi) if need[2] else None
        return gx, glo, ghi


class Where(Op):
    """where(cond, a, b)."""

    @staticmethod
    def forward(ctx, cond, a, b):
        cond = np.asarray(cond, dtype=bool)
        ctx.save_for_backward(cond)
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved
        need = ctx.needs_input_grad
        zero = np.zeros((), dtype=g.dtype)
        ga = np.where(cond, g, zero) if need[1] else None
        gb = np.where(cond, zero, g) if need[2] else None
        return None, ga, gb


class Maximum(Op):
    """Elementwise max; ties share the gradient equally, as torch."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        need = ctx.needs_input_grad
        wa = (a > b) + 0.5 * (a == b)
        ga = g * wa.astype(g.dtype) if need[0] else None
        gb = g * (1 - wa).astype(g.dtype) if need[1] else None
        return ga, gb


class Minimum(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        need = ctx.needs_input_grad
        wa = (a < b) + 0.5 * (a == b)
        ga = g * wa.astype(g.dtype) if need[0] else None
        gb = g * (1 - wa).astype(g.dtype) if need[1] else None
        return ga, gb


class Cast(Op):
    """Change dtype; the gradient is cast back to the input's dtype."""

    ctx_attrs = ("src",)

    @staticmethod
    def forward(ctx, x, *, dtype):
        ctx.src = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return (g.astype(ctx.src),)


class Clone(Op):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return (g,)


class NanToNum(Op):
    """NaN, +inf and -inf replaced by numbers; the gradient passes where x was finite."""

    ctx_attrs = ("finite",)

    @staticmethod
    def forward(ctx, x, *, nan=0.0, posinf=None, neginf=None):
        ctx.finite = np.isfinite(x)
        return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, g):
        return (np.where(ctx.finite, g, np.zeros((), g.dtype)),)
