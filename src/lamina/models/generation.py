"""Text generation from a language model: sampling, ``generate`` and ``complete``.

``model(ids (1, T), state)`` must return ``(logits (1, T, V), state)`` as
:class:`lamina.models.rnn.RNNLanguageModel` does, so each new token costs one step.
Sampling draws from lamina's generator (``lamina.manual_seed``). The counterpart of
Hugging Face's ``model.generate`` (temperature and top-k) for lamina's small models.
"""

from __future__ import annotations

import numpy as np

from ..autograd.grad_mode import no_grad
from ..random import default_rng
from ..tensor import Tensor

__all__ = ["generate", "complete", "sample_next"]


def _probs(logits, temperature: float = 1.0, top_k: int | None = None) -> np.ndarray:
    """Softmax of logits / temperature over the top_k entries (others 0), float64."""
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    z = np.asarray(logits, dtype=np.float64).reshape(-1) / temperature
    if top_k is not None and 0 < top_k < z.size:
        cut = np.partition(z, -top_k)[-top_k]
        z = np.where(z < cut, -np.inf, z)
    p = np.exp(z - z.max())
    return p / p.sum()


def sample_next(
    logits, temperature: float = 1.0, top_k: int | None = None, rng=None, banned=()
) -> int:
    """Draw a token id from logits (V,) with temperature and top-k (lamina's generator).

    Ids in ``banned`` (e.g. the unknown token) are never drawn.
    """
    logits = np.array(logits, dtype=np.float64).reshape(-1)
    logits[list(banned)] = -np.inf
    p = _probs(logits, temperature, top_k)
    return int((rng or default_rng()).choice(p.size, p=p))


def _step_logits(model, ids, state):
    """Run model on ids (T,) with a carried state; returns (last logits (V,), state)."""
    with no_grad():
        out = model(Tensor(np.asarray(ids, np.int64)[None, :]), state)
    logits, state = out if isinstance(out, tuple) else (out, None)
    return logits.numpy()[0, -1], state


def generate(model, tokenizer, prompt: str, n: int, temperature=1.0, top_k=None, rng=None):
    """Continue prompt by n sampled tokens (never the unknown token); returns the text.

    ``model(ids (1, T), state)`` must return ``(logits (1, T, V), state)`` (as
    ``lamina.models.rnn.RNNLanguageModel``), so each new token costs one step.
    """
    unk = getattr(tokenizer, "unk_id", None)
    banned = () if unk is None else (unk,)
    ids = tokenizer.encode(prompt)
    if len(ids) == 0:
        raise ValueError("generate: the prompt encodes to no tokens")
    logits, state = _step_logits(model, ids, None)
    out = []
    for _ in range(n):
        nxt = sample_next(logits, temperature, top_k, rng, banned)
        out.append(nxt)
        logits, state = _step_logits(model, [nxt], state)
    return tokenizer.decode(out)


def complete(model, tokenizer, prompt: str, k: int = 5) -> list[tuple[str, float]]:
    """The k most likely next tokens after prompt, with their probabilities.

    The unknown token is left out (its probability stays in the denominator).
    """
    ids = tokenizer.encode(prompt)
    if len(ids) == 0:
        raise ValueError("complete: the prompt encodes to no tokens")
    logits, _ = _step_logits(model, ids, None)
    unk = getattr(tokenizer, "unk_id", None)
    p = _probs(logits)
    if unk is not None:
        p[unk] = 0
    best = np.argsort(-p, kind="stable")[:k]
    return [(tokenizer.itos[int(i)], float(p[i])) for i in best]
