"""scaled_dot_product_attention (torch.nn.functional) over the fused op in lamina.ops."""

from __future__ import annotations

import numpy as np

from ...ops.attention import ScaledDotProductAttention, default_scale
from ...random import default_rng
from ...tensor import Tensor, apply


def _check(q, k, v, attn_mask, is_causal: bool) -> None:
    """Raise RuntimeError where torch does, with torch's wording and the shapes seen."""
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise RuntimeError(
            "scaled_dot_product_attention: expected query, key, and value to all be at least "
            f"2 dimensional, but got query.dim: {q.ndim} key.dim: {k.ndim} and value.dim: "
            f"{v.ndim} instead."
        )
    if not (q.dtype == k.dtype == v.dtype) or q.dtype.kind != "f":
        raise RuntimeError(
            "scaled_dot_product_attention: expected query, key, and value to have the same "
            f"floating dtype, but got query.dtype: {q.dtype} key.dtype: {k.dtype} and "
            f"value.dtype: {v.dtype} instead."
        )
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise RuntimeError(
            f"scaled_dot_product_attention: query {tuple(q.shape)} and key {tuple(k.shape)} "
            f"must share the last dim, key and value {tuple(v.shape)} the sequence dim -2"
        )
    try:
        np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise RuntimeError(
            f"scaled_dot_product_attention: batch dims of query {tuple(q.shape)}, key "
            f"{tuple(k.shape)} and value {tuple(v.shape)} do not broadcast"
        ) from None
    if attn_mask is None:
        return
    if is_causal:
        raise RuntimeError(
            "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
            "is_causal=True"
        )
    if attn_mask.dtype != np.bool_ and attn_mask.dtype != q.dtype:
        raise RuntimeError(
            "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
            f"attn_mask.dtype: {attn_mask.dtype} and query.dtype: {q.dtype} instead."
        )
    want = q.shape[:-1] + (k.shape[-2],)
    try:
        np.broadcast_shapes(attn_mask.shape, want)
    except ValueError:
        raise RuntimeError(
            f"scaled_dot_product_attention: attn_mask of shape {tuple(attn_mask.shape)} does "
            f"not broadcast to the scores' shape (..., L, S) = {want}"
        ) from None


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))


def attention(
    query, key, value, attn_mask=None, dropout_p: float = 0.0, is_causal: bool = False,
    scale: float | None = None, need_weights: bool = False,
):  # fmt: skip
    """The fused op; with ``need_weights`` returns (output, weights after dropout)."""
    q, k, v = _as_tensor(query), _as_tensor(key), _as_tensor(value)
    m = None if attn_mask is None else _as_tensor(attn_mask)
    _check(q, k, v, m, is_causal)
    scale = default_scale(q.shape[-1]) if scale is None else float(scale)
    seed = int(default_rng().integers(2**63)) if dropout_p > 0 else None
    return apply(
        ScaledDotProductAttention, q, k, v, m, scale=scale, causal=is_causal,
        dropout_p=float(dropout_p), dropout_seed=seed, need_weights=need_weights,
    )  # fmt: skip


def scaled_dot_product_attention(
    query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
    dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
) -> Tensor:  # fmt: skip
    """softmax(q k^T * scale + mask) v (torch.nn.functional.scaled_dot_product_attention).

    Args:
        query: (..., L, E); key: (..., S, E); value: (..., S, Ev); leading dims broadcast.
        attn_mask: boolean (True takes part in attention) or additive float mask, of the
            query's dtype, broadcastable to (..., L, S).
        dropout_p: dropout on the attention probabilities (always applied when > 0, as in
            torch: pass ``dropout_p if self.training else 0.0``). Drawn from
            ``lamina.manual_seed``'s generator.
        is_causal: mask key j > query i (top-left aligned when L != S).
        scale: defaults to 1 / sqrt(E).

    A row whose keys are all masked gives zeros, and zero gradients, as torch 2.13 does.
    The op keeps one (L, S) array per head for backward; see docs/attention.md.
    """
    return attention(query, key, value, attn_mask, dropout_p, is_causal, scale)


__all__ = ["scaled_dot_product_attention"]
