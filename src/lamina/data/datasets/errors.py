"""The error raised for a dataset file that is missing, truncated or malformed."""

from __future__ import annotations


class DatasetFileError(ValueError):
    """A dataset file does not hold what its format promises (bad header, size, records).

    A ValueError, so ``except ValueError`` catches it; the message names the file, the bad
    value and the expected one.
    """
