"""Optional compiled kernels (numba) for the data movement NumPy does in several passes.

The ``fast`` extra (``pip install lamina[fast]``, i.e. numba) turns them on; without numba
every op runs its pure-NumPy path, which stays the reference and the default-correct one.
Nothing here imports numba at ``import lamina``: :func:`kernels` imports and compiles the
kernels on first use (``cache=True`` keeps the machine code on disk, so later processes
skip most of the compile).

The switch is a function call, not an environment variable (DESIGN.md)::

    import lamina.ops.fast as fast
    fast.set_enabled(False)   # force the NumPy path everywhere
    fast.use(x)               # what an op asks: compiled kernels for this array?

Kernels (in ``_kernels.py`` and the modules it imports): col2im in one pass (NumPy does
kh*kw strided adds), max pooling forward (max and torch's flat index in one pass) and its
backward scatter (NumPy: ``np.add.at``); float32 GELU's value and derivative in one
vectorised pass (``_gelu.py``; NumPy makes ~25: 0.6-0.9 ms instead of 2.9 ms for a GPT
block's 768 x 512); LayerNorm's rows in two passes each way (``_norm.py``). Each takes and
returns plain ndarrays; ops choose them through :func:`use` and fall back to NumPy for
anything else (other dtypes, array modules). Measured and left
out: a numba im2col (2x slower than NumPy's strided copy, fused padding or not).
"""

from __future__ import annotations

import importlib.util

import numpy as np

from ... import _state as _global_state

__all__ = ["available", "is_enabled", "kernels", "set_enabled", "use"]

_state = _global_state.fast  # {"enabled", "available", "kernels"}


def available() -> bool:
    """Whether numba can be imported (looked up once, without importing it)."""
    if _state["available"] is None:
        _state["available"] = importlib.util.find_spec("numba") is not None
    return _state["available"]


def set_enabled(enabled: bool) -> None:
    """Turn the compiled kernels on or off for the whole process (on by default).

    Raises:
        TypeError: if ``enabled`` is not a bool.
    """
    if not isinstance(enabled, bool):
        raise TypeError(f"fast.set_enabled: expected a bool, got {enabled!r}")
    _state["enabled"] = enabled


def is_enabled() -> bool:
    """Whether ops will use the compiled kernels (enabled and numba importable)."""
    return _state["enabled"] and available()


def use(*arrays) -> bool:
    """Whether an op should run its compiled kernel on these arrays.

    True when the kernels are enabled, numba is importable and every array is a NumPy
    float32/float64 ndarray (other array modules and dtypes keep the NumPy path).
    """
    if not (_state["enabled"] and available()):
        return False
    for a in arrays:
        if type(a) is not np.ndarray or a.dtype not in (np.float32, np.float64):
            return False
    return True


def kernels():
    """The compiled-kernel module, imported (and compiled or loaded from cache) on first use."""
    if _state["kernels"] is None:
        from . import _kernels

        _state["kernels"] = _kernels
    return _state["kernels"]
