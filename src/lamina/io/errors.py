"""The one error lamina raises for files it cannot or will not read."""

from __future__ import annotations

import os

__all__ = ["LaminaFileError"]


class LaminaFileError(ValueError):
    """A file is unreadable, truncated, corrupted or hostile.

    Raised instead of whatever the underlying parser threw (``zipfile.BadZipFile``,
    ``pickle.UnpicklingError``, ``struct.error``, a safetensors ``SafetensorError`` ...), so
    callers catch one type. The message names the file, the key or offset, and what was
    expected. It subclasses ``ValueError`` so code that already catches bad values keeps
    working. No PyTorch equivalent: ``torch.load`` raises the parser's own errors.

    Args:
        path: the file being read (str or path-like); shown first in the message.
        message: what was wrong, where (key/offset) and what was expected.
    """

    def __init__(self, path: str | os.PathLike | None, message: str) -> None:
        self.path = None if path is None else os.fspath(path)
        self.detail = message
        where = f"{self.path}: " if self.path is not None else ""
        super().__init__(f"{where}{message}")
