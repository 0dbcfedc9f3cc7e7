"""Ops behind in-place updates recorded by autograd (``x[key] = v`` on a tensor with history).

The Tensor layer runs them out of place on a copy of the old values and writes the result
back into the tensor's memory, so aliases see the change and the graph stays a DAG.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from .index import put, take


def assign(arr: np.ndarray, key, value) -> None:
    """arr[key] = value, with torch's error type (RuntimeError) for a shape that does not
    broadcast into the slice."""
    try:
        put(arr, key, value)
        return
    except (ValueError, TypeError) as e:  # TypeError: NumPy's message for a bool mask
        err = e
    value = np.asarray(value)
    extra = value.ndim - np.ndim(take(arr, key))
    if extra > 0 and all(n == 1 for n in value.shape[:extra]):  # torch drops leading 1s
        try:
            put(arr, key, value.reshape(value.shape[extra:]))
            return
        except ValueError as e:
            err = e
    raise RuntimeError(f"setitem: {err} (the value must broadcast to the indexed shape)")


class SetItem(Op):
    """out = x with out[key] = v (torch's index_put_/copy_ into a slice, out of place).

    The gradient reaches the elements of x that were not overwritten, and v (summed back to
    v's shape by the engine when v was broadcast into the slice).
    """

    ctx_attrs = ("key", "v_shape")

    @staticmethod
    def forward(ctx, x, v, *, key):
        ctx.key, ctx.v_shape = key, np.shape(v)
        out = x.copy()
        assign(out, key, v)
        return out

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        gx = gv = None
        if need[0]:
            gx = np.array(g, copy=True)  # g may be a NumPy scalar (a 0-d output)
            put(gx, ctx.key, 0)
        if need[1]:
            gv = take(g, ctx.key)
        return gx, gv


def _addresses(arr: np.ndarray, start: int) -> np.ndarray:
    """Byte offset from ``start`` of every element of ``arr`` (shape of arr)."""
    out = np.full(arr.shape, arr.__array_interface__["data"][0] - start, np.int64)
    for k, (n, st) in enumerate(zip(arr.shape, arr.strides)):
        shape = [1] * arr.ndim
        shape[k] = n
        out = out + (np.arange(n, dtype=np.int64) * st).reshape(shape)
    return out


def view_positions(base: np.ndarray, view: np.ndarray):
    """C-order flat indices into ``base`` of the elements of ``view`` (a NumPy view sharing
    base's memory), shape of view; None when some element lies outside base's elements.

    torch replays a view's strides on its base (as_strided) to route an in-place op on the
    view into the base's history; this is the same mapping, from the arrays' addresses.
    """
    start = base.__array_interface__["data"][0]
    flat = _addresses(base, start).ravel()
    want = _addresses(view, start).ravel()
    order = np.argsort(flat, kind="stable")
    srt = flat[order]
    at = np.searchsorted(srt, want)
    if want.size and (at.max() >= srt.size or np.any(srt[np.minimum(at, srt.size - 1)] != want)):
        return None
    return order[at].reshape(view.shape) if want.size else np.zeros(view.shape, np.int64)
