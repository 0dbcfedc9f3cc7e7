"""Whole ``nn.Module`` objects in ``lamina.save`` / ``lamina.load`` files, without pickle.

``torch.save(model, f)`` pickles the model; since torch 2.6 ``torch.load(f)`` rebuilds it only
when every class in the file is allow-listed (``torch.serialization.safe_globals``), by making
each object with ``cls.__new__`` and filling its ``__dict__``: the class's code is not run
until the user calls the model. lamina does the same without pickle: a module becomes a JSON
description (its class by name, its plain attributes, its parameters, buffers and children,
arrays stored as safetensors), and loading rebuilds it with ``cls.__new__`` and
``Module.__init__``, then sets the attributes. Nothing is imported and no constructor or
``__setstate__`` runs. A class (or function attribute, such as an activation) is found only:

- among lamina's own modules' classes and functions (``lamina.*``, already imported);
- in the allow-list of ``lamina.serialization.safe_globals`` (torch's way to allow a
  script's own ``Net``), matched by module and qualified name;
- with ``weights_only=False``: any ``nn.Module`` subclass whose module is already imported
  (``sys.modules``; torch would import it, lamina never imports from a file).
"""

from __future__ import annotations

import dataclasses
import pickle
import sys
from typing import Any

import numpy as np

from .errors import LaminaFileError

MARK, TENSOR, GLOBAL, DATACLASS = "$module", "$tensor", "$global", "$dataclass"
_INTERNAL = (
    "_parameters", "_buffers", "_non_persistent", "_modules", "_forward_pre_hooks",
    "_forward_hooks", "_hooks_with_kwargs", "_hooks_always_called", "training",
)  # fmt: skip
_HOOKS = ("_forward_pre_hooks", "_forward_hooks")


class UnsafeGlobalError(LaminaFileError, pickle.UnpicklingError):
    """A class or function named in the file is not allowed (torch raises UnpicklingError)."""


def _name(obj: Any) -> str:
    return f"{obj.__module__}:{obj.__qualname__}"


_OWN_FUNCTIONS = ("lamina.nn.functional", "lamina.functions")  # activations as attributes


def _own_ok(obj: Any) -> bool:
    """lamina objects a file may name besides Module classes: dataclasses (configs) and the
    functions of lamina.nn.functional and lamina.functions* (a layer's ``activation``)."""
    if isinstance(obj, type):
        return dataclasses.is_dataclass(obj)
    return callable(obj) and getattr(obj, "__module__", "").startswith(_OWN_FUNCTIONS)


class Encoder:
    """A module tree as JSON-able values and arrays; tensors shared by identity stay shared."""

    def __init__(self) -> None:
        self.ids: dict[int, int] = {}
        self.keep: list[Any] = []  # ids stay valid while encoding

    def module(self, m: Any, where: str) -> dict:
        d = m.__dict__
        for hooks in _HOOKS:
            if d.get(hooks):
                raise TypeError(
                    f"lamina.save: {where} ({type(m).__name__}) has {hooks[1:]}: hooks are code "
                    "and are not saved; remove them before saving (handle.remove())"
                )
        return {
            MARK: _name(type(m)),
            "training": bool(d["training"]),
            "parameters": {k: self.tensor(v) for k, v in d["_parameters"].items()},
            "buffers": {k: self.tensor(v) for k, v in d["_buffers"].items()},
            "non_persistent": sorted(d["_non_persistent"]),
            "modules": {
                k: None if v is None else self.module(v, f"{where}.{k}")
                for k, v in d["_modules"].items()
            },
            "attrs": {k: self.value(v, f"{where}.{k}") for k, v in d.items() if k not in _INTERNAL},
        }

    def tensor(self, t: Any) -> dict | None:
        if t is None:
            return None
        from ..nn.parameter import Parameter

        if id(t) in self.ids:
            return {TENSOR: self.ids[id(t)]}
        self.ids[id(t)] = len(self.ids)
        self.keep.append(t)
        kind = "Parameter" if isinstance(t, Parameter) else "Tensor"
        out = {TENSOR: self.ids[id(t)], "kind": kind, "requires_grad": bool(t.requires_grad)}
        out["array"] = t.detach().numpy()
        return out

    def value(self, v: Any, where: str) -> Any:
        from ..nn.module import Module
        from ..tensor import Tensor

        if v is None or isinstance(v, (bool, int, float, str, bytes)):
            return v
        if isinstance(v, np.generic):
            return v.item()
        if isinstance(v, Tensor):
            return self.tensor(v)
        if isinstance(v, np.ndarray):
            return v
        if isinstance(v, Module):
            return self.module(v, where)
        if isinstance(v, (list, tuple)):
            return type(v)(self.value(x, f"{where}[{i}]") for i, x in enumerate(v))
        if isinstance(v, dict) and all(isinstance(k, (str, int)) for k in v):
            return {k: self.value(x, f"{where}[{k!r}]") for k, x in v.items()}
        if isinstance(v, np.dtype):
            return {GLOBAL: "dtype", "name": v.str}
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            fields = {f.name: self.value(getattr(v, f.name), where) for f in dataclasses.fields(v)}
            return {DATACLASS: _name(type(v)), "fields": fields}
        if isinstance(v, type) or callable(v) and hasattr(v, "__qualname__"):
            return {GLOBAL: _name(v)}
        raise TypeError(
            f"lamina.save: cannot save {where}, a {type(v).__name__}: a whole module may hold "
            "numbers, strings, tensors, arrays, lists, dicts, dataclasses, functions, classes "
            "and other modules; save model.state_dict() instead"
        )


class Decoder:
    """Rebuilds what :class:`Encoder` wrote, resolving classes only as the module doc says."""

    def __init__(self, where: str, weights_only: bool = True) -> None:
        self.where, self.weights_only = where, weights_only
        self.tensors: dict[int, Any] = {}

    def _resolve(self, name: Any, want_module: bool) -> Any:
        from ..nn.module import Module
        from ..serialization import get_safe_globals

        if not isinstance(name, str) or name.count(":") != 1:
            raise LaminaFileError(self.where, f"malformed class name {name!r}")
        for obj in get_safe_globals():
            if getattr(obj, "__module__", None) and _name(obj) == name:
                return obj
        mod_name, qual = name.split(":")
        found = None
        mod = sys.modules.get(mod_name)  # imported already: never import from a file
        own = mod_name == "lamina" or mod_name.startswith("lamina.")
        if mod is not None and (own or not self.weights_only):
            found = mod
            for part in qual.split("."):
                found = getattr(found, part, None) if not part.startswith("__") else None
        is_module = isinstance(found, type) and issubclass(found, Module)
        # defined where the name says (no walking through a module's imports to os.system);
        # of lamina's own objects only Module classes, dataclasses and the math functions
        ok = found is not None and _name(found) == name and (is_module or own and _own_ok(found))
        if ok and want_module and not is_module:
            ok = False
        if not ok:
            raise UnsafeGlobalError(
                self.where,
                f"holds {name.replace(':', '.')}, which lamina.load may not rebuild: allow it "
                "as torch.load(weights_only=True) asks, with "
                f"lamina.serialization.safe_globals([{qual.split('.')[-1]}]) around the load "
                "(or add_safe_globals), or pass weights_only=False once its module is imported",
            )
        return found

    def value(self, v: Any, depth: int = 0) -> Any:
        if depth > 200:
            raise LaminaFileError(self.where, "module nesting deeper than 200")
        if isinstance(v, dict):
            if MARK in v:
                return self.module(v, depth)
            if TENSOR in v:
                return self.tensor(v)
            if GLOBAL in v:
                if v[GLOBAL] == "dtype":
                    return np.dtype(str(v.get("name")))
                return self._resolve(v[GLOBAL], want_module=False)
            if DATACLASS in v:
                cls = self._resolve(v[DATACLASS], want_module=False)
                if not dataclasses.is_dataclass(cls):
                    raise LaminaFileError(self.where, f"{v[DATACLASS]} is not a dataclass")
                return cls(**{k: self.value(x, depth + 1) for k, x in v["fields"].items()})
            return type(v)((k, self.value(x, depth + 1)) for k, x in v.items())
        if isinstance(v, (list, tuple)):
            return type(v)(self.value(x, depth + 1) for x in v)
        return v

    def tensor(self, v: dict) -> Any:
        from ..nn.parameter import Parameter
        from ..tensor import Tensor

        i = v[TENSOR]
        if "array" not in v:
            if i not in self.tensors:
                raise LaminaFileError(self.where, f"tensor reference {i!r} before its definition")
            return self.tensors[i]
        arr = v["array"]
        if not isinstance(arr, np.ndarray) or i in self.tensors:
            raise LaminaFileError(self.where, f"malformed tensor entry {i!r}")
        if v.get("kind") == "Parameter":
            t = Parameter(arr, requires_grad=bool(v.get("requires_grad", True)))
        else:
            t = Tensor(arr, requires_grad=bool(v.get("requires_grad", False)))
        self.tensors[i] = t
        return t

    def module(self, v: dict, depth: int) -> Any:
        from ..nn.module import Module

        cls = self._resolve(v[MARK], want_module=True)
        m = cls.__new__(cls)
        Module.__init__(m)
        d = m.__dict__
        try:
            d["training"] = bool(v["training"])
            d["_parameters"].update((k, self.value(x)) for k, x in v["parameters"].items())
            d["_buffers"].update((k, self.value(x)) for k, x in v["buffers"].items())
            d["_non_persistent"].update(str(k) for k in v["non_persistent"])
            d["_modules"].update((k, self.value(x, depth + 1)) for k, x in v["modules"].items())
            attrs = {str(k): self.value(x, depth + 1) for k, x in v["attrs"].items()}
        except (KeyError, TypeError, AttributeError) as e:
            raise LaminaFileError(self.where, f"malformed module entry for {v[MARK]}: {e}") from e
        for name in attrs:
            if name in _INTERNAL or name.startswith("__"):
                raise LaminaFileError(self.where, f"{v[MARK]}: attribute {name!r} not allowed")
        d.update(attrs)
        return m


def is_module(obj: Any) -> bool:
    from ..nn.module import Module

    return isinstance(obj, Module)


def has_module(obj: Any) -> bool:
    """Whether a structure handed to lamina.save holds an nn.Module anywhere."""
    if is_module(obj):
        return True
    if isinstance(obj, dict):
        return any(has_module(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return any(has_module(v) for v in obj)
    return False


__all__ = ["Decoder", "Encoder", "UnsafeGlobalError", "has_module", "is_module"]
