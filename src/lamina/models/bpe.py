"""GPT-2's byte-level BPE tokenizer, read from a checkpoint's vocab.json and merges.txt.

Implemented here rather than through the ``tokenizers`` package so that ``lamina
complete`` needs nothing beyond lamina's runtime dependencies (NumPy); GPT-2's vocabulary
is small enough that pure Python is quick for prompts. Pre-tokenisation uses GPT-2's
pattern with the standard ``re`` module: ``\\p{L}`` becomes ``[^\\W\\d_]`` (Unicode
letters) and ``\\p{N}`` becomes ``\\d``, which differ from the ``regex`` module only on
rare numeric symbols such as superscripts.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache

__all__ = ["ByteLevelBPE", "bytes_to_unicode"]

_PATTERN = re.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+"""
)
_MAX_FILE = 64 << 20  # vocab.json / merges.txt larger than this are refused


@lru_cache
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's map from each byte to a printable character (encoder.py)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def _read(path: str) -> str:
    if os.path.getsize(path) > _MAX_FILE:
        raise ValueError(f"{path}: larger than {_MAX_FILE >> 20} MiB; refusing to read it")
    with open(path, encoding="utf-8") as f:
        return f.read()


class ByteLevelBPE:
    """encode(text) -> ids and decode(ids) -> text, as Hugging Face's GPT2Tokenizer."""

    def __init__(self, vocab: dict[str, int], merges: list[tuple[str, str]]) -> None:
        self.encoder = vocab
        self.decoder = {i: t for t, i in vocab.items()}
        self.merges = list(merges)
        self.ranks = {pair: i for i, pair in enumerate(self.merges)}
        self.byte_encoder = bytes_to_unicode()
        self.byte_decoder = {c: b for b, c in self.byte_encoder.items()}
        self._cache: dict[str, list[str]] = {}

    @classmethod
    def from_files(cls, vocab_file: str, merges_file: str) -> ByteLevelBPE:
        vocab = json.loads(_read(vocab_file))
        if not isinstance(vocab, dict) or not all(isinstance(i, int) for i in vocab.values()):
            raise ValueError(f"{vocab_file}: expected a JSON object of token -> int id")
        merges = []
        for n, line in enumerate(_read(merges_file).splitlines()):
            if line.startswith("#version") or not line.strip():
                continue
            parts = line.split(" ")
            if len(parts) != 2:
                raise ValueError(f"{merges_file}: line {n + 1} is not 'a b': {line[:40]!r}")
            merges.append((parts[0], parts[1]))
        return cls(vocab, merges)

    @classmethod
    def from_dir(cls, model_dir: str | os.PathLike) -> ByteLevelBPE:
        d = os.fspath(model_dir)
        return cls.from_files(os.path.join(d, "vocab.json"), os.path.join(d, "merges.txt"))

    def _bpe(self, word: str) -> list[str]:
        if word in self._cache:
            return self._cache[word]
        parts = list(word)
        while len(parts) > 1:
            pairs = [(self.ranks.get(p, 1 << 62), i) for i, p in enumerate(zip(parts, parts[1:]))]
            rank, _ = min(pairs)
            if rank == 1 << 62:
                break
            first, second = self.merges[rank]
            merged, i = [], 0
            while i < len(parts):
                if i + 1 < len(parts) and parts[i] == first and parts[i + 1] == second:
                    merged.append(first + second)
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        self._cache[word] = parts
        return parts

    def encode(self, text: str) -> list[int]:
        ids = []
        for piece in _PATTERN.findall(text):
            word = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
            for tok in self._bpe(word):
                if tok not in self.encoder:
                    raise ValueError(f"BPE: token {tok!r} is not in the vocabulary")
                ids.append(self.encoder[tok])
        return ids

    def decode(self, ids) -> str:
        text = "".join(self.decoder[int(i)] for i in ids)
        return bytearray(self.byte_decoder[c] for c in text).decode("utf-8", errors="replace")

    def __len__(self) -> int:
        return len(self.encoder)
