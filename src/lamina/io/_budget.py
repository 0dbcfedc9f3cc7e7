"""The memory budget of one load: what a file of a given size may make a reader allocate."""

from __future__ import annotations

from .errors import LaminaFileError

__all__ = ["Budget", "budget_for", "json_cost"]

HEADROOM = 64 << 20  # tied weights, widening bfloat16, Python objects of a small file


def budget_for(file_size: int) -> int:
    """Bytes a load of a ``file_size``-byte file may allocate: 4 x the file + 64 MiB."""
    return 4 * file_size + HEADROOM


class Budget:
    """Bytes this load may still allocate (``budget_for(file_size)`` at the start).

    Readers charge every allocation whose size comes from the file *before* making it, so a
    hostile size is refused with ``LaminaFileError`` instead of exhausting memory.
    """

    def __init__(self, path: str, file_size: int) -> None:
        self.path, self.file_size = path, file_size
        self.left = budget_for(file_size)

    def charge(self, nbytes: int, what: str) -> None:
        if nbytes > self.left:
            raise LaminaFileError(
                self.path,
                f"{what} needs {nbytes} bytes, more than the {self.left} bytes left to a load "
                f"of a {self.file_size}-byte file (memory budget 4 x file size + 64 MiB; "
                "corrupted or hostile sizes)",
            )
        self.left -= nbytes


def json_cost(text: bytes | str) -> int:
    """Upper estimate of the memory ``json.loads(text)`` and its validation take, in bytes.

    CPython spends about 600 bytes on a small dict, 120 on a list and 60 on a number or a
    string beside the text itself; counting the brackets and commas (one pass in C) prices a
    header before it is parsed, so 200,000 empty tensors in a 10 MB header are refused, not
    built (they take about 290 MiB).
    """
    opens = b"{" if isinstance(text, bytes) else "{"
    lists = b"[" if isinstance(text, bytes) else "["
    commas = b"," if isinstance(text, bytes) else ","
    return (
        2 * len(text) + 600 * text.count(opens) + 120 * text.count(lists) + 60 * text.count(commas)
    )
