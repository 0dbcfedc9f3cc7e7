"""Run one snippet under lamina and under torch 2.13 and compare what it leaves behind.

``outcome(fn)`` calls ``fn(T)`` with ``T`` each module; ``fn`` returns a dict of named
tensors (values read after the snippet ran, so aliasing shows), or raises. ``same(fn)``
asserts both libraries return the same names, shapes, dtypes and values (and gradients,
for the entries named ``grad:...``), or raise the same builtin exception type.
"""

from __future__ import annotations

import numpy as np

import lamina
from tests.oracle import torch


def _np(t):
    if t is None:
        return None
    if hasattr(t, "detach"):
        return np.array(t.detach().numpy(), copy=True)
    return np.asarray(t)


def _builtin(exc_type):
    for k in exc_type.__mro__:
        if k.__module__ == "builtins":
            return k
    return Exception


def outcome(fn, T):
    """(exception type or None, {name: (shape, dtype name, array)}) of ``fn(T)``."""
    try:
        out = fn(T)
    except Exception as e:  # noqa: BLE001 - the type is the outcome
        return _builtin(type(e)), {}
    vals = {}
    for k, v in out.items():
        a = _np(v)
        dtype = None if a is None else str(a.dtype)
        vals[k] = None if a is None else (a.shape, dtype, a)
    return None, vals


def same(fn, rtol=1e-5, atol=1e-6):
    """lamina and torch agree on ``fn``: same exception type, or the same named results."""
    (le, lv), (te, tv) = outcome(fn, lamina), outcome(fn, torch)
    assert le == te, f"lamina raised {le}, torch raised {te}"
    assert lv.keys() == tv.keys()
    for k in tv:
        if tv[k] is None or lv[k] is None:
            assert lv[k] is None and tv[k] is None, f"{k}: lamina {lv[k]}, torch {tv[k]}"
            continue
        (ls, ld, la), (ts, td, ta) = lv[k], tv[k]
        assert ls == ts and ld == td, f"{k}: lamina {ls} {ld}, torch {ts} {td}"
        np.testing.assert_allclose(la, ta, rtol=rtol, atol=atol, err_msg=k, equal_nan=True)
    return le, tv
