"""More activations of torch.nn.functional: the hard (piecewise linear) family, SELU/CELU,
Mish, softsign, tanhshrink, log-sigmoid, GLU, softmin and threshold."""

from __future__ import annotations

from ...ops import activation_hard as H
from ...tensor import Tensor, apply
from .activation import _t, elu, floating, softmax, softplus

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """clamp(x, min_val, max_val) (torch.nn.functional.hardtanh)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    x = _t(input)
    if x.dtype == bool:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    return apply(H.Hardtanh, x, lo=min_val, hi=max_val)


def relu6(input, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) (torch.nn.functional.relu6)."""
    return hardtanh(input, 0.0, 6.0)


def hardswish(input, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6 (torch.nn.functional.hardswish)."""
    return apply(H.Hardswish, floating(input, "hardswish_cpu"))


def hardsigmoid(input, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6 (torch.nn.functional.hardsigmoid)."""
    return apply(H.Hardsigmoid, floating(input, "hardsigmoid_cpu"))


def logsigmoid(input) -> Tensor:
    """log(sigmoid(x)), computed stably (torch.nn.functional.logsigmoid)."""
    return apply(H.LogSigmoid, floating(input, "log_sigmoid_cpu"))


def selu(input, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with torch's constants (torch.nn.functional.selu)."""
    return elu(floating(input, "elu_cpu"), _SELU_ALPHA) * _SELU_SCALE


def celu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (exp(x / alpha) - 1) (torch.nn.functional.celu)."""
    x = floating(input, "elu_cpu")
    neg = ((x.clamp(max=0) / alpha).exp() - 1) * alpha  # clamped: no overflow where x > 0
    return x.where(x > 0, neg)


def mish(input, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x)) (torch.nn.functional.mish)."""
    x = floating(input, "mish_cpu")
    return x * softplus(x).tanh()


def softsign(input) -> Tensor:
    """x / (1 + |x|) (torch.nn.functional.softsign)."""
    x = _t(input)
    return x / (x.abs() + 1)


def tanhshrink(input) -> Tensor:
    """x - tanh(x) (torch.nn.functional.tanhshrink)."""
    x = _t(input)
    return x - x.tanh()


def glu(input, dim: int = -1) -> Tensor:
    """a * sigmoid(b) for the halves a, b of ``dim`` (torch.nn.functional.glu)."""
    x = _t(input)
    if x.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = x._dim(dim)
    if x.shape[d] % 2:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {d} is size {x.shape[d]}"
        )
    a, b = x.chunk(2, d) if x.shape[d] else (x, x)
    return a * b.sigmoid()


def softmin(input, dim=None, dtype=None) -> Tensor:
    """softmax(-x) (torch.nn.functional.softmin)."""
    return softmax(-_t(input), dim, dtype=dtype)


def threshold(input, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else value (torch.nn.functional.threshold)."""
    x = _t(input)
    if x.dtype == bool:
        raise NotImplementedError("\"threshold_cpu\" not implemented for 'Bool'")
    return x.where(~(x <= threshold), value)  # NaN stays NaN, as torch
