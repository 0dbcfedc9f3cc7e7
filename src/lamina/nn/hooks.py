"""Forward hooks' handles and the train/eval mode guard used around forward passes."""

from __future__ import annotations

import contextlib
import itertools
from collections import OrderedDict

_ids = itertools.count()


class RemovableHandle:
    """Returned by ``register_forward_hook``; ``remove()`` unregisters the hook.

    torch: ``torch.utils.hooks.RemovableHandle`` (also a context manager).
    """

    def __init__(self, *stores: OrderedDict) -> None:
        self.id = next(_ids)
        self._stores = stores

    def remove(self) -> None:
        for store in self._stores:
            store.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def add_hook(store: OrderedDict, hook, prepend: bool, *extra: OrderedDict) -> RemovableHandle:
    if not callable(hook):
        raise TypeError(f"hook must be callable, got {type(hook).__name__}")
    handle = RemovableHandle(store, *extra)
    store[handle.id] = hook
    if prepend:
        store.move_to_end(handle.id, last=False)
    return handle


def call_with_hooks(module, args: tuple, kwargs: dict):
    """Run forward between the pre-hooks and the forward hooks (torch's _call_impl)."""
    with_kwargs = module._hooks_with_kwargs
    for hid, hook in list(module._forward_pre_hooks.items()):
        if hid in with_kwargs:
            res = hook(module, args, kwargs)
            if res is not None:
                if not (isinstance(res, tuple) and len(res) == 2):
                    raise RuntimeError(
                        "forward pre-hook registered with with_kwargs=True must return "
                        f"None or a tuple (new_args, new_kwargs), got {type(res).__name__}"
                    )
                args, kwargs = res
        else:
            res = hook(module, args)
            if res is not None:
                args = res if isinstance(res, tuple) else (res,)
    try:
        out = module.forward(*args, **kwargs)
    except Exception:
        for hid, hook in list(module._forward_hooks.items()):
            if hid in module._hooks_always_called:
                extra = (kwargs, None) if hid in with_kwargs else (None,)
                with contextlib.suppress(Exception):
                    hook(module, args, *extra)
        raise
    for hid, hook in list(module._forward_hooks.items()):
        res = hook(module, args, kwargs, out) if hid in with_kwargs else hook(module, args, out)
        if res is not None:
            out = res
    return out


@contextlib.contextmanager
def training_mode(module, mode: bool):
    """Set ``module.train(mode)`` for a block and restore every submodule's own flag after.

    Used by ``evaluate``/``predict``/``summary`` so that a model left half in eval mode (a
    frozen BatchNorm) comes back exactly as it was, even when the block raises.
    """
    mods = list(module.modules()) if hasattr(module, "modules") else []
    saved = [(m, m.training) for m in mods]
    if hasattr(module, "train"):
        module.train(mode)
    try:
        yield module
    finally:
        for m, flag in saved:
            m.__dict__["training"] = flag
