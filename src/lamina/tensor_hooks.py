"""Tensor's autograd hooks: ``register_post_accumulate_grad_hook`` (torch.Tensor's)."""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable

from .autograd import engine

_ids = itertools.count()


class _GradHookHandle:
    """torch.utils.hooks.RemovableHandle for a tensor hook: ``remove()`` unregisters it."""

    def __init__(self, store: OrderedDict) -> None:
        self.id, self._store = next(_ids), store

    def remove(self) -> None:
        if self._store.pop(self.id, None) is not None:
            engine.hooks_alive[0] -= 1

    def __enter__(self) -> _GradHookHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


class HookMixin:
    """Autograd hooks on a Tensor."""

    __slots__ = ()

    def register_post_accumulate_grad_hook(self, hook: Callable) -> _GradHookHandle:
        """Call ``hook(tensor)`` after backward has accumulated this leaf's ``.grad``
        (torch.Tensor.register_post_accumulate_grad_hook).

        The hook runs once per backward pass, after every gradient contribution to the leaf
        is in ``.grad``; it returns None. Returns a handle whose ``remove()`` unregisters it.
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._ctx is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        if not callable(hook):
            raise TypeError(f"hook must be callable, got {type(hook).__name__}")
        store = getattr(self, "_post_acc_hooks", None)
        if store is None:
            store = self._post_acc_hooks = OrderedDict()
        handle = _GradHookHandle(store)
        store[handle.id] = hook
        engine.hooks_alive[0] += 1
        return handle
