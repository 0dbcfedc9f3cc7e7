"""Small helpers shared by the ops."""

from __future__ import annotations

import numpy as np


def array_module(*arrays):
    """The array module of the inputs (NumPy today; CuPy mirrors its API)."""
    return np
