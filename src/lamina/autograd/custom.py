"""Custom autograd functions on Tensors, as torch users write them (torch.autograd.Function).

::

    class Cube(lamina.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 3 * x**2 * grad

    y = Cube.apply(x)

``forward`` runs on Tensors with grad mode off; ``backward`` receives one Tensor gradient
per output and returns one per argument of ``apply`` (None for non-tensors or where
``ctx.needs_input_grad`` is False); another count raises, naming the function. The context
takes free attributes (``ctx.k = 3``) as torch's does. This is the user-facing twin of the
array-level ``Op`` contract (``autograd/function.py``) that lamina's own ops follow: the
engine walks both kinds of node alike.
"""

from __future__ import annotations

import numpy as np

from .. import _state
from ..tensor import Tensor, _make
from .function import Context


class FunctionCtx(Context):
    """The ``ctx`` of a custom Function: saved tensors, flags, and free attributes."""

    def save_for_backward(self, *tensors) -> None:
        """Keep tensors (or None) for backward; read them back as ``ctx.saved_tensors``."""
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward can only save tensors or None, got {type(t).__name__}"
                )
        self.saved = tensors
        self.saved_versions = tuple((t, t._version[0]) for t in tensors if t is not None)

    def name(self) -> str:
        """torch's node name for a custom function, e.g. ``CubeBackward``."""
        return self.fn.__name__ + "Backward"

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to save_for_backward (torch: ``ctx.saved_tensors``)."""
        for t, version in getattr(self, "saved_versions", ()):
            if t._version[0] != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: [{t.dtype} {list(t.shape)}], saved by {self.name()}, "
                    f"is at version {t._version[0]}; expected version {version} instead."
                )
        if self.freed:
            raise RuntimeError(
                "Trying to backward through the graph a second time: saved tensors were freed "
                "after the first backward. Pass retain_graph=True to the first backward()."
            )
        return self.saved

    def mark_non_differentiable(self, *tensors) -> None:
        """Outputs that get no gradient (torch: ``ctx.mark_non_differentiable``)."""
        self.non_differentiable = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        """Accepted for torch compatibility: missing output gradients are always zeros."""
        self.materialize = bool(value)


class Function:
    """Base class of user-defined differentiable functions (torch.autograd.Function)."""

    check_first = None  # the engine's hook for ops without a derivative (autograd.function)

    @staticmethod
    def forward(ctx: FunctionCtx, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def backward(ctx: FunctionCtx, *grads):  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward on ``args`` and record one graph node whose backward is ``cls.backward``."""
        node = _node_class(cls)
        ctx = FunctionCtx(node)
        ctx.non_differentiable = set()
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        record = _state.grad.enabled and any(needs)
        ctx.needs_input_grad = needs
        prev = _state.grad.enabled
        _state.grad.enabled = False
        try:
            out = cls.forward(ctx, *args, **kwargs)
        finally:
            _state.grad.enabled = prev
        outs = out if isinstance(out, tuple) else (out,)
        for o in outs:
            if not isinstance(o, Tensor):
                raise TypeError(
                    f"{cls.__name__}.forward must return Tensors, got {type(o).__name__}"
                )
        if not record:
            return out
        results = []
        for i, o in enumerate(outs):
            diff = id(o) not in ctx.non_differentiable and o.dtype.kind in "fc"
            t = _make(o._data, diff)
            if diff:
                t._ctx, t._idx = ctx, i
            results.append(t)
        ctx.inputs = args
        ctx.out_meta = tuple((o._data.shape, o._data.dtype) for o in outs)
        return tuple(results) if isinstance(out, tuple) else results[0]


def _node_class(cls):
    """The graph node for ``cls``: named after it, its backward bridging arrays and Tensors."""
    node = cls.__dict__.get("_lamina_node")
    if node is None:

        def backward(ctx, *grads):
            prev = _state.grad.enabled
            _state.grad.enabled = False
            try:
                res = cls.backward(ctx, *(_make(g) for g in grads))
            finally:
                _state.grad.enabled = prev
            res = res if isinstance(res, tuple) else (res,)
            return tuple(None if r is None else np.asarray(getattr(r, "_data", r)) for r in res)

        node = type(cls.__name__, (), {"backward": staticmethod(backward), "_all_attrs": ()})
        cls._lamina_node = node
    return node
