"""Fused whole-sequence recurrent ops: one layer, one direction (torch.nn.LSTM/GRU/RNN internals).

Each op runs a whole sequence ``x (T, N, I)`` through one recurrent layer and returns
``(out (T, N, H), h_n (N, H))`` (LSTM also ``c_n``), with torch's gate orders
(LSTM i, f, g, o; GRU r, z, n). The input projection of all timesteps is one GEMM; the
loop over time does one small GEMM and a few vectorised NumPy ufuncs per step; backward
precomputes every factor that does not depend on the recurrence over all steps at once,
keeps its own loop tight, and forms ``dW_hh`` and ``dW_ih`` with one GEMM each over the
stacked steps.

Sigmoid and tanh go through ``exp`` (``sigmoid(a) = 1 / (1 + exp(-a))``,
``tanh(a) = 2 sigmoid(2a) - 1``): NumPy's ``exp`` is about twice as fast as its ``tanh``,
and folding the ``-1``/``-2`` into scaled copies of the weights makes one ``exp`` cover all
gates of a step.

Variable lengths (``lengths (N,)``, any order): for ``t >= lengths[n]`` the state of
sequence ``n`` is carried unchanged and its output is 0, as with torch's packed sequences;
with ``reverse=True`` each sequence starts at its own last step. Internally the batch is
sorted by decreasing length so that step ``t`` works on the first ``bs[t]`` rows only.

Backward returns one gradient per positional argument of forward (the trailing
``lengths``/``reverse`` get None).
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ._parallel import matmul
from ._rnn_util import (
    _check,
    _gate_scale,
    _init_state,
    _Layout,
    _param_grads,
    _project,
    _sigmoid_from_neg_,
    _tanh_into,
)

__all__ = ["LSTMFunction", "GRUFunction", "RNNTanhFunction", "RNNReluFunction"]


# ----------------------------------------------------------------------------- LSTM


def _lstm_loop(pre, h0, c0, whT, bs):
    """Forward recurrence; pre (T, N, 4H) is turned into gate activations in place."""
    T, N, G = pre.shape
    H = G // 4
    hs = np.empty((T + 1, N, H), pre.dtype)  # hs[t] = h_{t-1}
    cs = np.empty((T + 1, N, H), pre.dtype)
    tc = np.zeros((T, N, H), pre.dtype)  # tanh(c_t)
    hs[0], cs[0] = h0, c0
    tmp, tmp_h = np.empty((N, G), pre.dtype), np.empty((N, H), pre.dtype)
    for t in range(T):
        b = bs[t]
        if b < N:  # finished sequences carry their state
            hs[t + 1, b:], cs[t + 1, b:] = hs[t, b:], cs[t, b:]
        if b == 0:
            continue
        a = pre[t, :b]  # (b, 4H), holds -a_i, -a_f, -2 a_g, -a_o
        a += matmul(hs[t, :b], whT, out=tmp[:b])
        _sigmoid_from_neg_(a)
        g = a[:, 2 * H : 3 * H]
        g *= 2
        g -= 1  # tanh(a_g)
        c = cs[t + 1, :b]
        np.multiply(a[:, H : 2 * H], cs[t, :b], out=c)
        c += np.multiply(a[:, :H], g, out=tmp_h[:b])
        _tanh_into(c, tc[t, :b])
        np.multiply(a[:, 3 * H :], tc[t, :b], out=hs[t + 1, :b])
    return hs, cs, tc


def _lstm_back_loop(acts, cs, tc, dout, dh, dc, w_hh, bs):
    """Backward recurrence; returns dG (T, N, 4H) and updates dh, dc (N, H) in place."""
    T, N, G = acts.shape
    H = G // 4
    a4 = acts.reshape(T, N, 4, H)
    i, f, g, o = a4[:, :, 0], a4[:, :, 1], a4[:, :, 2], a4[:, :, 3]
    # Factors independent of the recurrence, for all steps at once.
    P = np.empty((T, N, 4, H), acts.dtype)
    np.multiply(g, i * (1 - i), out=P[:, :, 0])  # d c / d a_i
    np.multiply(cs[:-1], f * (1 - f), out=P[:, :, 1])  # d c / d a_f
    np.multiply(i, 1 - g * g, out=P[:, :, 2])  # d c / d a_g
    np.multiply(tc, o * (1 - o), out=P[:, :, 3])  # d h / d a_o
    A = o * (1 - tc * tc)  # d h / d c
    dG = np.zeros((T, N, 4, H), acts.dtype)
    for t in range(T - 1, -1, -1):
        b = bs[t]
        if b == 0:
            continue
        dht, dct = dh[:b], dc[:b]
        dht += dout[t, :b]
        dct += dht * A[t, :b]
        dg = dG[t, :b]  # (b, 4, H)
        np.multiply(dct[:, None, :], P[t, :b, :3], out=dg[:, :3])
        np.multiply(dht, P[t, :b, 3], out=dg[:, 3])
        dct *= f[t, :b]
        matmul(dg.reshape(b, G), w_hh, out=dht)
    return dG.reshape(T * N, G)


class LSTMFunction(Op):
    """One LSTM layer over a whole sequence (torch.nn.LSTM, one layer and direction).

    forward(x (T, N, I), h0 (N, H) | None, c0 (N, H) | None, w_ih (4H, I), w_hh (4H, H),
    b_ih (4H,) | None, b_hh (4H,) | None, lengths (N,) | None, reverse=False)
    -> (out (T, N, H), h_n (N, H), c_n (N, H)); gates i, f, g, o as in torch.
    """

    ctx_attrs = ("lay",)

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, *, lengths=None, reverse=False):
        hs0 = (("h0", h0), ("c0", c0))
        T, N, I, H = _check("LSTMFunction", x, hs0, w_ih, w_hh, b_ih, b_hh, 4)
        lay = _Layout(T, N, lengths, reverse, "LSTMFunction")
        xs = lay.seq_in(x)
        scale = _gate_scale(H, (-1, -1, -2, -1), w_hh.dtype)
        with np.errstate(over="ignore"):
            acts = _project(xs, w_ih, b_ih, b_hh, scale)
            h0s = _init_state(h0, N, H, acts.dtype, lay)
            c0s = _init_state(c0, N, H, acts.dtype, lay)
            hs, cs, tc = _lstm_loop(acts, h0s, c0s, (w_hh * scale[:, None]).T, lay.bs)
        if any(ctx.needs_input_grad):  # nothing to keep for inference
            ctx.save_for_backward(xs, hs, cs, tc, acts, w_ih, w_hh)
        ctx.lay = lay
        out = lay.zero_inactive(hs[1:].copy())
        return lay.seq_out(out), lay.batch_out(hs[T].copy()), lay.batch_out(cs[T].copy())

    @staticmethod
    def backward(ctx, dout, dh_n, dc_n):
        xs, hs, cs, tc, acts, w_ih, w_hh = ctx.saved
        lay = ctx.lay
        T, N, H = tc.shape
        dout = np.zeros_like(tc) if dout is None else lay.seq_in(dout)
        dh = np.zeros((N, H), tc.dtype) if dh_n is None else lay.batch_in(dh_n)
        dc = np.zeros((N, H), tc.dtype) if dc_n is None else lay.batch_in(dc_n)
        with np.errstate(over="ignore", invalid="ignore"):
            dG = _lstm_back_loop(acts, cs, tc, dout, dh, dc, w_hh, lay.bs)
        dx, dw_ih, dw_hh, db_ih, db_hh = _param_grads(ctx, dG, dG, xs, hs[:-1], w_ih, 3)
        dx = lay.seq_out(dx) if dx is not None else None
        need = ctx.needs_input_grad
        dh0 = lay.batch_out(dh) if need[1] else None
        dc0 = lay.batch_out(dc) if need[2] else None
        return (dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh)


# ----------------------------------------------------------------------------- GRU


def _gru_loop(pre, h0, whT, bhh, bs):
    """Forward recurrence; pre (T, N, 3H) becomes [r, z, n] in place; returns hs, hn."""
    T, N, G = pre.shape
    H = G // 3
    hs = np.empty((T + 1, N, H), pre.dtype)
    hn = np.zeros((T, N, H), pre.dtype)  # W_hn h + b_hn, needed by backward
    hs[0] = h0
    for t in range(T):
        b = bs[t]
        if b < N:
            hs[t + 1, b:] = hs[t, b:]
        if b == 0:
            continue
        a = pre[t, :b]  # (b, 3H): -a_r, -a_z (input+hidden), x-part of a_n
        hw = matmul(hs[t, :b], whT)  # (b, 3H)
        if bhh is not None:
            hw += bhh
        a[:, : 2 * H] += hw[:, : 2 * H]
        _sigmoid_from_neg_(a[:, : 2 * H])
        hn[t, :b] = hw[:, 2 * H :]
        n = a[:, 2 * H :]
        n += a[:, :H] * hw[:, 2 * H :]
        _tanh_into(n, n)
        h = hs[t + 1, :b]  # h' = n + z * (h - n)
        np.subtract(hs[t, :b], n, out=h)
        h *= a[:, H : 2 * H]
        h += n
    return hs, hn


def _gru_back_loop(acts, hs, hn, dout, dh, w_hh, bs):
    """Backward recurrence; returns (dG_x, dG_h) (T*N, 3H); updates dh in place."""
    T, N, G = acts.shape
    H = G // 3
    a3 = acts.reshape(T, N, 3, H)
    r, z, n = a3[:, :, 0], a3[:, :, 1], a3[:, :, 2]
    Pn = (1 - z) * (1 - n * n)  # d h' / d a_n
    P = np.empty((T, N, 3, H), acts.dtype)  # d h' / d [a_r, a_z, W_hn h + b_hn]
    np.multiply(Pn, hn * r * (1 - r), out=P[:, :, 0])
    np.multiply(hs[:-1] - n, z * (1 - z), out=P[:, :, 1])
    np.multiply(Pn, r, out=P[:, :, 2])
    dGh = np.zeros((T, N, 3, H), acts.dtype)
    DH = np.zeros((T, N, H), acts.dtype)  # total grad of h_t at each step
    tmp = np.empty((N, H), acts.dtype)
    for t in range(T - 1, -1, -1):
        b = bs[t]
        if b == 0:
            continue
        dht = dh[:b]
        dht += dout[t, :b]
        DH[t, :b] = dht
        dg = dGh[t, :b]
        np.multiply(dht[:, None, :], P[t, :b], out=dg)
        matmul(dg.reshape(b, G), w_hh, out=tmp[:b])
        dht *= z[t, :b]
        dht += tmp[:b]
    dGx = dGh.copy()
    np.multiply(DH, Pn, out=dGx[:, :, 2])
    return dGx.reshape(T * N, G), dGh.reshape(T * N, G)


class GRUFunction(Op):
    """One GRU layer over a whole sequence (torch.nn.GRU, one layer and direction).

    forward(x (T, N, I), h0 (N, H) | None, w_ih (3H, I), w_hh (3H, H), b_ih (3H,) | None,
    b_hh (3H,) | None, lengths (N,) | None, reverse=False) -> (out (T, N, H), h_n (N, H)).
    Gates r, z, n as in torch: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),
    h' = (1 - z) * n + z * h.
    """

    ctx_attrs = ("lay",)

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih=None, b_hh=None, *, lengths=None, reverse=False):
        T, N, I, H = _check("GRUFunction", x, (("h0", h0),), w_ih, w_hh, b_ih, b_hh, 3)
        lay = _Layout(T, N, lengths, reverse, "GRUFunction")
        xs = lay.seq_in(x)
        scale = _gate_scale(H, (-1, -1, 1), w_hh.dtype)
        with np.errstate(over="ignore"):
            acts = _project(xs, w_ih, b_ih, None, scale)
            h0s = _init_state(h0, N, H, acts.dtype, lay)
            bhh = None if b_hh is None else b_hh * scale
            hs, hn = _gru_loop(acts, h0s, (w_hh * scale[:, None]).T, bhh, lay.bs)
        if any(ctx.needs_input_grad):  # nothing to keep for inference
            ctx.save_for_backward(xs, hs, hn, acts, w_ih, w_hh)
        ctx.lay = lay
        out = lay.zero_inactive(hs[1:].copy())
        return lay.seq_out(out), lay.batch_out(hs[T].copy())

    @staticmethod
    def backward(ctx, dout, dh_n):
        xs, hs, hn, acts, w_ih, w_hh = ctx.saved
        lay = ctx.lay
        T, N, H = hn.shape
        dout = np.zeros_like(hn) if dout is None else lay.seq_in(dout)
        dh = np.zeros((N, H), hn.dtype) if dh_n is None else lay.batch_in(dh_n)
        with np.errstate(over="ignore", invalid="ignore"):
            dGx, dGh = _gru_back_loop(acts, hs, hn, dout, dh, w_hh, lay.bs)
        dx, dw_ih, dw_hh, db_ih, db_hh = _param_grads(ctx, dGx, dGh, xs, hs[:-1], w_ih, 2)
        dx = lay.seq_out(dx) if dx is not None else None
        dh0 = lay.batch_out(dh) if ctx.needs_input_grad[1] else None
        return (dx, dh0, dw_ih, dw_hh, db_ih, db_hh)


# ----------------------------------------------------------------------------- Elman RNN


def _rnn_loop(pre, h0, whT, bs, relu):
    """Forward recurrence h' = act(pre_t + W_hh h); returns hs (T+1, N, H)."""
    T, N, H = pre.shape
    hs = np.empty((T + 1, N, H), pre.dtype)
    hs[0] = h0
    for t in range(T):
        b = bs[t]
        if b < N:
            hs[t + 1, b:] = hs[t, b:]
        if b == 0:
            continue
        a = pre[t, :b]
        a += matmul(hs[t, :b], whT)
        if relu:
            np.maximum(a, 0, out=hs[t + 1, :b])
        else:  # a holds -2 * preactivation
            _sigmoid_from_neg_(a)
            np.multiply(a, 2, out=hs[t + 1, :b])
            hs[t + 1, :b] -= 1
    return hs


def _rnn_back_loop(hs, dout, dh, w_hh, bs, relu):
    """Backward recurrence; returns dA (T*N, H) and updates dh in place."""
    T, N, H = dout.shape
    D = (hs[1:] > 0).astype(hs.dtype) if relu else 1 - hs[1:] * hs[1:]  # act'
    dA = np.zeros((T, N, H), hs.dtype)
    for t in range(T - 1, -1, -1):
        b = bs[t]
        if b == 0:
            continue
        dht = dh[:b]
        dht += dout[t, :b]
        np.multiply(dht, D[t, :b], out=dA[t, :b])
        matmul(dA[t, :b], w_hh, out=dht)
    return dA.reshape(T * N, H)


class _ElmanFunction(Op):
    """Shared body of RNNTanhFunction and RNNReluFunction."""

    ctx_attrs = ("lay",)

    relu = False

    @classmethod
    def _forward(cls, ctx, x, h0, w_ih, w_hh, b_ih, b_hh, lengths, reverse):
        where = cls.__name__
        T, N, I, H = _check(where, x, (("h0", h0),), w_ih, w_hh, b_ih, b_hh, 1)
        lay = _Layout(T, N, lengths, reverse, where)
        xs = lay.seq_in(x)
        scale = _gate_scale(H, (1,) if cls.relu else (-2,), w_hh.dtype)
        with np.errstate(over="ignore"):
            pre = _project(xs, w_ih, b_ih, b_hh, scale)
            h0s = _init_state(h0, N, H, pre.dtype, lay)
            hs = _rnn_loop(pre, h0s, (w_hh * scale[:, None]).T, lay.bs, cls.relu)
        if any(ctx.needs_input_grad):  # nothing to keep for inference
            ctx.save_for_backward(xs, hs, w_ih, w_hh)
        ctx.lay = lay
        out = lay.zero_inactive(hs[1:].copy())
        return lay.seq_out(out), lay.batch_out(hs[T].copy())

    @classmethod
    def _backward(cls, ctx, dout, dh_n):
        xs, hs, w_ih, w_hh = ctx.saved
        lay = ctx.lay
        _, N, H = hs.shape
        dout = np.zeros_like(hs[1:]) if dout is None else lay.seq_in(dout)
        dh = np.zeros((N, H), hs.dtype) if dh_n is None else lay.batch_in(dh_n)
        dA = _rnn_back_loop(hs, dout, dh, w_hh, lay.bs, cls.relu)
        dx, dw_ih, dw_hh, db_ih, db_hh = _param_grads(ctx, dA, dA, xs, hs[:-1], w_ih, 2)
        dx = lay.seq_out(dx) if dx is not None else None
        dh0 = lay.batch_out(dh) if ctx.needs_input_grad[1] else None
        return (dx, dh0, dw_ih, dw_hh, db_ih, db_hh)


class RNNTanhFunction(_ElmanFunction):
    """One Elman RNN layer, h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (torch.nn.RNN).

    forward(x (T, N, I), h0 (N, H) | None, w_ih (H, I), w_hh (H, H), b_ih (H,) | None,
    b_hh (H,) | None, lengths (N,) | None, reverse=False) -> (out (T, N, H), h_n (N, H)).
    """

    relu = False

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih=None, b_hh=None, *, lengths=None, reverse=False):
        return RNNTanhFunction._forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, lengths, reverse)

    @staticmethod
    def backward(ctx, dout, dh_n):
        return RNNTanhFunction._backward(ctx, dout, dh_n)


class RNNReluFunction(_ElmanFunction):
    """One Elman RNN layer with relu (torch.nn.RNN(nonlinearity="relu")); see RNNTanhFunction."""

    relu = True

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih=None, b_hh=None, *, lengths=None, reverse=False):
        return RNNReluFunction._forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, lengths, reverse)

    @staticmethod
    def backward(ctx, dout, dh_n):
        return RNNReluFunction._backward(ctx, dout, dh_n)
