"""scaled_dot_product_attention (torch.nn.functional) over the fused op in lamina.ops."""

from __future__ import annotations

import warnings

import numpy as np

from ...functions import cat, pad, zeros
from ...ops.attention import ScaledDotProductAttention, default_scale
from ...ops.linalg import Linear
from ...random import default_rng
from ...tensor import Tensor, apply


def linear(x, w, b=None):
    # one 2-D GEMM: NumPy's matmul of a stacked (N, L, E) by a shared (E, F) is far slower
    y = apply(Linear, x.reshape(-1, x.shape[-1]), w, b)
    return y.reshape(*x.shape[:-1], w.shape[0])


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
    enable_gqa: bool = False,
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
        enable_gqa: grouped-query attention: key and value have Hk heads (dim -3) that
            each serve Hq / Hk consecutive query heads.

    A row whose keys are all masked gives zeros, and zero gradients, as torch 2.13 does.
    The op keeps one (L, S) array per head for backward; see docs/transformers.md.
    """
    if enable_gqa:
        key, value = (_repeat_heads(_as_tensor(query), _as_tensor(x)) for x in (key, value))
    return attention(query, key, value, attn_mask, dropout_p, is_causal, scale)


def _repeat_heads(q: Tensor, x: Tensor) -> Tensor:
    """x's heads (dim -3) repeated to q's count, as torch's repeat_interleave for GQA."""
    if q.ndim < 3 or x.ndim < 3:
        return x
    hq, hk = q.shape[-3], x.shape[-3]
    if hk == hq:
        return x
    if hk == 0 or hq % hk:
        raise RuntimeError(
            f"scaled_dot_product_attention: Number of heads in key and value ({hk}) must "
            f"divide the number of heads in query ({hq})"
        )
    return x.index_select(x.ndim - 3, np.repeat(np.arange(hk), hq // hk))


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads: int) -> bool:
    """True for batched (3-D) input; AssertionError with torch's wording otherwise."""
    if query.ndim not in (2, 3):
        raise AssertionError(
            f"query should be unbatched 2D or batched 3D tensor but received {query.ndim}-D "
            "query tensor"
        )
    batched = query.ndim == 3
    kind = "batched (3-D)" if batched else "unbatched (2-D)"
    if key.ndim != query.ndim or value.ndim != query.ndim:
        raise AssertionError(
            f"For {kind} `query`, expected `key` and `value` to be {query.ndim}-D but found "
            f"{key.ndim}-D and {value.ndim}-D tensors respectively"
        )
    if key_padding_mask is not None and key_padding_mask.ndim != query.ndim - 1:
        raise AssertionError(
            f"For {kind} `query`, expected `key_padding_mask` to be `None` or "
            f"{query.ndim - 1}-D but found {key_padding_mask.ndim}-D tensor instead"
        )
    if attn_mask is not None and attn_mask.ndim not in (2, 3):
        raise AssertionError(
            f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
            f"{attn_mask.ndim}-D tensor instead"
        )
    if not batched and attn_mask is not None and attn_mask.ndim == 3:
        want = (num_heads, query.shape[0], key.shape[0])
        if tuple(attn_mask.shape) != want:
            raise AssertionError(
                f"Expected `attn_mask` shape to be {want} but got {tuple(attn_mask.shape)}"
            )
    return batched


def _mask(mask, name: str):
    """A bool mask (True = masked out, torch's MHA convention) as a keep-array; floats stay."""
    if mask is None:
        return None
    mask = _as_tensor(mask)
    if mask.dtype == np.bool_:
        return ~mask.numpy()
    if mask.dtype.kind != "f":
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask


def _additive(mask, dtype):
    if mask is None or isinstance(mask, Tensor):
        return mask
    return Tensor(np.where(mask, 0.0, -np.inf).astype(dtype))


def _merge(a, b, dtype):
    """Combine two masks as torch adds its float masks; two keep-arrays stay boolean."""
    if a is None or b is None:
        return a if b is None else b
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return a & b
    return _additive(a, dtype) + _additive(b, dtype)


def _pad_key(mask):
    """One more key column that every query attends (torch pads its float masks with 0)."""
    if mask is None:
        return None
    if isinstance(mask, Tensor):
        return pad(mask, (0, 1))
    return np.concatenate([mask, np.ones(mask.shape[:-1] + (1,), bool)], axis=-1)


def _heads(x, n: int, h: int):
    """(N, L, E) -> (N, H, L, E / H)."""
    return x.reshape(n, x.shape[1], h, -1).transpose(1, 2)


def _project(query, key, value, w, b, separate):
    """q, k, v projections, (N, L, E); one matmul when query, key and value are the same."""
    if separate is not None:
        bq, bk, bv = (None, None, None) if b is None else b.chunk(3)
        return tuple(
            linear(x, wi, bi) for x, wi, bi in zip((query, key, value), separate, (bq, bk, bv))
        )
    if query is key and key is value:
        return linear(query, w, b).chunk(3, dim=-1)
    wq, wk, wv = w.chunk(3)
    bq, bk, bv = (None, None, None) if b is None else b.chunk(3)
    return linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)


def _attn_mask_4d(attn_mask, n: int, h: int, L: int, S: int):
    """torch's (L, S) or (N * H, L, S) attn_mask as (1, 1, L, S) or (N, H, L, S)."""
    if attn_mask.ndim == 2:
        if attn_mask.shape != (L, S):
            raise RuntimeError(
                f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, but should be "
                f"{(L, S)}."
            )
        return attn_mask.reshape(1, 1, L, S)
    if attn_mask.shape != (n * h, L, S):
        raise RuntimeError(
            f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but should be "
            f"{(n * h, L, S)}."
        )
    return attn_mask.reshape(n, h, L, S)


def _masks(query, key_padding_mask, attn_mask, is_causal, need_weights):
    """torch's mask preparation: key_padding_mask, attn_mask as keep-arrays or floats."""
    if (
        key_padding_mask is not None
        and attn_mask is not None
        and (_as_tensor(key_padding_mask).dtype == np.bool_)
        != (_as_tensor(attn_mask).dtype == np.bool_)
    ):
        warnings.warn(
            "Support for mismatched key_padding_mask and attn_mask is deprecated. Use same "
            "type for both instead.",
            stacklevel=3,
        )
    kpm = _mask(key_padding_mask, "key_padding_mask")
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and kpm is None and not need_weights:
        return kpm, None, True  # torch trusts the hint and drops the mask
    # otherwise the mask itself is used, and the hint has no further effect
    return kpm, _mask(attn_mask, "attn_mask"), False


def _mha(
    query, key, value, num_heads, in_proj_weight, in_proj_bias, bias_k, bias_v,
    add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, key_padding_mask,
    need_weights, attn_mask, separate, static_k, static_v, average_attn_weights, is_causal,
):  # fmt: skip
    """Multi-head attention on batch-first (N, L, E) tensors; masks already canonical."""
    n, L, E = query.shape
    h = num_heads
    q, k, v = _project(query, key, value, in_proj_weight, in_proj_bias, separate)
    if attn_mask is not None:
        attn_mask = _attn_mask_4d(attn_mask, n, h, L, key.shape[1])
    if bias_k is not None and bias_v is not None:
        k = cat([k, bias_k.reshape(1, 1, E).expand(n, 1, E)], dim=1)
        v = cat([v, bias_v.reshape(1, 1, E).expand(n, 1, E)], dim=1)
        attn_mask, key_padding_mask = _pad_key(attn_mask), _pad_key(key_padding_mask)
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k and bias_v must both be set or both be None")
    q = _heads(q, n, h)
    k = _heads(k, n, h) if static_k is None else static_k.reshape(n, h, -1, E // h)
    v = _heads(v, n, h) if static_v is None else static_v.reshape(n, h, -1, E // h)
    if add_zero_attn:
        k = cat([k, zeros(n, h, 1, E // h, dtype=k.dtype)], dim=2)
        v = cat([v, zeros(n, h, 1, E // h, dtype=v.dtype)], dim=2)
        attn_mask, key_padding_mask = _pad_key(attn_mask), _pad_key(key_padding_mask)
    src = k.shape[2]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (n, src):
            raise AssertionError(
                f"Expected key_padding_mask of shape {(n, src)}, but got "
                f"{tuple(key_padding_mask.shape)}"
            )
        key_padding_mask = key_padding_mask.reshape(n, 1, 1, src)
    mask = _merge(attn_mask, key_padding_mask, query.dtype)
    if need_weights:
        out, w = attention(q, k, v, mask, dropout_p, need_weights=True)
        if average_attn_weights:
            w = w.mean(dim=1)
    else:
        out, w = attention(q, k, v, mask, dropout_p, is_causal), None
    out = out.transpose(1, 2).reshape(n, L, E)
    return linear(out, out_proj_weight, out_proj_bias), w


def multi_head_attention_forward(
    query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
    in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
    bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
    out_proj_bias: Tensor | None, training: bool = True, key_padding_mask=None,
    need_weights: bool = True, attn_mask=None, use_separate_proj_weight: bool = False,
    q_proj_weight=None, k_proj_weight=None, v_proj_weight=None, static_k=None,
    static_v=None, average_attn_weights: bool = True, is_causal: bool = False,
    batch_first: bool = False,
) -> tuple[Tensor, Tensor | None]:  # fmt: skip
    """Multi-head attention (torch.nn.functional.multi_head_attention_forward).

    Inputs are (L, N, E) (or (N, L, E) with lamina's ``batch_first=True``, which the module
    uses to skip two transposes) or unbatched (L, E). Masks follow torch's MHA convention:
    a boolean True is *masked out*; a float mask is added to the scores. Returns the output
    and, with ``need_weights``, the attention weights after dropout, averaged over heads
    unless ``average_attn_weights=False`` (a fully masked row is NaN there, as in torch).
    """
    query, key, value = (_as_tensor(x) for x in (query, key, value))
    batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = (x.unsqueeze(0) for x in (query, key, value))
        if key_padding_mask is not None:
            key_padding_mask = _as_tensor(key_padding_mask).unsqueeze(0)
    elif not batch_first:
        same_kv, same_qk = key is value, query is key
        query = query.transpose(0, 1)
        key = query if same_qk else key.transpose(0, 1)
        value = key if same_kv else value.transpose(0, 1)
    kpm, attn_mask, is_causal = _masks(query, key_padding_mask, attn_mask, is_causal, need_weights)
    E = query.shape[-1]
    if E != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {E}"
        )
    if E % num_heads:
        raise AssertionError(f"embed_dim {E} not divisible by num_heads {num_heads}")
    if (key.shape[:2] if use_separate_proj_weight else key.shape) != (
        value.shape[:2] if use_separate_proj_weight else value.shape
    ):
        raise AssertionError(
            f"key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)}"
        )
    separate = (q_proj_weight, k_proj_weight, v_proj_weight) if use_separate_proj_weight else None
    out, w = _mha(
        query, key, value, num_heads, in_proj_weight, in_proj_bias, bias_k, bias_v,
        add_zero_attn, dropout_p if training else 0.0, out_proj_weight, out_proj_bias, kpm,
        need_weights, attn_mask, separate, static_k, static_v, average_attn_weights, is_causal,
    )  # fmt: skip
    if not batched:
        return out.squeeze(0), None if w is None else w.squeeze(0)
    return (out if batch_first else out.transpose(0, 1)), w


__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]
