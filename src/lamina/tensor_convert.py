"""Tensor methods for dtype and device conversion and for new tensors like this one.

Mixed into Tensor (tensor.py); the graph is reached through ``self._apply``.
"""

from __future__ import annotations

import builtins
import copy
from typing import TYPE_CHECKING

import numpy as np

from . import dtypes as D
from .device import CPU, DeviceError, as_device
from .ops import elementwise as E

if TYPE_CHECKING:
    from .tensor import Tensor


def _extra_slots(cls: type) -> list[str]:
    """Slots that subclasses of Tensor add (Buffer's ``persistent``...)."""
    from .tensor import Tensor

    return [
        n
        for k in cls.__mro__
        if issubclass(k, Tensor) and k is not Tensor
        for n in k.__dict__.get("__slots__", ())
        if n != "__weakref__"
    ]


class ConvertMixin:
    __slots__ = ()

    def __deepcopy__(self, memo: dict) -> Tensor:
        """A copy with its own memory, ``requires_grad`` and a copied ``.grad`` (torch's
        ``copy.deepcopy``); like torch, only leaves can be deep-copied."""
        if self._ctx is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol at the moment. Call .detach() first to copy the values."
            )
        if id(self) in memo:
            return memo[id(self)]
        new = type(self).__new__(type(self))
        new._data = self._data.copy()
        new.grad, new._ctx, new._idx = None, None, 0
        new._version, new._view, new._hist = [0], False, None
        new.requires_grad = self.requires_grad
        memo[id(self)] = new
        for name in _extra_slots(type(self)):  # a subclass's own attributes
            if hasattr(self, name):
                object.__setattr__(new, name, copy.deepcopy(getattr(self, name), memo))
        if hasattr(self, "__dict__"):
            new.__dict__.update(copy.deepcopy(self.__dict__, memo))
        if self.grad is not None:
            new.grad = copy.deepcopy(self.grad, memo)
        return new

    # ---- dtype and device ---------------------------------------------------------------
    def astype(self, dtype) -> Tensor:
        """This tensor in ``dtype`` (itself if it already is); differentiable."""
        dtype = np.dtype(dtype)
        if dtype == self._data.dtype:
            return self
        return self._apply(E.Cast, self, dtype=dtype)

    def to(self, *args, dtype=None, device=None, copy: builtins.bool = False, **kwargs) -> Tensor:
        """torch.Tensor.to: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``."""
        for a in args:
            if hasattr(a, "_data"):  # another tensor: its dtype
                dtype = a.dtype if dtype is None else dtype
            elif isinstance(a, str) or a is CPU or type(a).__name__ == "device":
                device = a
            elif isinstance(a, builtins.int) and not isinstance(a, builtins.bool):
                device = a
            else:
                dtype = a
        as_device(device)
        out = self if dtype is None else self.astype(D.as_dtype(dtype))
        return out.clone() if copy and out is self else out

    def type(self, dtype=None, non_blocking: builtins.bool = False):
        """Without an argument, the type string (``'lamina.FloatTensor'``); else cast."""
        if dtype is None:
            return D.tensor_type(self._data.dtype)
        return self.astype(D.parse_type(dtype))

    def type_as(self, other: Tensor) -> Tensor:
        """This tensor in ``other``'s dtype (torch.Tensor.type_as)."""
        return self.astype(other.dtype)

    def float(self) -> Tensor:
        """Cast to float32."""
        return self.astype(np.float32)

    def double(self) -> Tensor:
        """Cast to float64."""
        return self.astype(np.float64)

    def half(self) -> Tensor:
        """Cast to float16."""
        return self.astype(np.float16)

    def long(self) -> Tensor:
        """Cast to int64."""
        return self.astype(np.int64)

    def int(self) -> Tensor:
        """Cast to int32."""
        return self.astype(np.int32)

    def bool(self) -> Tensor:
        """Cast to bool."""
        return self.astype(np.bool_)

    def is_floating_point(self) -> builtins.bool:
        """Whether the dtype is a float type."""
        return self._data.dtype.kind == "f"

    # ---- device ----------------------------------------------------------------------
    @property
    def device(self):
        """Always ``device(type='cpu')``."""
        return CPU

    @property
    def is_cuda(self) -> builtins.bool:
        """Always False: lamina runs on the CPU."""
        return False

    @property
    def is_cpu(self) -> builtins.bool:
        """Always True: lamina runs on the CPU (torch.Tensor.is_cpu)."""
        return True

    is_xpu = is_mps = is_meta = is_cuda  # torch's other device flags, all False here

    def cpu(self) -> Tensor:
        """Itself: lamina tensors live on the CPU."""
        return self

    def cuda(self, device=None, non_blocking: builtins.bool = False) -> Tensor:
        """Raises: lamina runs on the CPU (see lamina.device)."""
        raise DeviceError(
            "lamina runs on the CPU only; .cuda() is not available "
            "(lamina.cuda.is_available() is False)"
        )

    def contiguous(self) -> Tensor:
        """A row-major copy if this tensor is not contiguous, else itself."""
        return self if self._data.flags.c_contiguous else self._apply(E.Clone, self)

    def clone(self) -> Tensor:
        """A copy with its own memory; differentiable (torch.Tensor.clone)."""
        return self._apply(E.Clone, self)

    # ---- new tensors like this one ------------------------------------------------------
    def _new(self, arr, dtype, device, requires_grad) -> Tensor:
        as_device(device)
        t = self._wrap(arr.astype(self._data.dtype if dtype is None else dtype, copy=False))
        return t.requires_grad_(True) if requires_grad else t

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        """Zeros with this tensor's dtype (torch.Tensor.new_zeros)."""
        return self._new(np.zeros(_sizes(size)), dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        """Ones with this tensor's dtype (torch.Tensor.new_ones)."""
        return self._new(np.ones(_sizes(size)), dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        """Uninitialised values with this tensor's dtype (torch.Tensor.new_empty)."""
        return self._new(np.empty(_sizes(size)), dtype, device, requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
        """``fill_value`` everywhere, in this tensor's dtype (torch.Tensor.new_full)."""
        return self._new(np.full(tuple(size), fill_value), dtype, device, requires_grad)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False) -> Tensor:
        """A copy of ``data`` in this tensor's dtype (torch.Tensor.new_tensor)."""
        arr = np.array(getattr(data, "_data", data))
        return self._new(arr, dtype, device, requires_grad)


def _sizes(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)
