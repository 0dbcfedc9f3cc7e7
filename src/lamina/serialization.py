"""``torch.serialization``'s allow-list of classes for ``torch.load(weights_only=True)``.

torch unpickles only the classes on this list; lamina never unpickles a class (its files
hold arrays and a JSON skeleton), so the list changes nothing about what ``lamina.load``
reads. It is kept, with torch's functions, so scripts that register their model classes
before loading (pytorch/examples' word_language_model) run as written.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

_SAFE: list[Any] = []


def add_safe_globals(safe_globals: list[Any]) -> None:
    """Add classes or functions to the allow-list (torch.serialization.add_safe_globals)."""
    _SAFE.extend(g for g in safe_globals if g not in _SAFE)


def get_safe_globals() -> list[Any]:
    """A copy of the allow-list (torch.serialization.get_safe_globals)."""
    return list(_SAFE)


def clear_safe_globals() -> None:
    """Empty the allow-list (torch.serialization.clear_safe_globals)."""
    _SAFE.clear()


@contextlib.contextmanager
def safe_globals(safe_globals: list[Any]) -> Iterator[None]:
    """Allow-list these for the ``with`` block only (torch.serialization.safe_globals)."""
    add_safe_globals(safe_globals)
    try:
        yield
    finally:  # torch drops them on exit, even ones that were listed before the block
        _SAFE[:] = [g for g in _SAFE if g not in safe_globals]
