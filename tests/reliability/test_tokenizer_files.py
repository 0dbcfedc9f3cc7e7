"""Tokenizer JSON files (lamina.data.text): hostile and fuzzed input gives LaminaFileError."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lamina.data.text import CharTokenizer, WordTokenizer
from lamina.io import LaminaFileError

GOOD_CHAR = {"kind": "char", "itos": ["a", "b", "<u>"], "unk_token": "<u>"}
GOOD_WORD = {"kind": "word", "itos": ["<unk>", "the", "."], "unk_token": "<unk>", "lower": True}

HOSTILE = {
    "not-utf8": (CharTokenizer, b"\xff\xfe\x00{", "UTF-8"),
    "not-json": (CharTokenizer, b'{"kind": "char", "itos": [', "JSON"),
    "empty": (CharTokenizer, b"", "JSON"),
    "a-list": (CharTokenizer, b'["a", "b"]', "object"),
    "wrong-kind": (CharTokenizer, json.dumps(GOOD_WORD).encode(), "'word'"),
    "extra-key": (CharTokenizer, json.dumps({**GOOD_CHAR, "__class__": "os.system"}), "__class__"),
    "itos-not-list": (CharTokenizer, json.dumps({**GOOD_CHAR, "itos": "abc"}), "itos"),
    "itos-nested": (CharTokenizer, json.dumps({**GOOD_CHAR, "itos": [["a"], "b"]}), "itos"),
    "itos-duplicates": (CharTokenizer, json.dumps({**GOOD_CHAR, "itos": ["a", "a"]}), "twice"),
    "unk-missing": (CharTokenizer, json.dumps({**GOOD_CHAR, "unk_token": "?"}), "'?'"),
    "unk-not-str": (WordTokenizer, json.dumps({**GOOD_WORD, "unk_token": [1]}), "unk_token"),
    "lower-not-bool": (WordTokenizer, json.dumps({**GOOD_WORD, "lower": "yes"}), "lower"),
    "no-itos": (WordTokenizer, b'{"kind": "word"}', "itos"),
    "deep-nesting": (CharTokenizer, b"[" * 100_000 + b"]" * 100_000, "JSON"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_tokenizer_files(tmp_path, name):
    cls, data, match = HOSTILE[name]
    path = tmp_path / f"{name}.json"
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    with pytest.raises(LaminaFileError, match=match) as info:
        cls.load(path)
    assert str(path) in str(info.value)


def test_round_trip_still_works(tmp_path):
    tok = WordTokenizer.fit("The cat sat. The dog sat.", min_freq=1)
    tok.save(tmp_path / "w.json")
    back = WordTokenizer.load(tmp_path / "w.json")
    np.testing.assert_array_equal(back.encode("the cat"), tok.encode("the cat"))
    char = CharTokenizer.fit("hello")
    char.save(tmp_path / "c.json")
    assert CharTokenizer.load(tmp_path / "c.json").decode(char.encode("hello")) == "hello"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def _configs(draw, cls):
    """Mostly well-formed configs for ``cls``, some fields swapped for arbitrary JSON."""
    itos = draw(st.lists(st.text(min_size=1, max_size=3), max_size=6, unique=True))
    cfg = {
        "kind": draw(st.sampled_from([cls.kind, cls.kind, "char", "word", "x"])),
        "itos": itos,
        "unk_token": draw(st.none() | (st.sampled_from(itos) if itos else st.none())),
        "lower": draw(st.booleans()),
    }
    if cls is CharTokenizer:
        del cfg["lower"]
    for key in draw(
        st.lists(st.sampled_from(["itos", "unk_token", "lower", "kind", "y"]), max_size=2)
    ):
        cfg[key] = draw(_JSON)
    for key in draw(st.lists(st.sampled_from(["itos", "unk_token", "lower"]), max_size=1)):
        cfg.pop(key, None)
    return cfg


def test_fuzz_tokenizer_files(tmp_path):
    count, loaded = 0, 0

    @settings(
        max_examples=300,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data(), cls=st.sampled_from([CharTokenizer, WordTokenizer]))
    def case(data, cls):
        nonlocal count, loaded
        count += 1
        cfg = data.draw(_configs(cls) | _JSON)
        raw, cut = json.dumps(cfg).encode(), data.draw(st.none() | st.integers(0, 200))
        path = tmp_path / "t.json"
        path.write_bytes(raw if cut is None else raw[:cut])
        try:
            tok = cls.load(path)
        except LaminaFileError:
            return
        loaded += 1
        assert isinstance(tok.decode(np.arange(len(tok.itos))), str)  # a usable vocabulary

    case()
    print(f"\nfuzz tokenizer cases: {count} ({loaded} loaded, the rest refused)")
    assert count >= 150
