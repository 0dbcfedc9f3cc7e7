"""Scaled dot-product attention: one fused op with a hand-written backward.

``softmax(q @ k^T * scale + mask) @ v`` over the last two axes, any leading batch axes
broadcast (torch.nn.functional.scaled_dot_product_attention). Forward keeps the attention
probabilities P (transposed), the only (L, S) array per head that lives past a call; backward reuses
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
from ._parallel import MIN_PARALLEL_FLOPS, matmul, parallel_for  # the BLAS runs on one thread

_BLOCK = 1 << 22  # elements of (L, S) temporaries per block: 16 MiB in float32


def _bcast(a: np.ndarray, batch: tuple) -> np.ndarray:
    """a with leading axes broadcast to batch (a itself when they already match)."""
    return a if a.shape[:-2] == batch else np.broadcast_to(a, batch + a.shape[-2:])


def _like(a: np.ndarray, shape: tuple) -> np.ndarray:
    """An empty array of a's dtype; in a's memory order when the shapes agree. q, k, v are
    often head-split views of a (B, T, 3 C) projection: outputs and gradients laid out as
    (B, T, H, E) in memory then reshape back to (B * T, C) without a copy."""
    return np.empty_like(a) if a.shape == shape else np.empty(shape, a.dtype)


def _blocks(batch: tuple, ls: int):
    """Index tuples over the leading batch axes; each block holds <= _BLOCK scores."""
    j, inner = len(batch), 1
    while j > 0 and inner * batch[j - 1] * ls <= _BLOCK:
        j -= 1
        inner *= batch[j]
    return list(np.ndindex(*batch[:j])) if j else [()]


def _split(batch: tuple, L: int, S: int, E: int, dropout_p: float, body) -> None:
    """Run ``body(blocks)`` over the heads, split along the first batch axis over lamina's
    threads: each thread walks its own slice in blocks (index tuples into the batch axes).
    With dropout the heads run in one walk, so each block keeps its seed index."""

    def span(s: int, e: int) -> None:
        sub = (e - s,) + batch[1:]
        body([(slice(s, e),) if not ix else (s + ix[0],) + ix[1:] for ix in _blocks(sub, L * S)])

    if not batch:
        body(_blocks(batch, L * S))
    elif dropout_p != 0:
        span(0, batch[0])
    else:
        work = int(np.prod(batch)) * L * S * (4 * E + 20)  # two products and the softmax
        parallel_for(batch[0], span, work, MIN_PARALLEL_FLOPS)


@functools.lru_cache(maxsize=16)
def _causal_bias_t(L: int, S: int, dtype: np.dtype) -> np.ndarray:
    """(S, L): 0 where query l may see key s (s <= l, top-left aligned), -inf elsewhere.

    Added to the transposed scores (one plain add; a masked copy costs twice as much)."""
    bias = np.where(np.tri(L, S, dtype=bool).T, dtype.type(0), dtype.type(-np.inf))
    bias.flags.writeable = False
    return bias


def _keep_mask(seed, i: int, shape: tuple, p: float, dtype) -> np.ndarray:
    """Block i's dropout keep-mask scaled by 1/(1-p); the same seed gives the same mask."""
    if p >= 1.0:
        return np.zeros(shape, dtype)
    u = np.random.default_rng([seed, i]).random(shape, dtype=np.float32)
    keep = (u >= p).astype(dtype)
    keep *= dtype.type(1.0 / (1.0 - p))
    return keep


def _softmax_cols_(st: np.ndarray, nan_rows: bool = False, masked: bool = True) -> None:
    """Softmax over axis -2 in place: st holds transposed scores (..., S, L), one query per
    column, so every reduction runs across rows (NumPy vectorises those; a max along short
    rows is ~15x slower).

    A query whose keys are all -inf gets zeros (torch's fused CPU kernel) or, with
    ``nan_rows``, NaN (an explicit softmax, as torch's MultiheadAttention computes when it
    returns the weights). ``masked=False`` says no query can be fully masked (no mask, or a
    causal one): no checks.
    """
    if st.shape[-2] == 0:
        return
    m = np.maximum.reduce(st, axis=-2, keepdims=True)
    zero_rows = masked and not nan_rows  # all -inf columns may exist and must give zeros
    if zero_rows:
        m[np.isneginf(m)] = 0.0  # exp(-inf - 0) = 0 instead of nan
    with np.errstate(under="ignore", invalid="ignore", divide="ignore"):
        st -= m
        np.exp(st, out=st)
        total = np.ones((1, st.shape[-2]), st.dtype) @ st  # column sums, one GEMV per head
        if zero_rows:
            total[total == 0] = 1.0
        np.divide(1.0, total, out=total)  # one reciprocal per query, then a multiply
        st *= total


def _t(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


class ScaledDotProductAttention(Op):
    """softmax(q k^T * scale + mask) v (torch.nn.functional.scaled_dot_product_attention).

    Args (arrays): q (..., L, E), k (..., S, E), v (..., S, Ev); ``mask`` None, boolean
    (True takes part) or additive float, broadcastable to (..., L, S).
    Options: ``scale`` (float), ``causal`` (lower-triangular (L, S) mask, top-left aligned),
    ``dropout_p`` and ``dropout_seed`` (an int; dropout on P drawn from it).
    With ``need_weights`` also returns the weights P after dropout (..., L, S) as a second,
    differentiable output, fully masked rows NaN as in torch's MultiheadAttention.
    Returns (..., L, Ev).

    P is computed and kept transposed, (..., S, L) = k @ (q * scale)^T: the softmax then
    reduces across rows, and the products of backward are plain or transposed GEMMs alike.
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
            mask = _t(np.broadcast_to(mask, batch + (L, S)))  # (..., S, L)
        causal_bias = _causal_bias_t(L, S, q.dtype) if causal else None  # (S, L)
        pt = np.empty(batch + (S, L), q.dtype)
        out = _like(q, batch + (L, v.shape[-1]))
        weights = np.empty(batch + (L, S), q.dtype) if need_weights else None

        def heads(blocks) -> None:
            for i, ix in enumerate(blocks):
                one_block(i, ix)

        def one_block(i, ix) -> None:
            st = pt[ix]
            matmul(kb[ix], _t(qb[ix]), out=st)
            if causal_bias is not None:
                st += causal_bias
            elif mask is not None and boolmask:
                np.copyto(st, -np.inf, where=~mask[ix])
            elif mask is not None:
                st += mask[ix]
            _softmax_cols_(st, nan_rows=need_weights, masked=mask is not None and not causal)
            pd = (
                st
                if dropout_p == 0
                else st * _keep_mask(dropout_seed, i, st.shape, dropout_p, q.dtype)
            )
            matmul(_t(pd), vb[ix], out=out[ix])
            if need_weights:
                weights[ix] = _t(pd)

        _split(batch, L, S, q.shape[-1], dropout_p, heads)
        ctx.save_for_backward(q, k, v, pt, out, qs)
        ctx.batch, ctx.scale, ctx.dropout_p, ctx.seed = batch, scale, dropout_p, dropout_seed
        ctx.need_weights = need_weights
        return (out, weights) if need_weights else out

    @staticmethod
    def backward(ctx, grad, grad_weights=None):
        q, k, v, pt, out, qs = ctx.saved
        batch, need = ctx.batch, ctx.needs_input_grad
        qb, kb, vb = (_bcast(a, batch) for a in (qs, k, v))
        # every block writes its whole slice, so no zero fill
        dq, dk, dv = (_like(a, batch + a.shape[-2:]) for a in (q, k, v))
        dmask = np.empty(batch + _t(pt).shape[-2:], q.dtype) if need[3] else None
        g = grad if grad.shape == out.shape else np.broadcast_to(grad, out.shape)
        # rowsum(dP * P) = rowsum(dO * O), as (.., 1, L); the sums as one GEMV
        d = ((g * out) @ np.ones(out.shape[-1], out.dtype))[..., None, :]
        gw = None if grad_weights is None else _t(grad_weights)

        def heads(blocks) -> None:
            for i, ix in enumerate(blocks):
                one_block(i, ix)

        def one_block(i, ix) -> None:
            keep = None
            if ctx.dropout_p != 0:
                keep = _keep_mask(ctx.seed, i, pt[ix].shape, ctx.dropout_p, q.dtype)
            if need[2]:
                pd = pt[ix] if keep is None else pt[ix] * keep
                matmul(pd, g[ix], out=dv[ix])
            dst = vb[ix] @ _t(g[ix])  # d(P after dropout), transposed: (.., S, L)
            if gw is not None:
                dst += gw[ix]
            if keep is not None:
                dst *= keep
            # the identity above misses grad_weights' share: take the sums directly
            di = d[ix] if gw is None else (dst * pt[ix]).sum(axis=-2, keepdims=True)
            dst -= di
            dst *= pt[ix]  # d(scores); the scale is applied on the smaller (L, E) side
            if dmask is not None:
                dmask[ix] = _t(dst)
            if need[0]:
                matmul(_t(dst), kb[ix], out=dq[ix])
                dq[ix] *= q.dtype.type(ctx.scale)
            if need[1]:
                matmul(dst, qb[ix], out=dk[ix])

        _split(batch, pt.shape[-1], pt.shape[-2], q.shape[-1], ctx.dropout_p, heads)
        grads = (dq if need[0] else None, dk if need[1] else None, dv if need[2] else None)
        return grads + (dmask,)


def default_scale(head_dim: int) -> float:
    """1 / sqrt(E), torch's default ``scale``."""
    return 1.0 / math.sqrt(head_dim) if head_dim > 0 else 1.0
