"""Parameter and Buffer: tensors a Module files by kind when assigned (torch.nn)."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

import numpy as np

from ..tensor import Tensor, _default_array

# [bytes left, what is being built]: set while a model is built from a file's config, so a
# hostile config cannot make a builder allocate more than the weights file could fill.
_BUDGET: contextvars.ContextVar[list | None] = contextvars.ContextVar("_BUDGET", default=None)


@contextlib.contextmanager
def allocation_limit(nbytes: int, what: str) -> Iterator[None]:
    """Parameters and buffers made inside may hold at most ``nbytes`` in all; one more
    raises MemoryError naming ``what`` (the allocation is refused before it is filled)."""
    token = _BUDGET.set([int(nbytes), what])
    try:
        yield
    finally:
        _BUDGET.reset(token)


def charge(arr: np.ndarray) -> None:
    """Count ``arr`` against the active :func:`allocation_limit`, if any."""
    budget = _BUDGET.get()
    if budget is None:
        return
    budget[0] -= arr.nbytes
    if budget[0] < 0:
        raise MemoryError(
            f"{budget[1]}: the model it describes needs more memory for its parameters and "
            "buffers than its weights file can fill (a hostile or mismatched config)"
        )


class Parameter(Tensor):
    """A leaf Tensor that a Module registers as learnable (torch.nn.Parameter)."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        arr = np.zeros(0, np.float32) if data is None else _default_array(data)
        charge(arr)
        super().__init__(arr, requires_grad=requires_grad and arr.dtype.kind == "f")

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo: dict) -> Parameter:
        """A new Parameter with copied values and no ``.grad``, as torch's deepcopy gives
        (so ``copy.deepcopy(model)`` starts without gradients)."""
        if id(self) not in memo:
            memo[id(self)] = type(self)(self._data.copy(), self.requires_grad)
        return memo[id(self)]


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
