"""Module: the base of every layer and model, as torch.nn.Module."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .._state import threads as _THREADS
from ..ops._parallel import pin_blas
from ..tensor import Tensor
from ._device import check_device, float_dtype, is_device
from .hooks import add_hook, call_with_hooks
from .layer_errors import name_layer
from .parameter import Buffer, Parameter, charge


def _set_array(t: Tensor, arr: np.ndarray) -> None:
    """Replace a tensor's storage (dtype casts keep the Parameter object, as torch)."""
    t._data = arr


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
        d["_forward_pre_hooks"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_hooks_with_kwargs"] = OrderedDict()  # hook ids called with (args, kwargs)
        d["_hooks_always_called"] = OrderedDict()
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
        if isinstance(value, Buffer):
            for store in (d, mods, params):
                store.pop(name, None)
            self.register_buffer(name, value.detach(), persistent=value.persistent)
        elif isinstance(value, Parameter):
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
        """File ``tensor`` as a buffer (torch.nn.Module.register_buffer).

        A non-persistent buffer moves with the module but stays out of ``state_dict``.
        """
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(
                f"register_buffer: buffer name must be a non-empty string without '.', got {name!r}"
            )
        if name in self._parameters or name in self._modules:
            raise KeyError(f"register_buffer: attribute {name!r} already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"register_buffer({name!r}): cannot assign {type(tensor).__name__} "
                "(a Tensor or None expected)"
            )
        if tensor is not None:
            charge(tensor._data)
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
        d = self.__dict__
        if _THREADS["blas_applied"] is None:  # once per process: products that call the
            pin_blas()  # BLAS directly run on one thread, as the pool's products do
        try:
            if d.get("_forward_pre_hooks") or d.get("_forward_hooks"):
                return call_with_hooks(self, args, kwargs)
            return self.forward(*args, **kwargs)
        except (ValueError, TypeError, IndexError, RuntimeError) as e:
            name_layer(e, self)
            raise

    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False):
        """Call ``hook(module, args)`` before each forward (torch's register_forward_pre_hook).

        A hook returning non-None replaces the positional arguments (a single value is
        wrapped into a tuple); with ``with_kwargs=True`` it is called as
        ``hook(module, args, kwargs)`` and may return ``(args, kwargs)``. Returns a handle
        whose ``remove()`` unregisters it.
        """
        handle = add_hook(self._forward_pre_hooks, hook, prepend, self._hooks_with_kwargs)
        if with_kwargs:
            self._hooks_with_kwargs[handle.id] = True
        return handle

    def register_forward_hook(
        self, hook, *, prepend: bool = False, with_kwargs: bool = False, always_call: bool = False
    ):
        """Call ``hook(module, args, output)`` after each forward (torch's register_forward_hook).

        A hook returning non-None replaces the output. ``with_kwargs=True`` calls
        ``hook(module, args, kwargs, output)``; ``always_call=True`` also calls it (with
        output None) when forward raises. Returns a removable handle.
        """
        extra = (self._hooks_with_kwargs, self._hooks_always_called)
        handle = add_hook(self._forward_hooks, hook, prepend, *extra)
        if with_kwargs:
            self._hooks_with_kwargs[handle.id] = True
        if always_call:
            self._hooks_always_called[handle.id] = True
        return handle

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
                p.grad._data[...] = 0

    def apply(self, fn) -> Module:
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def _cast(self, dtype: np.dtype, floating_only: bool) -> Module:
        for t in list(self.parameters()) + list(self.buffers()):
            if t.dtype != dtype and (t.dtype.kind == "f" or not floating_only):
                _set_array(t, np.asarray(t).astype(dtype))
                if t.grad is not None:
                    _set_array(t.grad, np.asarray(t.grad).astype(dtype))
        return self

    def to(self, *args, **kwargs) -> Module:
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)`` (torch).

        Floating parameters and buffers take ``dtype``, in place (the Parameter objects
        stay the same, so an optimizer built before keeps working); a device other than the
        CPU raises, since lamina runs on the CPU only.
        """
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            elif is_device(a):
                device = a
            elif a is not None and not isinstance(a, bool):
                dtype = a
        check_device(device, f"{self._get_name()}.to")
        if dtype is None:
            return self
        return self._cast(float_dtype(dtype, f"{self._get_name()}.to"), floating_only=True)

    def type(self, dst_type) -> Module:
        """Cast every parameter and buffer to ``dst_type`` (torch.nn.Module.type)."""
        return self._cast(np.dtype(dst_type), floating_only=False)

    def float(self) -> Module:
        return self._cast(np.dtype(np.float32), floating_only=True)

    def double(self) -> Module:
        return self._cast(np.dtype(np.float64), floating_only=True)

    def half(self) -> Module:
        return self._cast(np.dtype(np.float16), floating_only=True)

    def cpu(self) -> Module:
        return self

    def cuda(self, device=None) -> Module:
        check_device("cuda" if device is None else f"cuda:{device}", f"{self._get_name()}.cuda")
        return self

    # ---- state dict -------------------------------------------------------------------
    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict:
        """Dotted names to detached Tensors sharing the parameters' memory (torch's state_dict).

        Parameters then buffers, module by module; ``keep_vars=True`` gives the Parameters
        themselves. Non-persistent buffers are left out.
        """
        out = OrderedDict()
        for mp, m in self.named_modules():
            base = prefix + (mp + "." if mp else "")
            for n, p in m._parameters.items():
                if p is not None:
                    out[base + n] = p if keep_vars else p.detach()
            for n, b in m._buffers.items():
                if b is not None and n not in m._non_persistent:
                    out[base + n] = b if keep_vars else b.detach()
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
