"""Parameter: a leaf Tensor that a Module registers as learnable (torch.nn.Parameter)."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, _default_array


class Parameter(Tensor):
    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        arr = np.zeros(0, np.float32) if data is None else _default_array(data)
        super().__init__(arr, requires_grad=requires_grad and arr.dtype.kind == "f")

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """Marks a tensor as a buffer when assigned to a Module attribute (torch.nn.Buffer)."""

    __slots__ = ()

    def __init__(self, data, persistent: bool = True) -> None:
        super().__init__(data)
