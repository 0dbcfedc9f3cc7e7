"""Parameter and Buffer: tensors a Module files by kind when assigned (torch.nn)."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, _default_array


class Parameter(Tensor):
    """A leaf Tensor that a Module registers as learnable (torch.nn.Parameter)."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        arr = np.zeros(0, np.float32) if data is None else _default_array(data)
        super().__init__(arr, requires_grad=requires_grad and arr.dtype.kind == "f")

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """Marks a tensor as a buffer when assigned to a Module attribute (torch.nn.Buffer).

    ``module.name = Buffer(t, persistent=False)`` is ``module.register_buffer(name, t,
    persistent=False)``: the module stores a plain tensor sharing ``t``'s memory, and a
    non-persistent buffer stays out of ``state_dict``.
    """

    __slots__ = ("persistent",)

    def __init__(self, data, persistent: bool = True) -> None:
        super().__init__(data)
        self.persistent = persistent
