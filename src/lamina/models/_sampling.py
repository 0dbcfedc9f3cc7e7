"""Next-token sampling on logits arrays: temperature, top-k, top-p (nucleus)."""

from __future__ import annotations

import numpy as np


def filter_logits(logits: np.ndarray, top_k: int | None, top_p: float | None) -> np.ndarray:
    """-inf outside the top-k and outside the smallest set whose probability reaches top_p.

    As Hugging Face's TopK/TopP warpers: ties at the k-th value stay in, and the most
    likely token always stays.
    """
    out = np.array(logits, dtype=np.float64)
    if top_k is not None:
        if top_k <= 0:
            raise ValueError(f"top_k must be a positive int, got {top_k}")
        k = min(top_k, out.shape[-1])
        kth = np.sort(out, axis=-1)[:, -k][:, None]
        out[out < kth] = -np.inf
    if top_p is not None:
        if not 0.0 < top_p <= 1.0:
            raise ValueError(f"top_p must be in (0, 1], got {top_p}")
        order = np.argsort(-out, axis=-1, kind="stable")
        probs = _softmax(np.take_along_axis(out, order, axis=-1))
        before = np.cumsum(probs, axis=-1) - probs  # mass of the more likely tokens
        drop = before >= top_p
        drop[:, 0] = False
        np.put_along_axis(
            out, order, np.where(drop, -np.inf, np.take_along_axis(out, order, -1)), -1
        )
    return out


def _softmax(x: np.ndarray) -> np.ndarray:
    m = x.max(axis=-1, keepdims=True)
    with np.errstate(under="ignore"):
        e = np.exp(x - m)
    return e / e.sum(axis=-1, keepdims=True)


def sample_next(logits, temperature: float, top_k, top_p, rng: np.random.Generator) -> np.ndarray:
    """One token per row of logits (B, V): argmax at temperature 0, else a draw."""
    logits = np.asarray(logits, dtype=np.float64)
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if temperature == 0:
        return logits.argmax(axis=-1).astype(np.int64)
    probs = _softmax(filter_logits(logits / temperature, top_k, top_p))
    u = rng.random(probs.shape[0])[:, None]
    # inverse CDF: the first token whose cumulative probability exceeds u
    idx = (np.cumsum(probs, axis=-1) <= u).sum(axis=-1)
    return np.minimum(idx, probs.shape[-1] - 1).astype(np.int64)
