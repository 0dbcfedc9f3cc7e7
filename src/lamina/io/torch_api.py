"""``lamina.save`` / ``lamina.load``: torch.save / torch.load's interface, without pickle.

What torch users pass to ``torch.save`` works: a Tensor, an ndarray, a state dict, or dicts,
lists and tuples of those mixed with numbers, strings, bools and None; to a path or to a
binary file object. ``lamina.load`` gives it back, Tensors as Tensors and ndarrays as ndarrays, as
``torch.load`` does. The files are safetensors (a flat state dict stays a plain safetensors
file any tool reads; anything else is a lamina checkpoint, safetensors plus a JSON skeleton).

A whole ``nn.Module`` (alone or inside the structure) is saved as torch 2.6+ loads one with
``weights_only=True``: its classes by name, attributes, parameters, buffers and children
(see :mod:`lamina.io.whole_module`); loading rebuilds it only from lamina's own classes and
those allow-listed with ``lamina.serialization.safe_globals``, never importing or running
code from the file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..device import as_device
from ..tensor import Tensor
from .checkpoint import save_checkpoint
from .safetensors_io import save_file
from .whole_module import MARK, Decoder, Encoder, has_module, is_module

_ROOT = "__lamina_object__"  # wraps what is not a dict, so the checkpoint format can hold it
_ORDER = "lamina.key_order"  # safetensors sorts its keys; torch.load keeps the saved order
_PLAIN = "lamina.ndarrays"  # paths of leaves saved as ndarrays, not Tensors
_MODULES = "lamina.modules"  # present when the structure holds whole modules


def _is_module(obj: Any) -> bool:
    return callable(getattr(obj, "state_dict", None)) and callable(getattr(obj, "parameters", None))


def _arrays(obj: Any, path: tuple, plain: list, enc: Encoder | None = None) -> Any:
    """The structure with every Tensor replaced by its array (detached, no copy); the paths
    of leaves that were ndarrays already go to ``plain`` (they load back as ndarrays);
    whole modules become ``enc``'s descriptions."""
    if enc is not None and is_module(obj):
        return enc.module(obj, "/".join(map(str, path)) or type(obj).__name__)
    if isinstance(obj, Tensor):
        return obj.detach().numpy()
    if isinstance(obj, np.ndarray):
        plain.append(list(path))
        return obj
    if isinstance(obj, Mapping):
        return {k: _arrays(v, path + (k,), plain, enc) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_arrays(v, path + (i,), plain, enc) for i, v in enumerate(obj))
    return obj


def _tensors(obj: Any, path: tuple, plain: set) -> Any:
    """The structure with every array as a Tensor, as ``torch.load`` returns them, except the
    leaves saved as ndarrays (``torch.save`` keeps those ndarrays too)."""
    if isinstance(obj, np.ndarray):
        return obj if path in plain else Tensor(obj)
    if isinstance(obj, dict):
        return {k: _tensors(v, path + (k,), plain) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_tensors(v, path + (i,), plain) for i, v in enumerate(obj))
    return obj


def _rebuild(obj: Any, dec: Decoder) -> Any:
    """The loaded structure with each module description rebuilt into its module."""
    if isinstance(obj, dict):
        if MARK in obj:
            return dec.module(obj, 0)
        return type(obj)((k, _rebuild(v, dec)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_rebuild(v, dec) for v in obj)
    return obj


def _write(obj: Any, plain: list, path: str, modules: bool = False) -> None:
    flat = (
        isinstance(obj, Mapping)
        and obj
        and all(isinstance(k, str) and isinstance(v, np.ndarray) for k, v in obj.items())
    )
    if flat and not modules:
        meta = {_ORDER: json.dumps(list(obj)), _PLAIN: json.dumps(plain)}
        save_file(dict(obj), path, metadata=meta)
    elif modules:
        save_checkpoint({_ROOT: obj, _PLAIN: plain, _MODULES: 1}, path)
    else:
        save_checkpoint({_ROOT: obj, _PLAIN: plain}, path)


def _in_saved_order(obj: dict, order: str | None) -> dict:
    """A flat state dict in the order it was saved (when the file says it, and agrees)."""
    try:
        keys = json.loads(order) if order else None
    except ValueError:
        keys = None
    if not isinstance(keys, list) or sorted(map(str, keys)) != sorted(obj):
        return obj
    return {k: obj[k] for k in keys}


def save(obj: Any, f: Any) -> None:
    """Save tensors, arrays and nested containers of them (torch.save, without pickle).

    Args:
        obj: a Tensor, an ndarray, a state dict, a whole ``nn.Module``, or dicts/lists/tuples
            of those mixed with int, float, str, bytes, bool and None.
        f: a path, or a binary file object opened for writing.

    Raises:
        TypeError: ``obj`` holds a value of another type, or a module with hooks or an
            attribute lamina cannot describe (the message names its place).
    """
    plain: list = []
    modules = has_module(obj)
    state = _arrays(obj, (), plain, Encoder() if modules else None)
    if hasattr(f, "write"):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "object.safetensors")
            _write(state, plain, path, modules)
            with open(path, "rb") as src:
                f.write(src.read())
        return
    _write(state, plain, os.fspath(f), modules)


def load(f: Any, map_location: Any = None, weights_only: bool = True, **kwargs: Any) -> Any:
    """Load what ``lamina.save`` or ``torch.save`` wrote, arrays as Tensors (torch.load).

    Never runs code from the file: torch files are read by a restricted reader, as
    ``torch.load(weights_only=True)``. A whole module saved by ``lamina.save`` is rebuilt
    from lamina's classes and those allow-listed with ``lamina.serialization.safe_globals``;
    ``weights_only=False`` also admits any ``nn.Module`` subclass already imported.

    Args:
        f: a path, or a binary file object opened for reading.
        map_location: None, ``"cpu"`` or a CPU device (lamina runs on the CPU only).
        weights_only: False lets whole modules of any already-imported Module class load.
        **kwargs: torch's other options (``mmap``...), accepted and ignored.

    Raises:
        LaminaFileError: unknown format, truncated, corrupted or hostile file.
    """
    from . import _sniff
    from . import load as load_arrays
    from .safetensors_io import load_metadata

    if (
        map_location is not None
        and not callable(map_location)
        and not isinstance(map_location, dict)
    ):
        as_device(map_location)
    if hasattr(f, "read"):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "object")
            with open(path, "wb") as dst:
                dst.write(f.read())
            return load(path, map_location, weights_only)
    obj, plain = load_arrays(f), None
    flat = isinstance(obj, dict) and obj and all(isinstance(v, np.ndarray) for v in obj.values())
    if flat and _sniff(os.fspath(f)) == "safetensors":
        meta = load_metadata(f)
        obj, plain = _in_saved_order(obj, meta.get(_ORDER)), _json(meta.get(_PLAIN))
    modules = isinstance(obj, dict) and set(obj) == {_ROOT, _PLAIN, _MODULES}
    if isinstance(obj, dict) and set(obj) in ({_ROOT}, {_ROOT, _PLAIN}) or modules:
        obj, plain = obj[_ROOT], obj.get(_PLAIN)
    if modules:
        obj = _rebuild(obj, Decoder(os.fspath(f), weights_only=bool(weights_only)))
    paths = {tuple(p) for p in plain if isinstance(p, (list, tuple))} if plain else set()
    return _tensors(obj, (), paths)


def _json(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None
