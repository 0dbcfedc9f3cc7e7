"""Tokenizers and LM windows."""

import numpy as np
import pytest

from lamina.data.text import (
    CharTokenizer,
    LMWindowDataset,
    WordTokenizer,
    load_shakespeare,
)

TEXT = "To be, or not to be: that is the question.\nTo be is to do; to do is to be.\n"


def test_char_roundtrip_and_json(tmp_path):
    tok = CharTokenizer.fit(TEXT)
    ids = tok.encode(TEXT)
    assert ids.dtype == np.int64 and tok.decode(ids) == TEXT
    assert tok.itos[0] == " "  # most frequent first
    tok.save(tmp_path / "t.json")
    tok2 = CharTokenizer.load(tmp_path / "t.json")
    assert tok2.itos == tok.itos and tok2.decode(tok2.encode("be")) == "be"
    with pytest.raises(ValueError, match="not in the vocabulary"):
        tok.encode("Z")
    with pytest.raises(ValueError, match="expected 'word'"):
        WordTokenizer.load(tmp_path / "t.json")


def test_char_unk():
    tok = CharTokenizer.fit(TEXT, unk_token="~")
    assert tok.decode(tok.encode("bZ")) == "b~"


def test_word_vocab_min_freq_unk_decode(tmp_path):
    tok = WordTokenizer.fit(TEXT, min_freq=2)
    assert tok.itos[0] == "<unk>" and "to" in tok.stoi and "question" not in tok.stoi
    assert tok.tokenize("Don't stop.\n") == ["don't", "stop", ".", "\n"]
    ids = tok.encode("to be, or not to question")
    assert ids[-1] == tok.unk_id
    assert tok.decode(tok.encode("to be is to do.\nto")) == "to be is to do.\nto"
    tok.save(tmp_path / "w.json")
    tok2 = WordTokenizer.load(tmp_path / "w.json")
    assert tok2.itos == tok.itos and tok2.lower and tok2.unk_token == "<unk>"
    assert len(WordTokenizer.fit(TEXT, max_size=5)) == 5


def test_lm_windows():
    ids = np.arange(20)
    ds = LMWindowDataset(ids, seq_len=6, stride=4)
    assert len(ds) == 4
    x, y = ds[1]
    assert x.tolist() == list(range(4, 10)) and y.tolist() == list(range(5, 11))
    batches = list(ds.batches(3, shuffle=False))
    assert [b[0].shape for b in batches] == [(3, 6), (1, 6)]
    np.testing.assert_array_equal(batches[0][1], batches[0][0] + 1)
    with pytest.raises(IndexError):
        ds[4]
    with pytest.raises(ValueError, match="at least seq_len"):
        LMWindowDataset(ids[:3], seq_len=6)


def test_bundled_corpus():
    text = load_shakespeare()
    assert 900_000 < len(text) <= 1_000_000 and text.startswith("First Citizen:")
    assert len(set(text)) <= 65
