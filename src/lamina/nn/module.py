"""Module: the base of every layer and model, as torch.nn.Module."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from ..tensor import Tensor
from .parameter import Parameter


def _name_layer(e: Exception, module) -> None:
    """Prefix a layer's error with its path in the model: ``features.3 (Conv2d): ...``.

    The innermost module that sees the error records itself; each enclosing module's
    ``__call__`` finds that child among its sub-modules and prepends the child's name.
    """
    info = getattr(e, "_lamina_layer", None)
    if info is None:
        msg = str(e.args[0]) if e.args else str(e)
        info = {"module": module, "path": "", "type": module._get_name(), "msg": msg}
    else:
        for name, child in module._modules.items():
            if child is info["module"]:
                info["path"] = name + ("." + info["path"] if info["path"] else "")
                break
        info["module"] = module
    e._lamina_layer = info
    where = f"{info['path']} ({info['type']})" if info["path"] else info["type"]
    if not info["msg"].startswith(where):
        e.args = (f"{where}: {info['msg']}",) + tuple(e.args[1:])


class Module:
    """Base class for layers and models (torch.nn.Module).

    Assigning a Parameter, a Module or (through ``register_buffer``) a buffer to an
    attribute files it under its name; ``state_dict`` walks those with dotted keys.
    """

    def __init__(self) -> None:
        d = self.__dict__
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent"] = set()
        d["_modules"] = OrderedDict()
        d["training"] = True

    # ---- registration -----------------------------------------------------------------
    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(
                f"{type(self).__name__}.__init__ must call super().__init__() "
                f"before assigning {name!r}"
            )
        params, mods, bufs = d["_parameters"], d["_modules"], d["_buffers"]
        if isinstance(value, Parameter):
            for store in (d, mods, bufs):
                store.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            for store in (d, params, bufs):
                store.pop(name, None)
            mods[name] = value
        elif name in bufs:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign {type(value).__name__} to buffer {name!r} "
                    "(a Tensor or None expected)"
                )
            bufs[name] = value
        elif name in params or name in mods:
            if value is not None:
                kind = "parameter" if name in params else "module"
                raise TypeError(
                    f"cannot assign {type(value).__name__} to {kind} {name!r} "
                    f"of {type(self).__name__} (a {kind.title()} or None expected)"
                )
            (params if name in params else mods)[name] = None
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__[store]:
                del self.__dict__[store][name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"register_parameter({name!r}): expected a Parameter or None, "
                f"got {type(param).__name__}"
            )
        self.__dict__.pop(name, None)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor(np.asarray(tensor))
        self.__dict__.pop(name, None)
        self._buffers[name] = tensor
        (self._non_persistent.discard if persistent else self._non_persistent.add)(name)

    def add_module(self, name: str, module: Module | None) -> None:
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        mod = self
        for part in target.split(".") if target else ():
            if part not in mod._modules:
                raise AttributeError(f"{type(mod).__name__} has no submodule {part!r}")
            mod = mod._modules[part]
        return mod

    # ---- calling ----------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        try:
            return self.forward(*args, **kwargs)
        except (ValueError, TypeError, IndexError, RuntimeError) as e:
            _name_layer(e, self)
            raise

    # ---- traversal --------------------------------------------------------------------
    def named_modules(self, memo=None, prefix: str = ""):
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(memo, f"{prefix}.{name}" if prefix else name)

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        return ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self):
        return (m for _, m in self.named_children())

    def _named(self, store: str, recurse: bool = True):
        seen = set()
        mods = self.named_modules() if recurse else [("", self)]
        for prefix, m in mods:
            for name, t in m.__dict__[store].items():
                if t is None or id(t) in seen:
                    continue
                seen.add(id(t))
                yield (f"{prefix}.{name}" if prefix else name), t

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        for n, p in self._named("_parameters", recurse):
            yield (f"{prefix}.{n}" if prefix else n), p

    def parameters(self, recurse: bool = True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix: str = "", recurse: bool = True):
        for n, b in self._named("_buffers", recurse):
            yield (f"{prefix}.{n}" if prefix else n), b

    def buffers(self, recurse: bool = True):
        return (b for _, b in self.named_buffers(recurse=recurse))

    # ---- modes and bulk updates -------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.data[...] = 0

    def apply(self, fn) -> Module:
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def to(self, *args, **kwargs) -> Module:
        dtype = kwargs.get("dtype", next((a for a in args if a not in ("cpu", None)), None))
        if dtype is not None:
            for t in list(self.parameters()) + list(self.buffers()):
                if t.data.dtype.kind == "f":
                    t.data = t.data.astype(dtype)
        return self

    def float(self) -> Module:
        return self.to(np.float32)

    def double(self) -> Module:
        return self.to(np.float64)

    def cpu(self) -> Module:
        return self

    # ---- state dict -------------------------------------------------------------------
    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict:
        """Dotted names to NumPy arrays (copies unless keep_vars), parameters then buffers."""
        out = OrderedDict()
        for mp, m in self.named_modules():
            base = prefix + (mp + "." if mp else "")
            for n, p in m._parameters.items():
                if p is not None:
                    out[base + n] = p if keep_vars else p.data.copy()
            for n, b in m._buffers.items():
                if b is not None and n not in m._non_persistent:
                    out[base + n] = b if keep_vars else b.data.copy()
        return out

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy arrays into parameters and buffers by key (torch.nn.Module.load_state_dict).

        Returns ``(missing_keys, unexpected_keys)``. In strict mode either raises; a shape
        mismatch always raises, naming the key and both shapes.
        """
        from ._load import load_into

        return load_into(self, state_dict, strict)

    # ---- printing ---------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        for name, m in self._modules.items():
            sub = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {sub}")
        if not lines:
            return f"{self._get_name()}({extra})"
        head = f"{self._get_name()}(" + ("\n  " + extra if extra else "")
        return head + "\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return list(super().__dir__()) + list(self._parameters) + list(self._modules)


def _save_pretrained(self, path, **kwargs):
    """Save with the recipe (see lamina.models.pretrained.save_pretrained; Hugging Face's name)."""
    from ..models.pretrained import save_pretrained

    return save_pretrained(self, path, **kwargs)


def _from_pretrained(cls, path):
    """Rebuild a model saved by ``save_pretrained`` (see lamina.models.pretrained)."""
    from ..models.pretrained import from_pretrained

    return from_pretrained(path, None if cls is Module else cls)


# the saving code sits above nn (it needs the model registry); Module only points to it
Module.save_pretrained = _save_pretrained
Module.from_pretrained = classmethod(_from_pretrained)
