"""Finding the model weights inside whatever a checkpoint file held."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .errors import LaminaFileError

__all__ = ["extract_state_dict", "check_acyclic"]

_WRAPPER_KEYS = ("state_dict", "model_state_dict", "model", "net", "module", "params")


_CONTAINERS = (dict, list, tuple)


def _children(obj: Any) -> Iterator[tuple[Any, Any]]:
    return iter(obj.items()) if isinstance(obj, dict) else enumerate(obj)


def check_acyclic(obj: Any, path: str | None = None, budget: Any = None) -> None:
    """Raise ``LaminaFileError`` if a dict, list or tuple in ``obj`` contains itself.

    ``torch.save`` writes such a structure (``d["state_dict"] = d``) and torch's
    weights-only loader returns it; every walk over it (flattening, saving, printing) would
    loop or recurse without end. Depth-first with one iterator per level (memory follows
    the depth, not the breadth); a container fully explored is not entered again, so shared
    sub-objects keep the walk linear. ``budget`` (a load's) is charged for that record.
    """
    if not isinstance(obj, _CONTAINERS):
        return
    stack: list[tuple[Any, Iterator, Any]] = [(obj, _children(obj), None)]
    on_path, done = {id(obj)}, set()
    while stack:
        node, items, _ = stack[-1]
        for key, child in items:
            if not isinstance(child, _CONTAINERS) or id(child) in done:
                continue
            if id(child) in on_path:
                where = ".".join(str(k) for _, _, k in stack[1:] + [(None, None, key)])
                raise LaminaFileError(
                    path,
                    f"the container at {where!r} contains itself (a self-referencing "
                    "checkpoint cannot be a state dict)",
                )
            on_path.add(id(child))
            stack.append((child, _children(child), key))
            break
        else:
            stack.pop()
            on_path.discard(id(node))
            done.add(id(node))
            if budget is not None:
                budget.charge(96, "checking containers for self-reference")


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
            elif type(v).__name__ in ("Tensor", "Parameter") and hasattr(v, "detach"):
                flat[name] = v.detach().numpy()  # what lamina.load returns (torch.load's kind)
            else:
                raise TypeError(
                    f"extract_state_dict: {name!r} is {type(v).__name__}, expected an array "
                    f"(top-level keys: {list(obj)[:10]})"
                )
    if strip_prefix and flat and all(k.startswith(strip_prefix) for k in flat):
        flat = {k[len(strip_prefix) :]: v for k, v in flat.items()}
    return flat
