"""Finding the model weights inside whatever a checkpoint file held."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["extract_state_dict"]

_WRAPPER_KEYS = ("state_dict", "model_state_dict", "model", "net", "module", "params")


def extract_state_dict(obj: Any, strip_prefix: str = "module.") -> dict[str, np.ndarray]:
    """Find the flat name -> ndarray state dict inside a loaded checkpoint.

    Unwraps ``{"state_dict": ...}``, ``{"model": ...}``, ``{"model_state_dict": ...}`` (and
    ``net``, ``module``, ``params``) until a mapping of arrays remains, flattens nested
    mappings to dotted keys, and removes ``strip_prefix`` (``DataParallel``'s ``module.``)
    when every key carries it. Like what ``torchvision`` users do by hand before
    ``model.load_state_dict``.

    Args:
        obj: what ``load`` returned.
        strip_prefix: prefix to drop when all keys share it ("" keeps keys).

    Raises:
        TypeError: no mapping of arrays is found (names the keys and types seen).
    """
    for _ in range(8):  # wrappers nest a few levels at most
        if not isinstance(obj, dict):
            break
        inner = next((obj[k] for k in _WRAPPER_KEYS if isinstance(obj.get(k), dict)), None)
        if inner is None:
            break
        obj = inner
    if not isinstance(obj, dict):
        raise TypeError(f"extract_state_dict: expected a dict, got {type(obj).__name__}")
    flat: dict[str, np.ndarray] = {}
    stack = [("", obj)]
    while stack:
        prefix, d = stack.pop()
        for k, v in d.items():
            name = f"{prefix}{k}"
            if isinstance(v, dict):
                stack.append((name + ".", v))
            elif isinstance(v, np.ndarray):
                flat[name] = v
            else:
                raise TypeError(
                    f"extract_state_dict: {name!r} is {type(v).__name__}, expected an array "
                    f"(top-level keys: {list(obj)[:10]})"
                )
    if strip_prefix and flat and all(k.startswith(strip_prefix) for k in flat):
        flat = {k[len(strip_prefix) :]: v for k, v in flat.items()}
    return flat
