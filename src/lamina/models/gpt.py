"""A decoder-only Transformer language model in nanoGPT's shape and key names.

``GPT(GPTConfig(...))``: token + learned position embeddings, ``n_layer`` pre-norm blocks
(LayerNorm -> causal self-attention -> residual, LayerNorm -> MLP with GELU -> residual),
a final LayerNorm and a head tied to the token embedding. Keys follow nanoGPT and
Hugging Face's GPT-2 (``transformer.h.0.attn.c_attn.weight``...), with lamina/torch Linear
weights (out, in); ``lamina.models.gpt2`` converts Hugging Face's Conv1D (in, out).

``generate()`` samples with temperature, top-k and top-p and keeps a key-value cache, so
each new token costs one position instead of the whole prefix.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from .. import nn
from ..autograd.grad_mode import no_grad
from ..nn import functional as F
from ..random import default_rng
from ..tensor import Tensor
from . import gpt_infer
from .registry import register_builder, set_recipe

__all__ = ["GPT", "GPTConfig", "KVCache", "gpt"]


@dataclass
class GPTConfig:
    """nanoGPT's GPTConfig; ``gelu_approximate="tanh"`` is GPT-2's ``gelu_new``."""

    block_size: int = 1024
    vocab_size: int = 50304
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    dropout: float = 0.0
    bias: bool = True
    layer_norm_eps: float = 1e-5
    gelu_approximate: str = "none"

    def __post_init__(self) -> None:
        for name in ("block_size", "vocab_size", "n_layer", "n_head", "n_embd"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) <= 0:
                raise ValueError(
                    f"GPTConfig.{name} must be a positive int, got {getattr(self, name)!r}"
                )
        if self.n_embd % self.n_head:
            raise ValueError(
                f"GPTConfig: n_embd {self.n_embd} must be divisible by n_head {self.n_head}"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"GPTConfig.dropout must be in [0, 1), got {self.dropout}")

    to_dict = asdict


class KVCache:
    """Keys and values of every layer for positions [0, length), preallocated per layer.

    ``k[i]``, ``v[i]`` are (B, n_head, block_size, head_dim) arrays; a forward with a cache
    writes the new positions and attends over all cached ones.
    """

    def __init__(self, config: GPTConfig, batch: int, dtype=np.float32) -> None:
        hd = config.n_embd // config.n_head
        shape = (batch, config.n_head, config.block_size, hd)
        self.k = [np.zeros(shape, dtype) for _ in range(config.n_layer)]
        self.v = [np.zeros(shape, dtype) for _ in range(config.n_layer)]
        self.length = 0


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention with one fused q/k/v projection (``c_attn``)."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.attn_dropout = nn.Dropout(config.dropout)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.n_head, self.n_embd, self.dropout = config.n_head, config.n_embd, config.dropout

    def forward(
        self, x: Tensor, shape: tuple, cache: KVCache | None = None, layer: int = 0
    ) -> Tensor:
        B, T = shape
        C = x.shape[-1]
        q, k, v = (
            t.reshape(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            for t in self.c_attn(x).chunk(3, dim=-1)
        )  # (B, nh, T, hd)
        causal = True
        if cache is not None:
            start = cache.length
            cache.k[layer][:, :, start : start + T] = k.detach().numpy()
            cache.v[layer][:, :, start : start + T] = v.detach().numpy()
            k = Tensor(cache.k[layer][:, :, : start + T])
            v = Tensor(cache.v[layer][:, :, : start + T])
            causal = T > 1  # one new query sees every cached key
            if causal and start:
                raise ValueError("GPT: a cached forward after the prefill takes one token")
        p = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=causal)
        y = y.transpose(1, 2).reshape(B * T, C)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU(approximate=config.gelu_approximate)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    """Pre-norm Transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x))."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        eps = config.layer_norm_eps
        self.ln_1 = nn.LayerNorm(config.n_embd, eps=eps, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, eps=eps, bias=config.bias)
        self.mlp = MLP(config)

    def forward(
        self, x: Tensor, shape: tuple, cache: KVCache | None = None, layer: int = 0
    ) -> Tensor:
        """x is (B * T, C): the linear layers then run as one 2-D GEMM each."""
        x = x + self.attn(self.ln_1(x), shape, cache, layer)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """Decoder-only language model (nanoGPT's GPT; GPT-2's architecture).

    ``forward(idx (B, T) int, targets=None)`` returns ``(logits (B, T, vocab), loss)``;
    ``loss`` is the mean cross-entropy when targets are given (-1 targets are ignored),
    else None.
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(
            {
                "wte": nn.Embedding(config.vocab_size, config.n_embd),
                "wpe": nn.Embedding(config.block_size, config.n_embd),
                "drop": nn.Dropout(config.dropout),
                "h": nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
                "ln_f": nn.LayerNorm(config.n_embd, eps=config.layer_norm_eps, bias=config.bias),
            }
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # weight tying
        self._init_weights()
        if type(self) is GPT:  # save_pretrained writes builder "gpt" with the config's fields
            set_recipe(self, "gpt", config.to_dict())

    def _init_weights(self) -> None:
        # GPT-2: N(0, 0.02), zero biases, residual projections scaled by 1/sqrt(2 n_layer)
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif name.endswith("c_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * self.config.n_layer))
            elif p.ndim == 2:
                nn.init.normal_(p, 0.0, 0.02)

    def num_parameters(self, non_embedding: bool = True) -> int:
        """Parameter count, the tied head once; without position embeddings by default."""
        n = sum(p.numel() for p in self.parameters())
        return n - self.transformer.wpe.weight.numel() if non_embedding else n

    def forward(self, idx, targets=None, cache: KVCache | None = None):
        idx = np.asarray(idx.numpy() if isinstance(idx, Tensor) else idx)
        if idx.ndim != 2 or idx.dtype.kind not in "iu":
            raise ValueError(f"GPT: idx must be (B, T) integers, got {idx.dtype} {idx.shape}")
        B, T = idx.shape
        start = 0 if cache is None else cache.length
        if start + T > self.config.block_size:
            raise ValueError(
                f"GPT: cannot forward {start + T} positions, block_size is only "
                f"{self.config.block_size}"
            )
        # positions embed once, (T, C), and broadcast over the batch: no size computed from B,
        # so an ONNX export keeps a dynamic batch axis
        pos = self.transformer.wpe(np.arange(start, start + T))
        x = (self.transformer.wte(idx) + pos).reshape(B * T, -1)  # (B * T, C)
        x = self.transformer.drop(x)
        for i, block in enumerate(self.transformer.h):
            x = block(x, (B, T), cache, i)
        if cache is not None:
            cache.length += T
        logits = self.lm_head(self.transformer.ln_f(x))  # (B * T, vocab)
        loss = None
        if targets is not None:
            t = np.asarray(targets.numpy() if isinstance(targets, Tensor) else targets, np.int64)
            loss = F.cross_entropy(logits, t.reshape(-1), ignore_index=-1)
        return logits.reshape(B, T, -1), loss

    def generate(
        self, idx, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None,
        top_p: float | None = None, use_cache: bool = True, generator=None,
    ) -> np.ndarray:  # fmt: skip
        """Append ``max_new_tokens`` sampled tokens to idx (B, T); returns (B, T + new).

        ``temperature=0`` picks the most likely token. Draws come from ``generator`` (a
        numpy Generator) or lamina's global one (``lamina.manual_seed``). With the cache,
        a context that outgrows ``block_size`` is cropped and prefilled again, as the
        uncached model crops it, so both give the same tokens. A stock model without hooks
        runs the cached steps on arrays (``gpt_infer``: same kernels, no graph machinery).
        """
        from ._sampling import sample_next

        idx = np.asarray(idx.numpy() if isinstance(idx, Tensor) else idx, dtype=np.int64)
        rng = generator if generator is not None else default_rng()
        bs, cache = self.config.block_size, None
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                lean = use_cache and gpt_infer.usable(self)  # the decode step on arrays
                plan = gpt_infer.prepare(self) if lean else None
                for _ in range(max_new_tokens):
                    if use_cache and cache is not None and cache.length < bs:
                        ctx = idx[:, -1:]
                    else:
                        dt = self.lm_head.weight.dtype
                        cache = KVCache(self.config, idx.shape[0], dt) if use_cache else None
                        ctx = idx[:, -bs:]
                    if lean:
                        logits = gpt_infer.last_logits(self, ctx, cache, plan)
                    else:
                        logits = self(ctx, cache=cache)[0].numpy()[:, -1]
                    nxt = sample_next(logits, temperature, top_k, top_p, rng)
                    idx = np.concatenate([idx, nxt[:, None]], axis=1)
        finally:
            self.train(was_training)
        return idx


def gpt(**config: object) -> GPT:
    """``GPT(GPTConfig(**config))``: the builder a saved GPT's recipe names (``"gpt"``)."""
    return GPT(GPTConfig(**config))  # type: ignore[arg-type]


register_builder(gpt)
