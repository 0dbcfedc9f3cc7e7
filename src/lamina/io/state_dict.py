"""Finding the model weights inside whatever a checkpoint file held."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import LaminaFileError

__all__ = ["extract_state_dict", "check_acyclic"]

_WRAPPER_KEYS = ("state_dict", "model_state_dict", "model", "net", "module", "params")


def _children(obj: Any) -> list[tuple[str, Any]]:
    if isinstance(obj, dict):
        return [(str(k), v) for k, v in obj.items()]
    if isinstance(obj, (list, tuple)):
        return [(str(i), v) for i, v in enumerate(obj)]
    return []


def check_acyclic(obj: Any, path: str | None = None) -> None:
    """Raise ``LaminaFileError`` if a dict, list or tuple in ``obj`` contains itself.

    ``torch.save`` writes such a structure (``d["state_dict"] = d``) and torch's
    weights-only loader returns it; every walk over it (flattening, saving, printing) would
    loop or recurse without end. Iterative depth-first search with three colours: shared
    sub-objects (a DAG) are visited once, so the walk is linear in the objects.
    """
    on_path: set[int] = set()
    done: set[int] = set()
    stack: list[tuple[Any, str, bool]] = [(obj, "", False)]
    while stack:
        node, where, leaving = stack.pop()
        if leaving:
            on_path.discard(id(node))
            done.add(id(node))
            continue
        if id(node) in done or not isinstance(node, (dict, list, tuple)):
            continue
        if id(node) in on_path:
            raise LaminaFileError(
                path,
                f"the container at {where or 'the root'!r} contains itself (a self-referencing "
                "checkpoint cannot be a state dict)",
            )
        on_path.add(id(node))
        stack.append((node, where, True))
        for key, child in _children(node):
            stack.append((child, f"{where}.{key}".lstrip("."), False))


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
        LaminaFileError: a container holds itself (``d["state_dict"] = d``).
    """
    check_acyclic(obj)
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
