"""lamina.special: torch.special's functions that NumPy computes exactly, with gradients.

erf and erfc reuse lamina's own vectorised erf (ops/special.py); ndtr is built on it.
"""

from __future__ import annotations

import math

import numpy as np

from .ops import special_fns as SF
from .tensor import Tensor, apply, promote

__all__ = [
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "ndtr",
    "ndtri",
    "round",
    "sinc",
    "softmax",
    "xlog1py",
    "xlogy",
]


def _f(x) -> Tensor:
    """A float Tensor: ints go to float32 as torch's float functions take them."""
    x = x if isinstance(x, Tensor) else Tensor._wrap(np.asarray(x))
    return x if x.dtype.kind == "f" else x.astype(np.float32)


def expit(input: Tensor) -> Tensor:
    """Logistic sigmoid (torch.special.expit)."""
    return _f(input).sigmoid()


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """log(p / (1 - p)), p clamped to [eps, 1 - eps] when eps is given (torch.special.logit)."""
    x = _f(input)
    if eps is not None:
        x = x.clamp(eps, 1 - eps)
    return (x / (1 - x)).log()


def log1p(input: Tensor) -> Tensor:
    """log(1 + x) (torch.special.log1p)."""
    return _f(input).log1p()


def expm1(input: Tensor) -> Tensor:
    """exp(x) - 1 (torch.special.expm1)."""
    return apply(SF.Expm1, _f(input))


def exp2(input: Tensor) -> Tensor:
    """2 ** x (torch.special.exp2)."""
    x = _f(input)
    return (x * math.log(2.0)).exp()


def sinc(input: Tensor) -> Tensor:
    """Normalised sinc, sin(pi x) / (pi x) (torch.special.sinc)."""
    return apply(SF.Sinc, _f(input))


def entr(input: Tensor) -> Tensor:
    """Elementwise entropy -x log x (torch.special.entr)."""
    return apply(SF.Entr, _f(input))


def erf(input: Tensor) -> Tensor:
    """The error function (torch.special.erf)."""
    return apply(SF.Erf, _f(input))


def erfc(input: Tensor) -> Tensor:
    """1 - erf(x), accurate in the tail (torch.special.erfc)."""
    return apply(SF.Erf, _f(input), complement=True)


def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF (torch.special.ndtr)."""
    x = _f(input)
    return erfc(x * (-1.0 / math.sqrt(2.0))) * 0.5


def log_ndtr(input: Tensor) -> Tensor:
    """log of the standard normal CDF, accurate far into both tails (torch.special.log_ndtr)."""
    return apply(SF.InverseLike, _f(input), which="log_ndtr")


def erfcx(input: Tensor) -> Tensor:
    """Scaled complementary error function exp(x^2) erfc(x) (torch.special.erfcx)."""
    return apply(SF.InverseLike, _f(input), which="erfcx")


def erfinv(input: Tensor) -> Tensor:
    """Inverse error function on [-1, 1] (torch.special.erfinv)."""
    return apply(SF.InverseLike, _f(input), which="erfinv")


def ndtri(input: Tensor) -> Tensor:
    """Inverse of the standard normal CDF (torch.special.ndtri)."""
    return apply(SF.InverseLike, _f(input), which="ndtri")


def _pair(x, y):
    x = x if isinstance(x, Tensor) else Tensor._wrap(np.asarray(x))
    y = y if isinstance(y, Tensor) else Tensor._wrap(np.asarray(y))
    if x.dtype.kind != "f" and y.dtype.kind != "f":
        x = x.astype(np.float32)
    return promote(x, y)


def xlogy(input, other) -> Tensor:
    """x * log(y), 0 where x == 0 (torch.special.xlogy)."""
    return apply(SF.XLogY, *_pair(input, other))


def xlog1py(input, other) -> Tensor:
    """x * log1p(y), 0 where x == 0 (torch.special.xlog1py)."""
    return apply(SF.XLogY, *_pair(input, other), log1p=True)


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """Round half to even (torch.special.round)."""
    return apply(SF.Round, input, decimals=decimals)


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))) along dim (torch.special.logsumexp)."""
    return input.logsumexp(dim, keepdim)


def softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Softmax along dim (torch.special.softmax)."""
    return input.softmax(dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Log-softmax along dim (torch.special.log_softmax)."""
    return input.log_softmax(dim, dtype=dtype)


def __getattr__(name: str):
    """torch.special names lamina lacks say why, instead of a bare AttributeError."""
    if not name.startswith("_"):
        raise AttributeError(
            f"lamina.special has no {name!r} (torch.special.{name}): lamina.special holds the "
            f"functions NumPy computes exactly ({', '.join(__all__)})"
        )
    raise AttributeError(f"module 'lamina.special' has no attribute {name!r}")
