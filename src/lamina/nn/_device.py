"""Checks of the ``device=``/``dtype=`` arguments that layers and ``Module.to`` take.

lamina runs on the CPU: ``device`` may be None, ``"cpu"`` (or ``"cpu:0"``) or an object whose
``type`` is ``"cpu"`` (``lamina.device("cpu")``); anything else raises, saying so, instead of
quietly computing on the CPU while the script believes it uses a GPU.
"""

from __future__ import annotations

import numpy as np


def check_device(device, where: str) -> None:
    """Raise RuntimeError unless ``device`` names the CPU (torch's ``device=`` argument)."""
    if device is None:
        return
    kind = getattr(device, "type", device)
    if isinstance(kind, str) and kind.split(":")[0] == "cpu":
        return
    raise RuntimeError(
        f"{where}: device {str(device)!r} is not available; lamina runs on the CPU only "
        "(use device='cpu', or `'cuda' if lamina.cuda.is_available() else 'cpu'`)"
    )


def is_device(value) -> bool:
    """Whether ``value`` is a device spec (a string or a device object), not a dtype."""
    if isinstance(value, str):
        return True
    return hasattr(value, "type") and isinstance(getattr(value, "type", None), str)


def float_dtype(dtype, where: str) -> np.dtype:
    """The floating dtype a layer's parameters take: None means the default (float32)."""
    if dtype is None:
        return np.dtype(np.float32)
    try:
        dt = np.dtype(dtype)
    except TypeError as e:
        why = str(e) if hasattr(dtype, "name") else f"dtype {dtype!r} is not a dtype"
        raise TypeError(f"{where}: {why}") from e
    if dt.kind not in "fc":
        raise TypeError(f"{where}: parameters must be floating point, got dtype={dt}")
    return dt
