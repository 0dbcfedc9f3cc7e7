"""Checking a saved state against the live one before anything is restored.

A training checkpoint is a file: it may be stale, written by another optimizer, edited or
hostile. :func:`conform` compares a saved part with the state the live object produces
now (same keys, same kinds of values, finite numbers, arrays of the right shape) and
raises :class:`~lamina.io.LaminaFileError` naming the file, the part and the key, so that
restoring can be all-or-nothing: every part is checked first, then every part is applied.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..io import LaminaFileError

__all__ = ["PartError", "conform", "is_number", "check_number"]


class PartError(Exception):
    """Internal: a bad value at ``key``; turned into LaminaFileError with file and part."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"key {key!r}: {message}")
        self.key, self.message = key, message


def fail(path: Any, part: str, err: PartError) -> LaminaFileError:
    return LaminaFileError(path, f"training checkpoint part {part!r}, {err}")


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
        v, (bool, np.bool_)
    )


def _short(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def check_number(v: Any, key: str, finite: bool = False, minimum: float | None = None) -> None:
    """A real number (not bool, not str); never NaN; finite or >= ``minimum`` when asked."""
    if not is_number(v):
        raise PartError(key, f"{_short(v)} ({type(v).__name__}), expected a number")
    if math.isnan(v) or (finite and not math.isfinite(v)):
        raise PartError(key, f"{v!r}, expected a finite number")
    if minimum is not None and v < minimum:
        raise PartError(key, f"{v!r}, expected a number >= {minimum}")


def conform(saved: Any, live: Any, key: str = "", keyed: bool = True) -> None:
    """Raise PartError unless ``saved`` has the structure and value kinds of ``live``.

    Dicts need the same keys (``keyed``) or only known ones; numbers must be numbers
    (never NaN; a learning rate or weight decay finite and >= 0); bools bools; strings
    strings; arrays arrays of the same shape and dtype kind; sequences the same length.
    ``None`` in the live state accepts None or a number (schedulers' optional values).
    """
    name = key.rsplit(".", 1)[-1]
    if isinstance(live, Mapping):
        if not isinstance(saved, Mapping):
            raise PartError(key, f"{type(saved).__name__}, expected a dict")
        missing = [k for k in live if k not in saved]
        extra = [k for k in saved if k not in live]
        if keyed and (missing or extra):
            raise PartError(
                key or "(top)",
                f"keys differ: missing {missing[:5]}, unexpected {extra[:5]} (written by "
                "another optimizer, scheduler or callback?)",
            )
        for k in live:
            if k in saved:
                conform(saved[k], live[k], f"{key}.{k}".lstrip("."))
    elif isinstance(live, (bool, np.bool_)):
        if not isinstance(saved, (bool, np.bool_)):
            raise PartError(key, f"{_short(saved)}, expected true or false")
    elif is_number(live):
        minimum = 0.0 if name in ("lr", "weight_decay", "initial_lr", "eps") else None
        check_number(saved, key, finite=minimum is not None, minimum=minimum)
    elif isinstance(live, str):
        if not isinstance(saved, str):
            raise PartError(key, f"{_short(saved)}, expected a string")
    elif isinstance(live, np.ndarray):
        _conform_array(saved, live, key)
    elif isinstance(live, (list, tuple)):
        if not isinstance(saved, (list, tuple)) or len(saved) != len(live):
            raise PartError(key, f"{_short(saved)}, expected a sequence of {len(live)}")
        for i, (s, v) in enumerate(zip(saved, live)):
            conform(s, v, f"{key}.{i}")
    elif live is None and not (saved is None or is_number(saved)):
        raise PartError(key, f"{_short(saved)}, expected null or a number")


def _conform_array(saved: Any, live: np.ndarray, key: str) -> None:
    if not isinstance(saved, np.ndarray):
        raise PartError(key, f"{type(saved).__name__}, expected an array {live.shape}")
    if saved.shape != live.shape:
        raise PartError(key, f"shape {saved.shape}, expected {live.shape}")
    numeric = "biuf"
    if saved.dtype.kind not in numeric or (live.dtype.kind in "f") != (saved.dtype.kind in "f"):
        raise PartError(key, f"dtype {saved.dtype}, expected {live.dtype}")
