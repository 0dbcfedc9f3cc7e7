"""Elementwise ops: arithmetic with broadcasting and the unary maths functions.

The engine sums a gradient of the broadcast shape back to each input's shape, so these
backwards return gradients of the output's shape.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op


def check_broadcast(a, b) -> None:
    """Raise torch's RuntimeError when two operands' shapes cannot broadcast."""
    sa = a.shape if type(a) is np.ndarray else np.shape(a)
    sb = b.shape if type(b) is np.ndarray else np.shape(b)
    if sa == sb:
        return
    for i in range(1, min(len(sa), len(sb)) + 1):
        x, y = sa[-i], sb[-i]
        if x != y and x != 1 and y != 1:
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) "
                f"at non-singleton dimension {max(len(sa), len(sb)) - i}"
            )


# The arithmetic ops let NumPy find a shape mismatch (torch and NumPy broadcast by the same
# rule) and only then ask check_broadcast for torch's message: no check on the hot path.
# Outside the except block, so the traceback shows torch's error alone; any other
# ValueError is NumPy's own, raised again by the second attempt.


class Add(Op):
    @staticmethod
    def forward(ctx, a, b):
        try:
            return a + b
        except ValueError:
            pass
        check_broadcast(a, b)
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Op):
    @staticmethod
    def forward(ctx, a, b):
        check_sub_operands(a, b)
        try:
            return a - b
        except ValueError:
            pass
        check_broadcast(a, b)
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


def _is_bool(x) -> bool:
    if type(x) is np.ndarray:
        return x.dtype.kind == "b"
    return np.asarray(x).dtype == np.bool_


def check_sub_operands(a, b) -> None:
    """torch refuses subtraction with a bool tensor (before any promotion or broadcasting)."""
    bools = _is_bool(a) + _is_bool(b)
    if bools == 2:
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead."
        )
    if bools:
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. "
            "If you are trying to invert a mask, use the `~` or `logical_not()` operator "
            "instead."
        )


class Mul(Op):
    @staticmethod
    def forward(ctx, a, b):
        need = ctx.needs_input_grad  # as torch: each operand kept only for the other's grad
        ctx.save_for_backward(a if need[1] else None, b if need[0] else None)
        try:
            return a * b
        except ValueError:
            pass
        check_broadcast(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        need = ctx.needs_input_grad
        return (g * b if need[0] else None), (g * a if need[1] else None)


class Div(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)  # as torch
        try:
            with np.errstate(divide="ignore", invalid="ignore"):
                return a / b
        except ValueError:
            pass
        check_broadcast(a, b)
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
        if a.dtype == np.bool_:
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. "
                "If you are trying to invert a mask, use the `~` or `logical_not()` operator "
                "instead."
            )
        return -a

    @staticmethod
    def backward(ctx, g):
        return (-g,)


class Pow(Op):
    """a ** b for tensor or scalar a and b, with torch's gradient conventions: no gradient
    to ``a`` where b == 0, none to ``b`` where a == 0 and b >= 0; NaN for a < 0 as torch."""

    @staticmethod
    def forward(ctx, a, b):
        check_broadcast(a, b)
        if _bool_array(b) and np.asarray(a).dtype == np.bool_:
            raise NotImplementedError("\"pow\" not implemented for 'Bool'")
        if _bool_array(a) and isinstance(b, (bool, np.bool_)):  # bool ** bool scalar is bool
            return np.power(a.astype(np.int8), int(b)).astype(bool)
        ak, bk = np.asarray(a).dtype.kind, np.asarray(b).dtype.kind
        if ak in "biu" and bk in "iu" or ak in "iu" and bk == "b":  # True ** ints: int64
            bi = np.asarray(b).astype(np.int64) if bk == "b" else b
            y = _int_pow(np.asarray(a).astype(np.result_type(a, b)), bi)
        else:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                y = np.power(a, b)
        ctx.save_for_backward(a, b, y if ctx.needs_input_grad[1] else None)  # y: b's grad
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved
        need = ctx.needs_input_grad
        zero = np.zeros((), g.dtype)
        ga = gb = None
        if need[0] and isinstance(b, np.ndarray) and b.dtype == np.bool_:  # torch: b - 1
            raise RuntimeError(
                "Subtraction, the `-` operator, with a bool tensor is not supported. "
                "If you are trying to invert a mask, use the `~` or `logical_not()` operator "
                "instead."
            )
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if need[0]:
                ga = np.where(np.equal(b, 0), zero, g * b * np.power(a, b - 1))
            if need[1]:
                cond = np.equal(a, 0) & np.greater_equal(b, 0)
                gb = np.where(cond, zero, g * y * np.log(a))
        return ga, gb


def _bool_array(v) -> bool:
    return isinstance(v, np.ndarray) and v.dtype == np.bool_


def _int_pow(a: np.ndarray, b) -> np.ndarray:
    """Integer power as torch's: a negative exponent of an integer tensor truncates
    (1 and -1 keep their value, others give 0); a negative Python exponent raises."""
    if np.isscalar(b) or np.ndim(b) == 0 and not isinstance(b, np.ndarray):
        if b < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return np.power(a, b)
    b = np.asarray(b)
    neg = b < 0
    y = np.power(a, np.where(neg, -b, b))
    trunc = np.where(a == 1, 1, np.where(a == -1, np.where(b % 2 == 0, 1, -1), 0))
    return np.where(neg, trunc.astype(y.dtype), y)


def as_float(x: np.ndarray) -> np.ndarray:
    """Integer and bool inputs of a floating function compute in float32, as torch's
    (the default dtype); float inputs pass unchanged."""
    return x.astype(np.float32) if x.dtype.kind in "biu" else x


def _unary(name, f, df, floating=True, saves="xy"):
    """Build a unary op; df(x, y, g) gives the input gradient. A ``floating`` op takes
    integer input to float32 (exp, log, sin, ...); the others keep the dtype (abs, sign).
    ``saves`` names what torch keeps for backward ("x" input, "y" output): only those are
    version-checked, so changing the other in place before backward is allowed, as torch."""

    def forward(ctx, x):
        if floating:
            x = as_float(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = f(x)
        ctx.save_for_backward(x if "x" in saves else None, y if "y" in saves else None)
        return y

    def backward(ctx, g):
        x, y = ctx.saved
        return (df(x, y, g),)

    return type(
        name,
        (Op,),
        {"forward": staticmethod(forward), "backward": staticmethod(backward), "__doc__": name},
    )


Exp = _unary("Exp", np.exp, lambda x, y, g: g * y, saves="y")
Log = _unary("Log", np.log, lambda x, y, g: g / x, saves="x")
Log1p = _unary("Log1p", np.log1p, lambda x, y, g: g / (1 + x), saves="x")
Sqrt = _unary("Sqrt", np.sqrt, lambda x, y, g: g / (2 * y), saves="y")
Rsqrt = _unary("Rsqrt", lambda x: 1 / np.sqrt(x), lambda x, y, g: -0.5 * g * y * y * y, saves="y")
Reciprocal = _unary("Reciprocal", lambda x: 1 / x, lambda x, y, g: -g * y * y, saves="y")
Sin = _unary("Sin", np.sin, lambda x, y, g: g * np.cos(x), saves="x")
Cos = _unary("Cos", np.cos, lambda x, y, g: -g * np.sin(x), saves="x")


def _abs(x):
    if x.dtype == np.bool_:
        raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
    return np.abs(x)


Abs = _unary("Abs", _abs, lambda x, y, g: g * np.sign(x), floating=False, saves="x")
Sign = _unary(
    "Sign",
    lambda x: (
        x.copy() if x.dtype == np.bool_ else np.sign(np.nan_to_num(x, nan=0.0, posinf=1, neginf=-1))
    ),
    lambda x, y, g: np.zeros_like(g),
    floating=False,
    saves="",
)


class Clamp(Op):
    """clamp(x, min, max) with scalar or tensor bounds that broadcast either way; where
    min > max the result is max. Gradients follow torch: x where min <= x <= max, min where
    x < min (and min < max), max where x > max (or max < min)."""

    @staticmethod
    def forward(ctx, x, lo=None, hi=None):
        for bound in (lo, hi):
            if bound is not None:
                check_broadcast(x, bound)
        ctx.save_for_backward(x, lo, hi)
        y = x if lo is None else np.maximum(x, lo)
        y = y if hi is None else np.minimum(y, hi)
        return np.array(y, dtype=np.result_type(y), copy=True)

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved
        need = ctx.needs_input_grad
        zero = np.zeros((), g.dtype)
        inside = True
        if lo is not None:
            inside = np.greater_equal(x, lo)
        if hi is not None:
            inside = np.logical_and(inside, np.less_equal(x, hi))
        gx = np.where(inside, g, zero) if need[0] else None
        glo = ghi = None
        if need[1]:
            below = np.less(x, lo)
            glo = np.where(below if hi is None else below & np.less(lo, hi), g, zero)
        if need[2]:
            above = np.greater(x, hi)
            ghi = np.where(above if lo is None else above | np.less(hi, lo), g, zero)
        return gx, glo, ghi


class Where(Op):
    """where(cond, a, b)."""

    @staticmethod
    def forward(ctx, cond, a, b):
        cond = np.asarray(cond, dtype=bool)
        check_broadcast(a, b)
        check_broadcast(cond, np.broadcast_to(a, np.broadcast_shapes(np.shape(a), np.shape(b))))
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


def _extreme_grads(g, a, b, need, a_loses, b_loses):
    """torch's maximum/minimum backward: a tie splits g in halves, the losing side gets 0,
    and where neither wins (NaN) both get all of g."""
    zero = np.zeros((), g.dtype)
    shared = np.where(np.equal(a, b), g / 2, g)
    ga = np.where(a_loses(a, b), zero, shared) if need[0] else None
    gb = np.where(b_loses(a, b), zero, shared) if need[1] else None
    return ga, gb


class Maximum(Op):
    """Elementwise max; ties share the gradient equally, as torch."""

    @staticmethod
    def forward(ctx, a, b):
        check_broadcast(a, b)
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        need = ctx.needs_input_grad
        return _extreme_grads(g, a, b, need, np.less, np.greater)


class Minimum(Op):
    @staticmethod
    def forward(ctx, a, b):
        check_broadcast(a, b)
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        need = ctx.needs_input_grad
        return _extreme_grads(g, a, b, need, np.greater, np.less)


class Cast(Op):
    """Change dtype; the gradient is cast back to the input's dtype."""

    ctx_attrs = ("src",)

    @staticmethod
    def forward(ctx, x, *, dtype):
        ctx.src = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        if g.dtype.kind not in "fc":  # a cast to an integer or bool type cuts the graph
            return (None,)
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
