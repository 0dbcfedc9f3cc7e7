"""The normal distribution's log-CDF and the inverse error functions (torch.special.log_ndtr,
erfinv, ndtri), on lamina's erf/erfc (ops/special.py) refined by Newton steps.

``log_erfc`` keeps relative accuracy far into the tail: up to x = 8 it uses lamina's erfc
fit in log form, beyond it the asymptotic series of x e^{x^2} erfc(x) (14 terms, error
below 1e-16 there). The inverses solve ``erf(x) = y`` near 0 and ``log erfc(x) = log c``
in the tails (c = 1 - |y| or 2p, exact in floating point where they are used), so
tail values keep their relative precision instead of losing it to 1 - y.
"""

from __future__ import annotations

import math

import numpy as np

from .special import _ERFC_LARGE, _HI, _LO, _horner, erf
from .special_fns import erfc, erfc_series, log_erfc_series

_SQRT_PI = math.sqrt(math.pi)


def log_erfc(x: np.ndarray) -> np.ndarray:
    """log(erfc(x)) without underflow for large x."""
    x = np.asarray(x, dtype=np.float64)
    out = np.full_like(x, np.nan)
    small = x <= 2.0
    with np.errstate(divide="ignore"):
        out[small] = np.log(erfc(x[small]))
    mid = ~small & (x <= 8.0)
    a = x[mid]
    u = np.clip(1.0 / (a * a), _LO, _HI)
    t = (u - _LO) * (2.0 / (_HI - _LO)) - 1.0
    out[mid] = -(a * a) - np.log(a) + np.log(_horner(_ERFC_LARGE, t))
    big = x > 8.0
    out[big] = log_erfc_series(x[big])
    return out


def erfcx(x: np.ndarray) -> np.ndarray:
    """exp(x^2) erfc(x) without overflow or underflow for large x (torch.special.erfcx)."""
    x = np.asarray(x, dtype=np.float64)
    out = np.full_like(x, np.nan)
    with np.errstate(over="ignore", invalid="ignore"):
        small = x <= 2.0
        xs = x[small]
        out[small] = np.exp(xs * xs) * erfc(xs)
        mid = (x > 2.0) & (x <= 8.0)
        a = x[mid]
        u = np.clip(1.0 / (a * a), _LO, _HI)
        t = (u - _LO) * (2.0 / (_HI - _LO)) - 1.0
        out[mid] = _horner(_ERFC_LARGE, t) / a
        big = x > 8.0
        a = x[big]
        out[big] = erfc_series(a) / (a * _SQRT_PI)
    return out


def log_ndtr(x: np.ndarray) -> np.ndarray:
    """log Phi(x) = log(erfc(-x / sqrt 2) / 2), accurate in both tails."""
    x = np.asarray(x, dtype=np.float64)
    z = -x / math.sqrt(2.0)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        # right tail: Phi = 1 - erfc(x/sqrt2)/2, and log1p keeps the tiny difference
        right = np.log1p(-0.5 * np.exp(log_erfc(-z)))
        return np.where(x > 1.0, right, log_erfc(z) - math.log(2.0))


def _inverse_erfc_tail(c: np.ndarray) -> np.ndarray:
    """x >= 0 with erfc(x) = c for c in (0, 1]; Newton on log erfc."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        logc = np.log(c)
        x = np.sqrt(np.maximum(-logc - 0.5 * np.log(np.maximum(-logc, 1e-300)), 0.0))
        for _ in range(8):
            le = log_erfc(x)
            # d/dx log erfc(x) = -2/sqrt(pi) e^{-x^2} / erfc(x) = -2/sqrt(pi) e^{-x^2 - le}
            slope = -2.0 / _SQRT_PI * np.exp(-(x * x) - le)
            x = np.maximum(x - (le - logc) / slope, 0.0)
    return np.where(c == 1.0, 0.0, np.where(c == 0.0, np.inf, x))


def _inverse_erf_center(y: np.ndarray) -> np.ndarray:
    """x with erf(x) = y for |y| <= 0.5 (Newton from the Maclaurin start)."""
    x = y * (_SQRT_PI / 2.0) * (1.0 + (math.pi / 12.0) * y * y)
    for _ in range(4):
        x = x - (erf(x) - y) / (2.0 / _SQRT_PI * np.exp(-(x * x)))
    return x


def erfinv(y: np.ndarray) -> np.ndarray:
    """Inverse of erf on [-1, 1]: ±inf at ±1, NaN outside (torch.special.erfinv)."""
    y = np.asarray(y, dtype=np.float64)
    a = np.abs(y)
    center = a <= 0.5
    out = np.empty_like(y)
    out[center] = _inverse_erf_center(y[center])
    tail = ~center & (a <= 1.0)
    out[tail] = np.copysign(_inverse_erfc_tail(1.0 - a[tail]), y[tail])
    out[a > 1.0] = np.nan
    out[np.isnan(y)] = np.nan
    return out


def ndtri(p: np.ndarray) -> np.ndarray:
    """Inverse of the standard normal CDF on [0, 1] (torch.special.ndtri)."""
    p = np.asarray(p, dtype=np.float64)
    out = np.full_like(p, np.nan)
    lo = (p >= 0) & (p <= 0.5)
    hi = (p > 0.5) & (p <= 1)
    root2 = math.sqrt(2.0)
    # Phi(x) = erfc(-x/sqrt2)/2: p <= 1/2 gives x = -sqrt2 erfcinv(2p), 2p exact
    with np.errstate(divide="ignore"):
        out[lo] = -root2 * _inverse_erfc_tail(2.0 * p[lo])
        out[hi] = root2 * _inverse_erfc_tail(2.0 * (1.0 - p[hi]))
    return out
