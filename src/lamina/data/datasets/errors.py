"""The error raised for a dataset file that is missing, truncated or malformed."""

from __future__ import annotations

from ...io.errors import LaminaFileError


class DatasetFileError(LaminaFileError):
    """A dataset file does not hold what its format promises (bad header, size, records).

    A :class:`lamina.io.errors.LaminaFileError` (so a ValueError too); the message names
    the file, the bad value and the expected one.
    """

    def __init__(self, message: str) -> None:
        self.path, self.detail = None, message
        ValueError.__init__(self, message)
