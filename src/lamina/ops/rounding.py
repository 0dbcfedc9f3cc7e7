"""Rounding, remainders, interpolation and reordering ops (torch.floor, remainder, fmod,
lerp, flip, roll), and a stand-in for ops whose derivative torch defines as zero or not at all.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from .elementwise import check_broadcast


class Round(Op):
    """floor / ceil / trunc / round(decimals): the gradient is zero, as torch's."""

    ctx_attrs = ("how",)

    @staticmethod
    def forward(ctx, x, *, how="floor", decimals=0):
        ctx.how = how
        if x.dtype == np.bool_:
            raise NotImplementedError(f"\"{how}_vml_cpu\" not implemented for 'Bool'")
        if x.dtype.kind in "biu":
            return x.copy()  # integers are already whole: torch returns a copy
        if how == "round":
            return np.round(x, decimals)  # half to even, as torch
        return getattr(np, how)(x)

    @staticmethod
    def backward(ctx, g):
        return (np.zeros_like(g),)


class Frac(Op):
    """x - trunc(x) (torch.frac); the gradient passes through."""

    @staticmethod
    def forward(ctx, x):
        return x - np.trunc(x)

    @staticmethod
    def backward(ctx, g):
        return (g,)


def _int_zero_division(a, b) -> None:
    if np.size(a) and np.any(np.asarray(b) == 0):
        raise RuntimeError("ZeroDivisionError")


def remainder(a, b):
    """Python's %: torch's a - b * floor(a / b) for floats (its vectorized kernel, which
    rounds differently from C's fmod), NumPy's exact remainder for integers."""
    if np.result_type(a, b).kind in "biu":
        return np.remainder(a, b)
    return a - b * np.floor(a / b)


class Remainder(Op):
    """a - b * floor(a / b), the sign of b (torch.remainder, Python's %)."""

    ctx_attrs = ("trunc",)

    @staticmethod
    def forward(ctx, a, b, *, trunc=False):
        check_broadcast(a, b)
        ctx.trunc = trunc
        ctx.save_for_backward(a, b)
        if np.result_type(a, b).kind in "biu":
            _int_zero_division(a, b)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return np.fmod(a, b) if trunc else remainder(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        need = ctx.needs_input_grad
        gb = None
        if need[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                q = np.trunc(a / b) if ctx.trunc else np.floor(a / b)
            gb = -g * q
        return (g if need[0] else None), gb


class Given(Op):
    """A result computed elsewhere, for ops whose gradient torch defines as zero
    (``div(rounding_mode=...)``: ``zero_grad``) or not at all (``floor_divide``: backward
    raises torch's error)."""

    ctx_attrs = ("op", "shapes")

    @staticmethod
    def forward(ctx, *xs, value, op, zero_grad=False):
        ctx.op = None if zero_grad else op
        ctx.shapes = [np.shape(x) for x in xs]
        return value

    @staticmethod
    def check_first(ctx) -> None:
        """Called by the engine before any gradient is accumulated: an op without a
        derivative fails the whole backward, as torch's (whose leaves wait for every edge)."""
        if ctx.op is not None:
            Given.backward(ctx, None)

    @staticmethod
    def backward(ctx, g):
        if ctx.op == "_unique2":
            raise NotImplementedError("the derivative for '_unique2' is not implemented.")
        if ctx.op is not None:
            raise RuntimeError(f"derivative for aten::{ctx.op} is not implemented")
        need = ctx.needs_input_grad
        return tuple(np.zeros(s, g.dtype) if n else None for s, n in zip(ctx.shapes, need))


class Lerp(Op):
    """start + weight * (end - start), torch's two-sided formula (exact at weight 1)."""

    @staticmethod
    def forward(ctx, start, end, weight):
        check_broadcast(start, end)
        check_broadcast(start, weight)
        # as torch: start and end are kept only for the weight's gradient
        keep = ctx.needs_input_grad[2]
        ctx.save_for_backward(start if keep else None, end if keep else None, weight)
        diff = end - start
        w = np.asarray(weight)
        return np.where(np.abs(w) < 0.5, start + w * diff, end - diff * (1 - w)).astype(
            np.result_type(start, end)
        )

    @staticmethod
    def backward(ctx, g):
        start, end, w = ctx.saved
        need = ctx.needs_input_grad
        gs = g * (1 - w) if need[0] else None
        ge = g * w if need[1] else None
        gw = g * (end - start) if need[2] else None
        return gs, ge, gw


class Flip(Op):
    """The elements in reverse order along ``axes`` (torch.flip), a copy."""

    ctx_attrs = ("axes",)

    @staticmethod
    def forward(ctx, x, *, axes):
        ctx.axes = axes
        return np.flip(x, axes).copy()

    @staticmethod
    def backward(ctx, g):
        return (np.flip(g, ctx.axes),)


class Roll(Op):
    """Elements shifted cyclically along ``axes`` (torch.roll); flattened when axes=None."""

    ctx_attrs = ("shifts", "axes")

    @staticmethod
    def forward(ctx, x, *, shifts, axes):
        ctx.shifts, ctx.axes = shifts, axes
        return np.roll(x, shifts, axes)

    @staticmethod
    def backward(ctx, g):
        back = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return (np.roll(g, back, ctx.axes),)
