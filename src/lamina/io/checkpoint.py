"""Training checkpoints without pickle: arrays in safetensors, everything else as JSON.

A checkpoint is any nesting of dicts, lists and tuples whose leaves are arrays, NumPy
scalars, numbers, strings, bytes, booleans or None: for instance
``{"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}``. Arrays are
stored as safetensors tensors under dotted keys (``optimizer.state.0.exp_avg``); the
structure around them is a tagged JSON skeleton in the header's ``__metadata__``, so the
file round-trips exactly (int dict keys, tuples vs lists, OrderedDict, scalar dtypes) and
reading it never executes anything.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._atomic import atomic_write_bytes
from ._budget import Budget, json_cost
from .errors import LaminaFileError
from .safetensors_io import load_file, read_header, save_file

__all__ = ["save_checkpoint", "load_checkpoint", "is_checkpoint", "atomic_write_bytes"]

FORMAT = "lamina.checkpoint/1"
_FORMAT_KEY, _SKELETON_KEY = "format", "lamina.checkpoint"
_MAX_DEPTH = 100


def as_array(value: Any) -> np.ndarray | None:
    """The ndarray behind ``value``: an ndarray, a Tensor, a ``.data`` or ``.numpy()`` holder."""
    if isinstance(value, np.ndarray):
        return value
    for attr in ("_data", "data"):  # a lamina Tensor, or a tensor-like with a .data array
        data = getattr(value, attr, None)
        if isinstance(data, np.ndarray):
            return data
    if callable(getattr(value, "numpy", None)) and not isinstance(value, np.generic):
        detach = getattr(value, "detach", None)  # a torch tensor that requires grad
        arr = (detach() if callable(detach) else value).numpy()
        return arr if isinstance(arr, np.ndarray) else None
    return None


class _Encoder:
    """Turns a nested state into (JSON skeleton, {dotted key: ndarray})."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def _name(self, where: str) -> str:
        name, n = where or "_", 1
        # e.g. int key 0 and str key "0" side by side; "__metadata__" is the header's own
        while name in self.arrays or name == "__metadata__":
            name, n = f"{where}#{n}", n + 1
        return name

    def _key(self, key: Any, where: str) -> Any:
        """Dict keys: str, int, float, bool, None, bytes, or tuples of those."""
        if isinstance(key, tuple):
            return {"$": "tuple", "items": [self._key(k, where) for k in key]}
        if key is None or isinstance(key, (bool, int, float, str, bytes)):
            return self.encode(key, where)
        raise TypeError(
            f"save_checkpoint: dict key {key!r} in {where or 'the root'!r} is "
            f"{type(key).__name__}; expected str, int, float, bool, None, bytes or a tuple"
        )

    def encode(self, obj: Any, where: str, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise ValueError(f"save_checkpoint: {where!r} nests deeper than {_MAX_DEPTH}")
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return obj
        if isinstance(obj, np.generic):
            name = self._name(where)
            self.arrays[name] = np.asarray(obj)  # 0-d, same dtype
            return {"$": "scalar", "key": name}
        if isinstance(obj, (bytes, bytearray)):
            return {"$": "bytes", "hex": bytes(obj).hex()}
        if isinstance(obj, (list, tuple)):
            items = [
                self.encode(v, f"{where}.{i}".lstrip("."), depth + 1) for i, v in enumerate(obj)
            ]
            return items if isinstance(obj, list) else {"$": "tuple", "items": items}
        if isinstance(obj, Mapping):
            items = [
                [self._key(k, where), self.encode(v, f"{where}.{k}".lstrip("."), depth + 1)]
                for k, v in obj.items()
            ]
            return {"$": "odict" if isinstance(obj, OrderedDict) else "dict", "items": items}
        arr = as_array(obj)
        if arr is None:
            raise TypeError(
                f"save_checkpoint: {where!r} is {type(obj).__name__}; expected an array, number, "
                "str, bytes, bool, None, list, tuple or dict"
            )
        name = self._name(where)
        self.arrays[name] = arr
        return {"$": "array", "key": name}


def save_checkpoint(state: Mapping[str, Any], path: str | os.PathLike) -> None:
    """Save a nested training state (model, optimizer, epoch, history ...) atomically.

    The counterpart of ``torch.save(checkpoint_dict, path)``, minus pickle: the file is a
    valid safetensors file whose tensors are the arrays under dotted keys.

    Args:
        state: dict whose leaves are arrays (or Tensors), NumPy scalars, int, float, str,
            bytes, bool or None, nested in dicts (any hashable scalar/tuple keys), lists
            and tuples.
        path: destination file (conventionally ``.safetensors``).

    Raises:
        TypeError: a leaf of an unsupported type (names its dotted path) or dtype.
    """
    if not isinstance(state, Mapping):
        raise TypeError(f"save_checkpoint: state must be a dict, got {type(state).__name__}")
    enc = _Encoder()
    skeleton = enc.encode(state, "")
    meta = {_FORMAT_KEY: FORMAT, _SKELETON_KEY: json.dumps(skeleton, separators=(",", ":"))}
    save_file(enc.arrays, path, metadata=meta)


class _Decoder:
    """Rebuilds the state from the skeleton, validating every node (the file may be hostile)."""

    def __init__(self, path: str, arrays: dict[str, np.ndarray]) -> None:
        self.path, self.arrays = path, arrays

    def fail(self, msg: str) -> LaminaFileError:
        return LaminaFileError(self.path, f"checkpoint skeleton: {msg}")

    def decode(self, node: Any, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise self.fail(f"nests deeper than {_MAX_DEPTH}")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v, depth + 1) for v in node]
        if not isinstance(node, dict):
            raise self.fail(f"unexpected JSON {type(node).__name__}")
        tag = node.get("$")
        if tag in ("array", "scalar"):
            key = node.get("key")
            arr = self.arrays.get(key) if isinstance(key, str) else None
            if arr is None:
                raise self.fail(f"array key {str(node.get('key'))[:80]!r} is not in the file")
            if tag == "scalar" and arr.ndim:
                raise self.fail(f"scalar {node['key']!r} has shape {arr.shape}, expected ()")
            return arr[()] if tag == "scalar" else arr
        if tag == "bytes" and isinstance(node.get("hex"), str):
            try:
                return bytes.fromhex(node["hex"])
            except ValueError:
                raise self.fail("bytes node is not hex") from None
        items = node.get("items")
        if tag in ("tuple", "dict", "odict") and isinstance(items, list):
            if tag == "tuple":
                return tuple(self.decode(v, depth + 1) for v in items)
            return self._mapping(items, OrderedDict if tag == "odict" else dict, depth)
        raise self.fail(f"unknown node with tag {str(tag)[:40]!r}")

    def _mapping(self, items: list, kind: type, depth: int) -> dict:
        out = kind()
        for pair in items:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise self.fail("dict item is not a [key, value] pair")
            key = self.decode(pair[0], depth + 1)
            try:
                hash(key)
            except TypeError:
                raise self.fail(f"unhashable dict key of type {type(key).__name__}") from None
            out[key] = self.decode(pair[1], depth + 1)
        return out


def is_checkpoint(path: str | os.PathLike) -> bool:
    """True when ``path`` is a safetensors file written by ``save_checkpoint``."""
    return read_header(path)[1].get(_FORMAT_KEY) == FORMAT


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Load a file written by ``save_checkpoint``, exactly as it was saved.

    The counterpart of ``torch.load(checkpoint_path)``; arrays come back as ndarrays.

    Raises:
        LaminaFileError: not a lamina checkpoint, or a corrupted/hostile header or skeleton.
    """
    path = os.fspath(path)
    meta = read_header(path)[1]
    if meta.get(_FORMAT_KEY) != FORMAT or _SKELETON_KEY not in meta:
        raise LaminaFileError(
            path, f"__metadata__ format is {meta.get(_FORMAT_KEY)!r}, expected {FORMAT!r}"
        )
    text = meta[_SKELETON_KEY]
    # the header parse held this text once already; the skeleton's objects come on top
    Budget(path, os.path.getsize(path)).charge(2 * json_cost(text), "the checkpoint skeleton")
    try:
        skeleton = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise LaminaFileError(path, f"checkpoint skeleton is not JSON ({e})") from e
    state = _Decoder(path, load_file(path)).decode(skeleton)
    if not isinstance(state, dict):
        raise LaminaFileError(path, f"checkpoint root is {type(state).__name__}, expected dict")
    return state
