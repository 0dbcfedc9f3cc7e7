"""Parameter initialisation with torch's fan rules (torch.nn.init). All act in place."""

from __future__ import annotations

import math

import numpy as np

from ..random import default_rng

_GAINS = {
    "linear": 1.0,
    "identity": 1.0,
    "sigmoid": 1.0,
    "tanh": 5.0 / 3,
    "relu": math.sqrt(2.0),
    "selu": 3.0 / 4,
}
for _c in ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d"):
    _GAINS[_c] = 1.0


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain."""
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity not in _GAINS:
        raise ValueError(
            f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; "
            f"expected one of {sorted(_GAINS) + ['leaky_relu']}"
        )
    return _GAINS[nonlinearity]


def _calculate_fan_in_and_fan_out(t):
    shape = t.shape
    if len(shape) < 2:
        raise ValueError(f"fan in/out needs a tensor with at least 2 dims, got shape {shape}")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _fan(t, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode {mode!r} must be 'fan_in' or 'fan_out'")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    return fan_in if mode == "fan_in" else fan_out


def _fill(t, arr):
    t._data[...] = arr
    return t


def _float(t):
    """Draw in the tensor's own float type: no float64 temporary for float32 weights."""
    return t._data.dtype if t._data.dtype in (np.float32, np.float64) else np.dtype(np.float64)


def uniform_(t, a: float = 0.0, b: float = 1.0):
    dt = _float(t)
    u = default_rng().random(t.shape, dtype=dt)
    u *= b - a  # in place: stays in the tensor's dtype
    u += a
    return _fill(t, u)


def normal_(t, mean: float = 0.0, std: float = 1.0):
    z = default_rng().standard_normal(t.shape, dtype=_float(t))
    z *= std
    z += mean
    return _fill(t, z)


def trunc_normal_(t, mean=0.0, std=1.0, a=-2.0, b=2.0):
    rng = default_rng()
    out = rng.normal(mean, std, t.shape)
    bad = (out < a) | (out > b)
    while bad.any():
        out[bad] = rng.normal(mean, std, int(bad.sum()))
        bad = (out < a) | (out > b)
    return _fill(t, out)


def constant_(t, val: float):
    return _fill(t, val)


def zeros_(t):
    return _fill(t, 0)


def ones_(t):
    return _fill(t, 1)


def eye_(t):
    if t.ndim != 2:
        raise ValueError(f"eye_ needs a 2-D tensor, got shape {t.shape}")
    return _fill(t, np.eye(*t.shape))


def xavier_uniform_(t, gain: float = 1.0):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -a, a)


def xavier_normal_(t, gain: float = 1.0):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform_(t, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"):
    fan = _fan(t, mode)
    if fan == 0:
        return t
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(t, -bound, bound)


def kaiming_normal_(t, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"):
    fan = _fan(t, mode)
    return normal_(t, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan))


def orthogonal_(t, gain: float = 1.0):
    """A (semi-)orthogonal matrix from the QR of a Gaussian, as torch."""
    if t.ndim < 2:
        raise ValueError(f"orthogonal_ needs at least 2 dims, got shape {t.shape}")
    rows = t.shape[0]
    cols = int(np.prod(t.shape[1:]))
    flat = default_rng().normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(t, gain * q.reshape(t.shape))
