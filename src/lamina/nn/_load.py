"""load_state_dict's checks and copies, kept out of module.py."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _as_array(value, key):
    v = value._data if hasattr(value, "_ctx") else value
    if hasattr(v, "numpy") and not isinstance(v, np.ndarray):
        v = v.numpy()
    try:
        return np.asarray(v)
    except Exception as e:  # pragma: no cover - exotic inputs
        raise TypeError(
            f"load_state_dict: value for key {key!r} is not array-like ({type(value).__name__})"
        ) from e


def load_into(module, state_dict, strict: bool):
    own = module.state_dict(keep_vars=True)
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    errors = []
    arrays = {}
    for k, t in own.items():
        if k not in state_dict:
            continue
        arr = _as_array(state_dict[k], k)
        if arr.shape != t._data.shape:
            errors.append(
                f"size mismatch for {k}: copying a param with shape {arr.shape} "
                f"from checkpoint, the shape in current model is {t._data.shape}"
            )
        arrays[k] = arr
    if strict and (missing or unexpected):
        if missing:
            errors.append("Missing key(s) in state_dict: " + ", ".join(map(repr, missing)))
        if unexpected:
            errors.append("Unexpected key(s) in state_dict: " + ", ".join(map(repr, unexpected)))
    if errors:
        raise RuntimeError(
            f"Error(s) in loading state_dict for {type(module).__name__}:\n\t" + "\n\t".join(errors)
        )
    for k, arr in arrays.items():
        t = own[k]
        t._data[...] = arr  # copy in place, in the module's dtype (torch: copy_)
    return IncompatibleKeys(missing, unexpected)
