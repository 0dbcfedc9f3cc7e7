"""Sampling, generate and complete (lamina.models.generation)."""

import numpy as np
import pytest

import lamina
from lamina.data.text import WordTokenizer
from lamina.models.generation import complete, generate, sample_next
from lamina.models.rnn import RNNLanguageModel

TEXT = "To be, or not to be: that is the question.\nTo be is to do; to do is to be.\n"


def test_sampling_temperature_and_top_k():
    rng = np.random.default_rng(0)
    logits = np.array([2.0, 1.0, 0.0, -1.0])
    draws = [sample_next(logits, top_k=2, rng=rng) for _ in range(200)]
    assert set(draws) == {0, 1}
    cold = [sample_next(logits, temperature=0.01, rng=rng) for _ in range(50)]
    assert set(cold) == {0}
    with pytest.raises(ValueError, match="temperature"):
        sample_next(logits, temperature=0)


def test_generate_and_complete_shapes():
    lamina.manual_seed(0)
    tok = WordTokenizer.fit(TEXT)
    model = RNNLanguageModel(len(tok), embed_dim=8, hidden_size=16)
    out = generate(model, tok, "to be", 5, top_k=3)
    assert isinstance(out, str) and out and "<unk>" not in out
    sugg = complete(model, tok, "to be or not", k=4)
    assert len(sugg) == 4 and all(w != "<unk>" for w, _ in sugg)
    probs = [p for _, p in sugg]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1
