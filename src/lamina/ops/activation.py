"""Activation ops: forward and hand-written backward on plain arrays.

Every op keeps the input's float dtype and is finite for inputs as large as +-1e4 (no
overflow warnings). Options are keyword arguments so ``backward`` returns one gradient,
for the input array. torch equivalents are named in each docstring.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Op
from ._select import select
from .dims import wrap_dim
from .elementwise import as_float
from .gelu import gelu_f32
from .special import erf

_SQRT_2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def sigmoid_array(x: np.ndarray) -> np.ndarray:
    """Overflow-free logistic sigmoid of an array (torch.sigmoid)."""
    e = np.exp(-np.abs(x))  # in (0, 1], never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus_array(x: np.ndarray) -> np.ndarray:
    """log(1 + exp(x)) without overflow."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


class Sigmoid(Op):
    """y = 1 / (1 + exp(-x)) (torch.sigmoid)."""

    @staticmethod
    def forward(ctx, x):
        y = sigmoid_array(as_float(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return (grad * y * (1.0 - y),)


class Tanh(Op):
    """y = tanh(x) (torch.tanh)."""

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(as_float(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return (grad * (1.0 - y * y),)


class ReLU(Op):
    """y = max(x, 0); gradient 0 at x == 0 as torch.relu."""

    @staticmethod
    def forward(ctx, x):
        if x.dtype == np.bool_:
            raise RuntimeError("Boolean inputs not supported for relu")
        y = np.maximum(x, 0).astype(x.dtype, copy=False)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        # a select, not a product: an inf or NaN gradient stays out where x <= 0, as torch
        return (select(y > 0, grad),)


class LeakyReLU(Op):
    """y = x if x > 0 else slope * x (torch.nn.functional.leaky_relu)."""

    ctx_attrs = ("slope",)

    @staticmethod
    def forward(ctx, x, *, negative_slope=0.01):
        ctx.save_for_backward(x)
        ctx.slope = negative_slope
        return select(x > 0, x, x * negative_slope)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return (select(x > 0, grad, grad * ctx.slope),)


class ELU(Op):
    """y = x if x > 0 else alpha * (exp(x) - 1) (torch.nn.functional.elu)."""

    ctx_attrs = ("alpha",)

    @staticmethod
    def forward(ctx, x, *, alpha=1.0):
        neg = alpha * np.expm1(np.minimum(x, 0.0))
        ctx.save_for_backward(x, neg)
        ctx.alpha = alpha
        return np.where(x > 0, x, neg)

    @staticmethod
    def backward(ctx, grad):
        x, neg = ctx.saved
        return (np.where(x > 0, grad, grad * (neg + ctx.alpha)),)


class GELU(Op):
    """x * Phi(x), exact (erf) or ``approximate='tanh'`` (torch.nn.functional.gelu).

    float32 runs the fused kernels of ``ops.gelu`` (forward and derivative in one sweep;
    backward is one multiply); other dtypes the reference formulas with ``special.erf``.
    """

    ctx_attrs = ("approximate",)

    @staticmethod
    def forward(ctx, x, *, approximate="none"):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        ctx.approximate = approximate
        if x.dtype == np.float32:
            y, deriv = gelu_f32(x, approximate, ctx.needs_input_grad[0])
            ctx.save_for_backward(x, deriv)  # x kept for torch's in-place check only
            return y
        if approximate == "tanh":
            ctx.save_for_backward(x, None)
            inner = _SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)
            return 0.5 * x * (1.0 + np.tanh(inner))
        cdf = 0.5 * (1.0 + erf(x * (1.0 / _SQRT_2)))  # Phi(x)
        ctx.save_for_backward(x, cdf)
        return x * cdf

    @staticmethod
    def backward(ctx, grad):
        x, cdf = ctx.saved
        if x.dtype == np.float32:
            return (grad * cdf,)  # cdf holds the derivative here
        if ctx.approximate == "tanh":
            x2 = x * x
            t = np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x2 * x))
            dinner = _SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044715 * x2)
            return (grad * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * dinner),)
        with np.errstate(under="ignore"):
            pdf = _INV_SQRT_2PI * np.exp(-0.5 * x * x)
        return (grad * (cdf + x * pdf),)


class SiLU(Op):
    """y = x * sigmoid(x) (torch.nn.functional.silu)."""

    @staticmethod
    def forward(ctx, x):
        s = sigmoid_array(x)
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx, grad):
        x, s = ctx.saved
        return (grad * s * (1.0 + x * (1.0 - s)),)


class Softplus(Op):
    """y = log(1 + exp(beta x)) / beta, linear where beta x > threshold (torch softplus)."""

    ctx_attrs = ("threshold",)

    @staticmethod
    def forward(ctx, x, *, beta=1.0, threshold=20.0):
        bx = x * beta
        ctx.save_for_backward(bx)
        ctx.threshold = threshold
        return np.where(bx > threshold, x, _softplus_array(bx) / beta)

    @staticmethod
    def backward(ctx, grad):
        (bx,) = ctx.saved
        return (np.where(bx > ctx.threshold, grad, grad * sigmoid_array(bx)),)


def _float_kernel(x: np.ndarray, name: str) -> bool:
    """softmax/log_softmax have no integer kernel in torch (an empty input is let through)."""
    if x.dtype.kind not in "fc" and x.size:
        raise NotImplementedError(f'"{name}_lastdim_kernel_impl" not implemented for {x.dtype}')
    return x.dtype.kind in "fc"


class Softmax(Op):
    """Softmax along ``dim`` with the max subtracted (torch.softmax)."""

    ctx_attrs = ("dim",)

    @staticmethod
    def forward(ctx, x, *, dim=-1):
        if not _float_kernel(x, "softmax"):
            return x.copy()
        dim = wrap_dim(dim, x.ndim) if x.ndim else None
        e = np.exp(x - x.max(axis=dim, keepdims=True, initial=-np.inf))
        y = e / e.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return (y * (grad - (grad * y).sum(axis=ctx.dim, keepdims=True)),)


def log_softmax_array(x: np.ndarray, axis: int, with_softmax: bool = False):
    """x - logsumexp(x) along axis, max-subtracted so +-1e4 stays finite.

    With ``with_softmax`` also returns softmax(x) (reusing the exponentials).
    """
    # initial=-inf: a size-0 dim has no max (torch returns the empty result)
    shifted = x - x.max(axis=axis, keepdims=True, initial=-np.inf)
    with np.errstate(under="ignore"):
        e = np.exp(shifted)
    s = e.sum(axis=axis, keepdims=True)
    shifted -= np.log(s)
    if not with_softmax:
        return shifted
    e /= s
    return shifted, e


class LogSoftmax(Op):
    """log(softmax(x)) along ``dim`` (torch.log_softmax)."""

    ctx_attrs = ("dim",)

    @staticmethod
    def forward(ctx, x, *, dim=-1):
        if not _float_kernel(x, "log_softmax"):
            return x.copy()
        dim = wrap_dim(dim, x.ndim) if x.ndim else None
        y = log_softmax_array(x, dim)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return (grad - np.exp(y) * grad.sum(axis=ctx.dim, keepdims=True),)


def dropout_mask(shape: tuple, p: float, generator, dtype=np.float32) -> np.ndarray:
    """Keep-mask scaled by 1/(1-p): ``(u >= p) / (1 - p)`` with u ~ U[0, 1) from generator."""
    keep = generator.random(shape) >= p
    return keep.astype(dtype) * dtype(1.0 / (1.0 - p)) if p < 1 else np.zeros(shape, dtype)


class Dropout(Op):
    """Inverted dropout (torch.nn.functional.dropout).

    Zeroes each element with probability ``p`` and scales the rest by ``1 / (1 - p)``. The
    scaled keep-mask is passed in as ``mask`` (any shape that broadcasts to x, e.g.
    ``(N, C, 1, 1)`` for Dropout2d) or drawn from ``generator`` (a numpy Generator).
    In eval mode or with ``p == 0`` it is the identity. The mask used is ``ctx.mask``.
    """

    ctx_attrs = ("mask",)

    @staticmethod
    def forward(ctx, x, *, p=0.5, training=True, mask=None, generator=None):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        ctx.mask = None
        if not training or p == 0.0:
            return x.copy()
        if mask is None:
            if generator is None:
                raise ValueError("Dropout: pass a mask or a numpy Generator, got neither")
            mask = dropout_mask(x.shape, p, generator, x.dtype.type)
        ctx.mask = mask.astype(x.dtype, copy=False)
        return x * ctx.mask

    @staticmethod
    def backward(ctx, grad):
        return (grad if ctx.mask is None else grad * ctx.mask,)
