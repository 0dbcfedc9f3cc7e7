"""GPT's inference path on arrays: the decode step ``generate()`` runs when it can.

Generation records no graph, so the per-op work of the Tensor layer (wrapping each result,
the grad-mode checks, module calls) is pure overhead; at batch 1 it is most of the time. This
path runs the very same op kernels (``Op.forward`` of lamina.ops, so the numbers are the
autograd path's) straight on the parameter arrays, and computes the last block's attention
output, MLP and the head only for the last position (all that sampling needs; nanoGPT
computes the head alone that way).

It is taken only for a stock model in eval mode whose modules have no hooks (:func:`usable`);
anything else (a subclass overriding a block, a forward hook) makes ``generate()`` call the
modules as usual. ``tests/models/test_gpt_infer.py`` checks it against ``GPT.forward``.
"""

from __future__ import annotations

import numpy as np

from ..nn import GELU, Dropout, Embedding, LayerNorm, Linear, Module
from ..ops.activation import GELU as GELUOp
from ..ops.attention import ScaledDotProductAttention, default_scale
from ..ops.linalg import Linear as LinearOp
from ..ops.norm import LayerNorm as LayerNormOp

__all__ = ["last_logits", "prepare", "usable"]


def _run(op, *arrays, **options):
    """``op.forward`` on arrays with a context that records nothing."""
    ctx = op._Ctx(op)
    ctx.needs_input_grad = op._no_grads
    return op.forward(ctx, *arrays, **options)


def _arr(p):
    return None if p is None else p._data


def _linear(m: Linear, x: np.ndarray, plan: dict | None = None) -> np.ndarray:
    entry = None if plan is None else plan.get(id(m))
    if entry is None:
        return _run(LinearOp, x, _arr(m.weight), _arr(m.bias))
    wt, b = entry
    y = x @ wt  # the weight in (in, out) layout, the LayerNorm before it folded in
    if b is not None:
        y += b
    return y


def _norm(m: LayerNorm, x: np.ndarray, plan: dict | None = None) -> np.ndarray:
    entry = None if plan is None else plan.get(id(m))
    if entry is None:
        return _run(
            LayerNormOp, x, _arr(m.weight), _arr(m.bias), normalized_shape=m.normalized_shape,
            eps=m.eps,
        )  # fmt: skip
    u, eps = entry  # u = 1/K: row means as GEMVs; weight and bias live in the next Linear
    xc = x - (x @ u)[:, None]
    var = np.square(xc) @ u
    var += eps
    np.sqrt(var, out=var)
    xc /= var[:, None]
    return xc


def _fold(ln: LayerNorm | None, lin: Linear) -> tuple:
    """(W', b') with x_hat @ W' + b' = Linear(LayerNorm(x)), W' in (in, out) layout:
    W' = (W diag(w))^T and b' = W b_ln + bias, computed in float64."""
    w = lin.weight._data.astype(np.float64)
    b = None if lin.bias is None else lin.bias._data.astype(np.float64)
    if ln is not None:
        if ln.bias is not None:
            b = (0.0 if b is None else b) + w @ ln.bias._data
        if ln.weight is not None:
            w = w * ln.weight._data
    dt = lin.weight.dtype
    return np.ascontiguousarray(w.T.astype(dt)), None if b is None else b.astype(dt)


def prepare(model, limit: int = 64 << 20) -> dict:
    """Weights rearranged for one generate() call, if the Linear weights total <= ``limit``
    bytes (else {}: the modules' own weights, as they are).

    Each LayerNorm's affine is folded into the Linear that follows it (ln_1 -> c_attn,
    ln_2 -> c_fc, ln_f -> lm_head), which saves two passes per norm, and every weight is
    kept in (in, out) layout: OpenBLAS's sgemm runs x @ W for a row-major (in, out) W about
    25% faster than x @ W.T for a row-major (out, in) W when x has few rows (64 here,
    measured on this machine), and a small model's steps are made of such products. A large
    model skips this (its products have more rows, and memory matters more).
    """
    tr = model.transformer
    pairs = [(tr.ln_f, model.lm_head)]
    for blk in tr.h:
        pairs += [(blk.ln_1, blk.attn.c_attn), (None, blk.attn.c_proj)]
        pairs += [(blk.ln_2, blk.mlp.c_fc), (None, blk.mlp.c_proj)]
    if sum(lin.weight._data.nbytes for _, lin in pairs) > limit:
        return {}
    plan = {}
    for ln, lin in pairs:
        plan[id(lin)] = _fold(ln, lin)
        if ln is not None:
            k, dt = ln.normalized_shape[0], lin.weight.dtype
            plan[id(ln)] = (np.full(k, 1.0 / k, dt), dt.type(ln.eps))
    return plan


def usable(model: Module) -> bool:
    """Whether ``model`` is a stock GPT (every module one of gpt.py's or nn's own), in eval
    mode and without forward hooks: then this path computes what its modules would."""
    from .gpt import GPT, MLP, Block, CausalSelfAttention

    stock = (GPT, Block, CausalSelfAttention, MLP, Linear, LayerNorm, Embedding, GELU, Dropout)
    own = {"ModuleDict", "ModuleList"}
    for m in model.modules():
        if m.training or m._forward_pre_hooks or m._forward_hooks:
            return False
        if type(m) not in stock and type(m).__name__ not in own:
            return False
    return True


def _attention(
    attn, x: np.ndarray, B: int, T: int, cache, layer: int, plan, last: bool = False
) -> np.ndarray:
    """Self-attention of x (B * T, C); with ``last``, only the last position's output
    (B, C): the keys and values of every position, the query of the last one alone."""
    C = x.shape[-1]
    nh = attn.n_head
    qkv = _linear(attn.c_attn, x, plan).reshape(B, T, 3, nh, C // nh).transpose(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]  # (B, nh, T, hd)
    start = cache.length
    cache.k[layer][:, :, start : start + T] = k
    cache.v[layer][:, :, start : start + T] = v
    k, v = cache.k[layer][:, :, : start + T], cache.v[layer][:, :, : start + T]
    if T > 1 and start:
        raise ValueError("GPT: a cached forward after the prefill takes one token")
    if last:  # the last query sees every key: no mask
        q, T = q[:, :, -1:], 1
    y = _run(ScaledDotProductAttention, q, k, v, scale=default_scale(C // nh), causal=T > 1)
    return _linear(attn.c_proj, y.transpose(0, 2, 1, 3).reshape(B * T, C), plan)


def last_logits(model, idx: np.ndarray, cache, plan: dict | None = None) -> np.ndarray:
    """Logits (B, vocab) at the last position of idx (B, T), writing keys/values to cache.

    ``plan`` is :func:`prepare`'s result (None: the weights as they are)."""
    B, T = idx.shape
    start = cache.length
    if start + T > model.config.block_size:
        raise ValueError(
            f"GPT: cannot forward {start + T} positions, block_size is only "
            f"{model.config.block_size}"
        )
    tr = model.transformer
    vocab = tr.wte.num_embeddings
    if idx.size and (idx.min() < 0 or idx.max() >= vocab):  # as Embedding raises
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise IndexError(f"index {bad} out of range [0, {vocab})")
    x = _arr(tr.wte.weight)[idx] + _arr(tr.wpe.weight)[start : start + T]
    x = x.reshape(B * T, -1)
    n = len(tr.h)
    for i, blk in enumerate(tr.h):
        # the last block computes only the last position: no later layer reads the others
        last = i == n - 1
        a = _attention(blk.attn, _norm(blk.ln_1, x, plan), B, T, cache, i, plan, last)
        x = (x.reshape(B, T, -1)[:, -1] if last else x) + a
        mlp = blk.mlp
        h = _linear(mlp.c_fc, _norm(blk.ln_2, x, plan), plan)
        h = _run(GELUOp, h, approximate=mlp.gelu.approximate)
        x = x + _linear(mlp.c_proj, h, plan)
    cache.length += T  # x is now (B, C): the last position (GPTConfig has n_layer >= 1)
    return _linear(model.lm_head, _norm(tr.ln_f, x, plan), plan)
