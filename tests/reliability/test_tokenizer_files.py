"""Tokenizer JSON files (lamina.data.text): hostile and fuzzed input gives LaminaFileError."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lamina.io import LaminaFileError

text = pytest.importorskip("lamina.data.text", reason="tokenizers land with the rnn branch")
CharTokenizer, WordTokenizer = text.CharTokenizer, text.WordTokenizer

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
_CONFIGS = st.fixed_dictionaries(
    {"kind": st.sampled_from(["char", "word", "x"])},
    optional={
        "itos": st.lists(st.text(max_size=3), max_size=6) | _JSON,
        "unk_token": st.none() | st.text(max_size=3) | _JSON,
        "lower": st.booleans() | _JSON,
    },
)


def test_fuzz_tokenizer_files(tmp_path):
    count, loaded = 0, 0

    @settings(
        max_examples=300,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        cfg=_CONFIGS | _JSON,
        cls=st.sampled_from([CharTokenizer, WordTokenizer]),
        cut=st.none() | st.integers(0, 200),
    )
    def case(cfg, cls, cut):
        nonlocal count, loaded
        count += 1
        data = json.dumps(cfg).encode()
        path = tmp_path / "t.json"
        path.write_bytes(data if cut is None else data[:cut])
        try:
            tok = cls.load(path)
        except LaminaFileError:
            return
        loaded += 1
        assert isinstance(tok.decode(np.arange(len(tok.itos))), str)  # a usable vocabulary

    case()
    print(f"\nfuzz tokenizer cases: {count} ({loaded} loaded, the rest refused)")
    assert count >= 150
