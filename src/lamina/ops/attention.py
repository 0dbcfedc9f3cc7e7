"""Scaled dot-product attention: one fused op with a hand-written backward.

``softmax(q @ k^T * scale + mask) @ v`` over the last two axes, any leading batch axes
broadcast (torch.nn.functional.scaled_dot_product_attention). Forward keeps the attention
probabilities P, the only (L, S) array per head that lives past a call; backward reuses
P (no second softmax) and the flash-attention identity ``rowsum(dP * P) = rowsum(dO * O)``.
Both passes walk the heads in blocks so their (L, S) temporaries stay bounded by
``_BLOCK`` elements instead of growing with batch x heads.

Dropout is drawn block by block from a seed kept on ctx and drawn again in backward, so the
keep-mask is never stored. A fully masked row (every key masked) gives zeros in the output
and in every gradient, as torch 2.13's CPU kernel does.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..autograd.function import Op

_BLOCK = 1 << 22  # elements of (L, S) temporaries per block: 16 MiB in float32


def _bcast(a: np.ndarray, batch: tuple) -> np.ndarray:
    """a with leading axes broadcast to batch (a itself when they already match)."""
    return a if a.shape[:-2] == batch else np.broadcast_to(a, batch + a.shape[-2:])


def _blocks(batch: tuple, ls: int):
    """Index tuples over the leading batch axes; each block holds <= _BLOCK scores."""
    j, inner = len(batch), 1
    while j > 0 and inner * batch[j - 1] * ls <= _BLOCK:
        j -= 1
        inner *= batch[j]
    return list(np.ndindex(*batch[:j])) if j else [()]


@functools.lru_cache(maxsize=16)
def _above_diagonal(L: int, S: int) -> np.ndarray:
    """(L, S) True above the diagonal: what a top-left aligned causal mask hides."""
    hidden = ~np.tri(L, S, dtype=bool)
    hidden.flags.writeable = False
    return hidden


def _keep_mask(seed, i: int, shape: tuple, p: float, dtype) -> np.ndarray:
    """Block i's dropout keep-mask scaled by 1/(1-p); the same seed gives the same mask."""
    if p >= 1.0:
        return np.zeros(shape, dtype)
    u = np.random.default_rng([seed, i]).random(shape, dtype=np.float32)
    keep = (u >= p).astype(dtype)
    keep *= dtype.type(1.0 / (1.0 - p))
    return keep


def _softmax_rows_(s: np.ndarray, nan_rows: bool = False, masked: bool = True) -> None:
    """Softmax over the last axis in place.

    An all -inf row becomes zeros (torch's fused CPU kernel) or, with ``nan_rows``, NaN (an
    explicit softmax, as torch's MultiheadAttention computes when it returns the weights).
    ``masked=False`` says no row can be all -inf (no mask, or a causal one): no checks.
    """
    if s.shape[-1] == 0:
        return
    m = s.max(axis=-1, keepdims=True)
    zero_rows = masked and not nan_rows  # all -inf rows may exist and must give zeros
    if zero_rows:
        m[np.isneginf(m)] = 0.0  # all -inf row: exp(-inf - 0) = 0 instead of nan
    with np.errstate(under="ignore", invalid="ignore", divide="ignore"):
        s -= m
        np.exp(s, out=s)
        total = s.sum(axis=-1, keepdims=True)
        if zero_rows:
            total[total == 0] = 1.0
        np.divide(1.0, total, out=total)  # one reciprocal per row, then a multiply
        s *= total


class ScaledDotProductAttention(Op):
    """softmax(q k^T * scale + mask) v (torch.nn.functional.scaled_dot_product_attention).

    Args (arrays): q (..., L, E), k (..., S, E), v (..., S, Ev); ``mask`` None, boolean
    (True takes part) or additive float, broadcastable to (..., L, S).
    Options: ``scale`` (float), ``causal`` (lower-triangular (L, S) mask, top-left aligned),
    ``dropout_p`` and ``dropout_seed`` (an int; dropout on P drawn from it).
    With ``need_weights`` also returns the weights P after dropout (..., L, S) as a second,
    differentiable output, fully masked rows NaN as in torch's MultiheadAttention.
    Returns (..., L, Ev).
    """

    ctx_attrs = ("batch", "scale", "dropout_p", "seed", "need_weights")

    @staticmethod
    def forward(
        ctx, q, k, v, mask=None, *, scale=1.0, causal=False, dropout_p=0.0, dropout_seed=None,
        need_weights=False,
    ):  # fmt: skip
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
        L, S = q.shape[-2], k.shape[-2]
        qs = q * q.dtype.type(scale)  # scaled once here: q is (L, E), the scores (L, S)
        qb, kb, vb = (_bcast(a, batch) for a in (qs, k, v))
        boolmask = mask is not None and mask.dtype == np.bool_
        if mask is not None:
            mask = np.broadcast_to(mask, batch + (L, S))
        hidden = _above_diagonal(L, S) if causal else None  # (L, S), broadcast by copyto
        p = np.empty(batch + (L, S), q.dtype)
        out = np.empty(batch + (L, v.shape[-1]), q.dtype)
        weights = np.empty_like(p) if need_weights else None
        for i, ix in enumerate(_blocks(batch, L * S)):
            s = p[ix]
            np.matmul(qb[ix], np.swapaxes(kb[ix], -1, -2), out=s)
            if hidden is not None:
                np.copyto(s, -np.inf, where=hidden)
            elif mask is not None and boolmask:
                np.copyto(s, -np.inf, where=~mask[ix])
            elif mask is not None:
                s += mask[ix]
            _softmax_rows_(s, nan_rows=need_weights, masked=mask is not None and not causal)
            pd = (
                s
                if dropout_p == 0
                else s * _keep_mask(dropout_seed, i, s.shape, dropout_p, q.dtype)
            )
            np.matmul(pd, vb[ix], out=out[ix])
            if need_weights:
                weights[ix] = pd
        ctx.save_for_backward(q, k, v, p, out, qs)
        ctx.batch, ctx.scale, ctx.dropout_p, ctx.seed = batch, scale, dropout_p, dropout_seed
        ctx.need_weights = need_weights
        return (out, weights) if need_weights else out

    @staticmethod
    def backward(ctx, grad, grad_weights=None):
        q, k, v, p, out, qs = ctx.saved
        batch, need = ctx.batch, ctx.needs_input_grad
        qb, kb, vb = (_bcast(a, batch) for a in (qs, k, v))
        # every block writes its whole slice, so no zero fill
        dq, dk, dv = (np.empty(batch + a.shape[-2:], q.dtype) for a in (q, k, v))
        dmask = np.empty(p.shape, q.dtype) if need[3] else None
        g = grad if grad.shape == out.shape else np.broadcast_to(grad, out.shape)
        d = (g * out).sum(axis=-1, keepdims=True)  # rowsum(dP * P) = rowsum(dO * O)
        for i, ix in enumerate(_blocks(batch, p.shape[-2] * p.shape[-1])):
            keep = None
            if ctx.dropout_p != 0:
                keep = _keep_mask(ctx.seed, i, p[ix].shape, ctx.dropout_p, q.dtype)
            if need[2]:
                pd = p[ix] if keep is None else p[ix] * keep
                np.matmul(np.swapaxes(pd, -1, -2), g[ix], out=dv[ix])
            ds = g[ix] @ np.swapaxes(vb[ix], -1, -2)  # d(P after dropout), (.., L, S)
            if grad_weights is not None:
                ds += grad_weights[ix]
            if keep is not None:
                ds *= keep
            # the identity above misses grad_weights' share: take the row sums directly
            di = d[ix] if grad_weights is None else (ds * p[ix]).sum(axis=-1, keepdims=True)
            ds -= di
            ds *= p[ix]  # d(scores); the scale is applied on the smaller (L, E) side
            if dmask is not None:
                dmask[ix] = ds
            if need[0]:
                np.matmul(ds, kb[ix], out=dq[ix])
                dq[ix] *= q.dtype.type(ctx.scale)
            if need[1]:
                np.matmul(np.swapaxes(ds, -1, -2), qb[ix], out=dk[ix])
        grads = (dq if need[0] else None, dk if need[1] else None, dv if need[2] else None)
        return grads + (dmask,)


def default_scale(head_dim: int) -> float:
    """1 / sqrt(E), torch's default ``scale``."""
    return 1.0 / math.sqrt(head_dim) if head_dim > 0 else 1.0
