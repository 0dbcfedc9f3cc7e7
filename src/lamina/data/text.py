"""Text for language models: tokenizers and LM windows.

Character and word tokenizers with a vocabulary (``min_freq``, an unknown token, JSON
save/load) and a dataset of next-token windows. Sampling, ``generate`` and ``complete``
live in :mod:`lamina.models.generation` (they run a model). The bundled corpus
``load_shakespeare()`` is the first ~1 MB of Shakespeare's plays (public domain; as
compiled for char-rnn by A. Karpathy).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from importlib import resources
from pathlib import Path

import numpy as np

from ..io._atomic import atomic_write_bytes
from ..io._budget import Budget, json_cost
from ..io.errors import LaminaFileError

__all__ = [
    "CharTokenizer",
    "WordTokenizer",
    "LMWindowDataset",
    "load_shakespeare",
]

_WORD_RE = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*|[0-9]+|\n|[^\sA-Za-z0-9]")
_NO_SPACE_BEFORE = set(".,;:!?')]")


def load_shakespeare() -> str:
    """The bundled Shakespeare text (~1 MB, 65 distinct characters)."""
    return resources.files("lamina.data").joinpath("datasets/tinyshakespeare.txt").read_text()


class _Vocab:
    """Shared vocabulary logic: itos list, stoi dict, unknown token, JSON round trip."""

    kind = "base"

    def __init__(self, itos=None, unk_token: str | None = None) -> None:
        self.unk_token = unk_token
        self.itos: list[str] = list(itos or [])
        self.stoi = {s: i for i, s in enumerate(self.itos)}
        if unk_token is not None and unk_token not in self.stoi:
            raise ValueError(f"{type(self).__name__}: unk_token {unk_token!r} not in vocabulary")

    def __len__(self) -> int:
        return len(self.itos)

    @property
    def vocab_size(self) -> int:
        return len(self.itos)

    @property
    def unk_id(self) -> int | None:
        return None if self.unk_token is None else self.stoi[self.unk_token]

    def _build(self, tokens, min_freq: int, max_size: int | None = None) -> None:
        counts = Counter(tokens)
        keep = sorted(
            (t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t)
        )
        specials = [self.unk_token] if self.unk_token is not None else []
        keep = [t for t in keep if t not in specials]
        self.itos = specials + keep[: None if max_size is None else max_size - len(specials)]
        self.stoi = {s: i for i, s in enumerate(self.itos)}

    def _ids(self, tokens) -> np.ndarray:
        unk = self.unk_id
        if unk is None:
            bad = [t for t in tokens if t not in self.stoi]
            if bad:
                raise ValueError(
                    f"{type(self).__name__}.encode: token {bad[0]!r} is not in the vocabulary "
                    "and there is no unk_token"
                )
            return np.fromiter((self.stoi[t] for t in tokens), np.int64, len(tokens))
        return np.fromiter((self.stoi.get(t, unk) for t in tokens), np.int64, len(tokens))

    def _config(self) -> dict:
        return {"kind": self.kind, "itos": self.itos, "unk_token": self.unk_token}

    def save(self, path) -> None:
        """Write the vocabulary and settings as JSON (atomically: temp file, then rename)."""
        atomic_write_bytes(path, json.dumps(self._config(), ensure_ascii=False).encode())

    @classmethod
    def load(cls, path):
        """Read a tokenizer written by ``save``.

        Raises:
            LaminaFileError: (a ValueError) the file is not UTF-8 JSON, holds another kind
                of tokenizer, or has a malformed field (unknown key, a vocabulary that is not
                a list of distinct strings, an unk_token outside it, a non-bool ``lower``).
        """
        return cls(**_read_config(path, cls.kind, cls._fields))


def _read_config(path, kind: str, fields: tuple) -> dict:
    """Parse and check a tokenizer file; every fault is a LaminaFileError naming the file."""
    path = Path(path)
    raw = path.read_bytes()
    Budget(str(path), len(raw)).charge(json_cost(raw), "the tokenizer JSON")  # priced first
    try:
        cfg = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:  # JSONDecodeError: ValueError
        raise LaminaFileError(path, f"not a UTF-8 JSON tokenizer file ({str(e)[:200]})") from None
    if not isinstance(cfg, dict):
        raise LaminaFileError(path, f"holds a JSON {type(cfg).__name__}, expected an object")
    if cfg.get("kind") != kind:
        raise LaminaFileError(path, f"holds a {cfg.get('kind')!r} tokenizer, expected {kind!r}")
    cfg = {k: v for k, v in cfg.items() if k != "kind"}
    extra = sorted(set(cfg) - set(fields))
    if extra:
        raise LaminaFileError(path, f"unexpected keys {extra[:5]}, expected {list(fields)}")
    itos = cfg.get("itos")
    if not isinstance(itos, list) or not all(isinstance(t, str) for t in itos):
        raise LaminaFileError(path, "'itos' must be a list of strings (the vocabulary)")
    seen: set[str] = set()
    for token in itos:  # one pass: the first repeated token is named
        if token in seen:
            raise LaminaFileError(path, f"token {token[:40]!r} appears twice in 'itos'")
        seen.add(token)
    unk = cfg.get("unk_token")
    if "unk_token" not in cfg or not (unk is None or isinstance(unk, str)):
        raise LaminaFileError(path, f"'unk_token' must be a string or null, got {unk!r:.40}")
    if unk is not None and unk not in itos:
        raise LaminaFileError(path, f"unk_token {unk[:40]!r} is not in the vocabulary")
    if not isinstance(cfg.get("lower", True), bool):
        raise LaminaFileError(path, f"'lower' must be true or false, got {cfg['lower']!r:.40}")
    return cfg


class CharTokenizer(_Vocab):
    """One token per character (Karpathy's char-rnn); vocabulary sorted by frequency.

    Example: ``tok = CharTokenizer.fit(text); ids = tok.encode("To be"); tok.decode(ids)``.
    """

    kind = "char"
    _fields = ("itos", "unk_token")

    @classmethod
    def fit(cls, text: str, min_freq: int = 1, unk_token: str | None = None):
        """Build the vocabulary from text; with unk_token, rare characters map to it."""
        tok = cls(unk_token=None)
        tok.unk_token = unk_token
        tok._build(list(text), min_freq)
        return tok

    def tokenize(self, text: str) -> list[str]:
        return list(text)

    def encode(self, text: str) -> np.ndarray:
        return self._ids(list(text))

    def decode(self, ids) -> str:
        return "".join(self.itos[int(i)] for i in np.asarray(ids).reshape(-1))


class WordTokenizer(_Vocab):
    """Words, numbers, punctuation marks and newlines as tokens (lower-cased by default).

    Tokens seen fewer than ``min_freq`` times map to ``unk_token``. ``decode`` joins words
    with spaces and attaches punctuation as ordinary English text does.
    """

    kind = "word"
    _fields = ("itos", "unk_token", "lower")

    def __init__(self, itos=None, unk_token: str | None = "<unk>", lower: bool = True) -> None:
        self.lower = lower
        super().__init__(itos, unk_token)

    @classmethod
    def fit(
        cls,
        text: str,
        min_freq: int = 1,
        max_size: int | None = None,
        unk_token: str | None = "<unk>",
        lower: bool = True,
    ):
        """Build the vocabulary: tokens seen >= min_freq times, the max_size most frequent."""
        tok = cls(unk_token=None, lower=lower)
        tok.unk_token = unk_token
        tok._build(tok.tokenize(text), min_freq, max_size)
        return tok

    def tokenize(self, text: str) -> list[str]:
        return _WORD_RE.findall(text.lower() if self.lower else text)

    def encode(self, text: str) -> np.ndarray:
        return self._ids(self.tokenize(text))

    def decode(self, ids) -> str:
        out = []
        for i in np.asarray(ids).reshape(-1):
            tok = self.itos[int(i)]
            if out and tok not in _NO_SPACE_BEFORE and tok != "\n" and out[-1] != "\n":
                out.append(" ")
            out.append(tok)
        return "".join(out)

    def _config(self) -> dict:
        return {**super()._config(), "lower": self.lower}


class LMWindowDataset:
    """Next-token windows over a token stream (torch Dataset protocol).

    Item i is ``(ids[s:s+seq_len], ids[s+1:s+seq_len+1])`` with ``s = i * stride``.
    """

    def __init__(self, ids, seq_len: int, stride: int | None = None) -> None:
        self.ids = np.asarray(ids, dtype=np.int64)
        if seq_len < 1 or len(self.ids) < seq_len + 1:
            raise ValueError(
                f"LMWindowDataset: need seq_len >= 1 and at least seq_len + 1 = {seq_len + 1} "
                f"tokens, got seq_len={seq_len} and {len(self.ids)} tokens"
            )
        self.seq_len, self.stride = seq_len, stride or seq_len
        self.n = (len(self.ids) - seq_len - 1) // self.stride + 1

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        if not -self.n <= i < self.n:
            raise IndexError(f"LMWindowDataset: index {i} out of range for {self.n} windows")
        s = (i % self.n) * self.stride
        return self.ids[s : s + self.seq_len], self.ids[s + 1 : s + self.seq_len + 1]

    def batches(self, batch_size: int, shuffle: bool = True, rng=None):
        """Yield (x, y) int64 arrays (B, seq_len), shuffled with lamina's generator."""
        from ..random import default_rng

        order = (rng or default_rng()).permutation(self.n) if shuffle else np.arange(self.n)
        starts = order * self.stride
        offs = np.arange(self.seq_len + 1)
        for b in range(0, self.n, batch_size):
            w = self.ids[starts[b : b + batch_size, None] + offs]  # (B, seq_len + 1)
            yield w[:, :-1], w[:, 1:]
