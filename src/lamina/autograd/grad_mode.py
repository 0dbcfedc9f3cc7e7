"""Grad mode switches: ``no_grad``, ``enable_grad``, ``set_grad_enabled`` as in torch."""

from __future__ import annotations

import functools

_grad = {"enabled": True}


def is_grad_enabled() -> bool:
    return _grad["enabled"]


class set_grad_enabled:
    """Context manager and decorator that sets grad mode (torch.set_grad_enabled)."""

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)
        self.prev = _grad["enabled"]
        _grad["enabled"] = self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        _grad["enabled"] = self.prev

    def __call__(self, fn):
        mode = self.mode
        _grad["enabled"] = self.prev  # being used as a decorator: undo the switch

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class _Mode:
    mode = True

    def __init__(self) -> None:
        self.prev = True

    def __enter__(self):
        self.prev = _grad["enabled"]
        _grad["enabled"] = self.mode
        return self

    def __exit__(self, *exc) -> None:
        _grad["enabled"] = self.prev

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_Mode):
    """Record no graph inside (context manager or decorator), as torch.no_grad."""

    mode = False


class enable_grad(_Mode):
    """Record the graph inside, even within no_grad (torch.enable_grad)."""

    mode = True
