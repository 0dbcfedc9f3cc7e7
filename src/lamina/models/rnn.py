"""Recurrent models: a token language model and a sequence forecaster.

``RNNLanguageModel`` is embedding -> LSTM/GRU/RNN stack -> linear (the char-rnn /
word-level LM shape of PyTorch's word_language_model example); ``RNNForecaster`` maps a
window of past values to the next ``horizon`` values. ``lm_loss`` is the mean token
cross-entropy (torch.nn.functional.cross_entropy over flattened tokens).
"""

from __future__ import annotations

import numpy as np

from .. import nn
from ..nn import functional as F
from ..tensor import Tensor
from .registry import register

__all__ = ["RNNLanguageModel", "RNNForecaster", "lm_loss", "detach_state"]

_CELLS = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}


def _cell(cell: str, where: str) -> str:
    if cell.lower() not in _CELLS:
        raise ValueError(f"{where}: cell must be one of {sorted(_CELLS)}, got {cell!r}")
    return _CELLS[cell.lower()]


def lm_loss(logits: Tensor, targets) -> Tensor:
    """Mean cross-entropy of logits (..., V) against integer targets (...)."""
    t = np.asarray(targets._data if isinstance(targets, Tensor) else targets, dtype=np.int64)
    V = logits.shape[-1]
    if t.shape != tuple(logits.shape[:-1]):
        raise ValueError(
            f"lm_loss: targets shape {t.shape} != logits shape[:-1] {tuple(logits.shape[:-1])}"
        )
    if t.size and (t.min() < 0 or t.max() >= V):
        raise ValueError(f"lm_loss: targets must lie in [0, {V}), got {t.min()}..{t.max()}")
    return F.cross_entropy(logits.reshape(-1, V), t.reshape(-1))


def detach_state(state):
    """Cut a carried state from its graph (truncated BPTT); works on tuples and None."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


@register()
class RNNLanguageModel(nn.Module):
    """Embedding -> recurrent stack -> linear head over the vocabulary.

    forward(idx (N, T) int, state=None) -> (logits (N, T, V), state); pass the returned
    state back in to continue a sequence (generation, truncated BPTT).
    """

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int = 64,
        hidden_size: int = 256,
        num_layers: int = 1,
        cell: str = "lstm",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        kind = _cell(cell, "RNNLanguageModel")
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.rnn = getattr(nn, kind)(
            embed_dim, hidden_size, num_layers, batch_first=True, dropout=dropout
        )
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, idx, state=None):
        out, state = self.rnn(self.embedding(idx), state)
        return self.head(out), state


@register()
class RNNForecaster(nn.Module):
    """Past window (N, lookback, input_size) -> next ``horizon`` values (N, horizon).

    An LSTM/GRU reads the window; a linear layer maps its last hidden state to the
    forecast (the Keras ``LSTM(...) -> Dense(horizon)`` shape).
    """

    def __init__(
        self,
        input_size: int = 1,
        hidden_size: int = 32,
        num_layers: int = 1,
        horizon: int = 1,
        cell: str = "lstm",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        kind = _cell(cell, "RNNForecaster")
        self.rnn = getattr(nn, kind)(
            input_size, hidden_size, num_layers, batch_first=True, dropout=dropout
        )
        self.head = nn.Linear(hidden_size, horizon)

    def forward(self, x):
        if x.ndim == 2:  # (N, lookback) univariate
            x = x.unsqueeze(-1)
        out, _ = self.rnn(x)
        return self.head(out[:, -1])
