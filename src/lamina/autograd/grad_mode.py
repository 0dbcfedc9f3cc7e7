"""Grad mode switches: ``no_grad``, ``enable_grad``, ``set_grad_enabled`` as in torch.

Grad mode is per thread (``lamina._state.grad``). One class does the work: each switch is a
context manager and a decorator that sets the mode on entry and restores it on exit.
"""

from __future__ import annotations

import functools

from .. import _state


def is_grad_enabled() -> bool:
    """Whether ops record the graph in this thread (torch.is_grad_enabled)."""
    return _state.grad.enabled


class _GradMode:
    """Set grad mode to ``self.mode`` inside a ``with`` block or a decorated function."""

    mode = True

    def __enter__(self):
        self.prev = _state.grad.enabled
        _state.grad.enabled = self.mode
        return self

    def __exit__(self, *exc) -> None:
        _state.grad.enabled = self.prev

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = _state.grad.enabled
            _state.grad.enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                _state.grad.enabled = prev

        return wrapper


class no_grad(_GradMode):
    """Record no graph inside (context manager or decorator), as torch.no_grad."""

    mode = False


class enable_grad(_GradMode):
    """Record the graph inside, even within no_grad (torch.enable_grad)."""

    mode = True


class set_grad_enabled(_GradMode):
    """Set grad mode (torch.set_grad_enabled): takes effect at once when called as a
    function, and is restored on leaving a ``with`` block; also a decorator."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.prev = _state.grad.enabled
        _state.grad.enabled = self.mode

    def __enter__(self):
        return self

    def __call__(self, fn):
        _state.grad.enabled = self.prev  # used as a decorator: undo the switch made in __init__
        return super().__call__(fn)
