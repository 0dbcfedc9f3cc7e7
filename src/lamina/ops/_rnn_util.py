"""Helpers of the fused recurrent ops in ``rnn.py``: fast gates, batch layout, shapes, grads."""

from __future__ import annotations

import numpy as np

from ._parallel import matmul


def _sigmoid_from_neg_(a):
    """In place: a holds -z; becomes sigmoid(z) = 1 / (1 + exp(-z))."""
    np.exp(a, out=a)
    a += 1
    np.divide(1, a, out=a)
    return a


def _tanh_into(z, out):
    """out = tanh(z) = 2 / (1 + exp(-2z)) - 1 (exp is faster than np.tanh)."""
    np.multiply(z, -2, out=out)
    _sigmoid_from_neg_(out)
    out *= 2
    out -= 1
    return out


class _Layout:
    """Maps (T, N, ...) arrays between the caller's order and the internal one.

    Internally the batch is sorted by decreasing length and, for ``reverse``, each
    sequence is flipped within its own length, so that the loop always runs forwards and
    step ``t`` touches only the first ``bs[t]`` rows.
    """

    def __init__(self, T: int, N: int, lengths, reverse: bool, where: str):
        self.T, self.N, self.reverse = T, N, bool(reverse)
        self.perm = self.tidx = None
        if lengths is None:
            self.bs = [N] * T
            return
        L = np.asarray(lengths)
        if L.shape != (N,) or L.dtype.kind not in "iu":
            raise ValueError(
                f"{where}: lengths must be an integer array of shape ({N},), "
                f"got dtype {L.dtype} shape {L.shape}"
            )
        if N and (L.min() < 0 or L.max() > T):
            raise ValueError(f"{where}: lengths must lie in [0, {T}] (T), got {L.tolist()}")
        perm = np.argsort(-L, kind="stable")
        Ls = L[perm]
        if not np.array_equal(perm, np.arange(N)):
            self.perm = perm
        self.bs = [int(b) for b in (Ls[None, :] > np.arange(T)[:, None]).sum(axis=1)]
        if self.reverse and not np.all(Ls == T):
            t = np.arange(T)[:, None]
            self.tidx = np.where(t < Ls[None, :], Ls[None, :] - 1 - t, t)  # (T, N)

    def seq_in(self, a):
        """(T, N, ...) caller order -> internal order (contiguous)."""
        if self.tidx is not None:
            cols = self.perm if self.perm is not None else np.arange(self.N)
            return a[self.tidx, cols[None, :]]
        if self.perm is not None:
            a = a[:, self.perm]
        return np.ascontiguousarray(a[::-1] if self.reverse else a)

    def seq_out(self, a):
        """(T, N, ...) internal order -> caller order."""
        if self.tidx is not None:
            a = a[self.tidx, np.arange(self.N)[None, :]]
        elif self.reverse:
            a = a[::-1]
        if self.perm is None:
            return np.ascontiguousarray(a)
        out = np.empty_like(a)
        out[:, self.perm] = a
        return out

    def batch_in(self, h):
        return h[self.perm] if self.perm is not None else h.copy()

    def batch_out(self, h):
        if self.perm is None:
            return h
        out = np.empty_like(h)
        out[self.perm] = h
        return out

    def zero_inactive(self, out):
        """Zero the outputs of steps past each sequence's length (internal order)."""
        for t, b in enumerate(self.bs):
            if b < self.N:
                out[t, b:] = 0
        return out


def _check(where, x, hs0, w_ih, w_hh, b_ih, b_hh, gates):
    """Validate shapes; returns (T, N, I, H)."""
    if x.ndim != 3:
        raise ValueError(f"{where}: x must be (T, N, input_size), got shape {x.shape}")
    T, N, I = x.shape
    H = w_hh.shape[-1]
    want = {"w_ih": (gates * H, I), "w_hh": (gates * H, H), "b_ih": (gates * H,)}
    want["b_hh"] = want["b_ih"]
    for name, arr in (("w_ih", w_ih), ("w_hh", w_hh), ("b_ih", b_ih), ("b_hh", b_hh)):
        if arr is not None and arr.shape != want[name]:
            raise ValueError(f"{where}: {name} must have shape {want[name]}, got {arr.shape}")
    for name, h in hs0:
        if h is not None and h.shape != (N, H):
            raise ValueError(f"{where}: {name} must have shape {(N, H)}, got {h.shape}")
    return T, N, I, H


def _project(xs, w_ih, b_ih, b_hh, scale):
    """Input projection of all steps at once: (T, N, I) -> (T, N, G*H), rows scaled."""
    T, N, I = xs.shape
    pre = matmul(xs.reshape(T * N, I), (w_ih * scale[:, None]).T)
    bias = [b for b in (b_ih, b_hh) if b is not None]
    if bias:
        pre += (bias[0] + bias[1] if len(bias) == 2 else bias[0]) * scale
    return pre.reshape(T, N, -1)


def _init_state(h0, N, H, dtype, lay):
    return np.zeros((N, H), dtype) if h0 is None else lay.batch_in(h0).astype(dtype, copy=False)


def _param_grads(ctx, dg_x, dg_h, xs, hprev, w_ih, first):
    """dx, dw_ih, dw_hh, db_ih, db_hh from the stacked pre-activation grads.

    dg_x (T*N, G*H) is the grad of the input pre-activations, dg_h that of the hidden
    ones (the same array except for GRU); xs (T, N, I), hprev (T, N, H) internal order.
    first is the index of w_ih among the positional arguments.
    """
    need = ctx.needs_input_grad
    T, N, I = xs.shape

    dx = matmul(dg_x, w_ih).reshape(T, N, I) if need[0] else None
    dw_ih = matmul(dg_x.T, xs.reshape(T * N, I)) if need[first] else None
    dw_hh = matmul(dg_h.T, hprev.reshape(T * N, -1)) if need[first + 1] else None
    db_ih = dg_x.sum(axis=0) if need[first + 2] else None
    db_hh = dg_h.sum(axis=0) if need[first + 3] else None
    return dx, dw_ih, dw_hh, db_ih, db_hh


def _gate_scale(H, signs, dtype):
    """(len(signs)*H,) per-row scale folded into the weights (see module docstring)."""
    return np.repeat(np.asarray(signs, dtype=dtype), H)
