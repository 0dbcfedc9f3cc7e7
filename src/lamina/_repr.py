"""Tensor's repr as torch formats it: ``tensor([1.0000, 2.5000], requires_grad=True)``."""

from __future__ import annotations

import numpy as np

_PLAIN = (np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_))


def _float_formatter(arr: np.ndarray):
    """torch's choice: integers as ``1.``, else 4 decimals, or 4-digit scientific notation
    when the finite non-zero magnitudes span more than 1e3 or leave [1e-4, 1e8]."""
    finite = np.abs(arr[np.isfinite(arr)]).astype(np.float64)
    nonzero = finite[finite != 0]
    if np.all(np.ceil(nonzero) == nonzero):  # all zeros too: torch prints ``0.``
        if nonzero.size and nonzero.max() > 1e8:
            return lambda v: f"{v:.4e}"
        return lambda v: f"{v:.0f}." if np.isfinite(v) else f"{v}"
    if nonzero.size:
        big, small = nonzero.max(), nonzero.min()
        if big / small > 1e3 or big > 1e8 or small < 1e-4:
            return lambda v: f"{v:.4e}"
    return lambda v: f"{v:.4f}" if np.isfinite(v) else f"{v}"


def _body(arr: np.ndarray) -> str:
    fmt = {}
    if arr.dtype.kind == "f" and arr.size:
        f = _float_formatter(arr)
        width = max(len(f(v)) for v in arr.reshape(-1)[:1000])
        fmt["float_kind"] = lambda v: f(v).rjust(width)
    if arr.dtype == np.bool_:
        width = 5 if not arr.all() else 4
        fmt["bool"] = lambda v: ("True" if v else "False").rjust(width)
    return np.array2string(
        arr,
        separator=", ",
        prefix="tensor(",
        threshold=1000,
        edgeitems=3,
        max_line_width=80,
        formatter=fmt or None,
    )


def tensor_repr(t) -> str:
    """``tensor(values[, size=...][, dtype=...][, grad_fn=... | requires_grad=True])``."""
    arr = t._data
    extra = ""
    if arr.size == 0 and arr.ndim > 1:
        extra += f", size={tuple(arr.shape)}"
    if arr.dtype not in _PLAIN:
        extra += f", dtype=lamina.{arr.dtype}"
    if t._ctx is not None:
        extra += f", grad_fn=<{t._ctx.name()}>"
    elif t.requires_grad:
        extra += ", requires_grad=True"
    return f"tensor({_body(arr)}{extra})"
