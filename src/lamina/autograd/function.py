"""Op and Context: the contract between an array-level op and the autograd engine.

An op is a subclass of :class:`Op` with two static methods that work on plain NumPy arrays
and know nothing of Tensor::

    class Scale(Op):
        ctx_attrs = ("factor",)  # what backward reads besides the saved arrays

        @staticmethod
        def forward(ctx, x, *, factor=2.0):
            ctx.factor = factor
            return x * factor

        @staticmethod
        def backward(ctx, grad):
            return (grad * ctx.factor,)

The contract, enforced by ``tensor.apply`` and the engine:

- The *positional* parameters of ``forward`` (after ``ctx``) are its tensor inputs, defaults
  included (``bias=None``); a ``*xs`` parameter takes any number of them. Options (axes,
  strides, flags) are keyword-only parameters, passed to ``apply`` by keyword.
- ``ctx.needs_input_grad`` has one flag per tensor input, so ``need[2]`` exists even when
  the caller left ``bias`` out.
- ``backward(ctx, *grads)`` receives one gradient per output (zeros stand in for an output
  that did not reach the loss) and returns exactly one gradient per tensor input (``None``
  where not needed); any other count raises, naming the op. A gradient may have the output's
  broadcast shape: the engine sums it back to the input's shape and checks the result.
- What backward needs is kept with ``ctx.save_for_backward(*arrays)`` (read back as
  ``ctx.saved``) or in the attributes the op names in ``ctx_attrs``; the context has no
  free-form ``__dict__``. Saved input and output arrays are version-checked: modifying one in
  place before backward raises, as in torch.

``lamina.autograd.Function`` is the torch-style counterpart on Tensors for user code.
"""

from __future__ import annotations

import inspect
import itertools

_SEQ = itertools.count()
_INPUT_KINDS = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


class Context:
    """What forward hands to backward; also the node of the graph (torch: ``grad_fn``)."""

    __slots__ = (
        "fn",
        "inputs",
        "needs_input_grad",
        "saved",
        "out_meta",
        "freed",
        "retained",
        "versions",
        "stale",
        "seq",
        "watch",
    )

    def __init__(self, fn: type) -> None:
        self.fn = fn
        self.inputs: tuple = ()
        self.needs_input_grad: tuple = ()
        self.saved: tuple = ()
        self.out_meta: tuple = ()
        self.freed = False
        self.retained = None
        self.versions = None
        self.stale = None  # (array, version now, version saved) once a saved output changed
        self.seq = next(_SEQ)  # creation order: which history of an input modified in place
        # (version counter, version, array) of memory an in-place op's saved result lives in
        self.watch = None

    def save_for_backward(self, *arrays) -> None:
        """Keep arrays for backward (torch.autograd.function.FunctionCtx.save_for_backward)."""
        self.saved = arrays

    def name(self) -> str:
        """torch's node name, e.g. ``MulBackward0``."""
        return self.fn.__name__ + "Backward0"

    def __repr__(self) -> str:
        return f"<{self.name()}>"


class Op:
    """Base class of every array-level differentiable op (see the module docstring)."""

    ctx_attrs: tuple[str, ...] = ()
    # True when forward may return a view of its first input (reshape, slicing): the
    # result then shares the input's version counter, so in-place changes show in both
    is_view = False
    # an op with no derivative sets a staticmethod check_first(ctx) that raises; backward
    # calls it before any gradient is accumulated
    check_first = None
    # filled in by __init_subclass__ from forward's signature
    _Ctx: type = Context
    _inputs: tuple[str, ...] = ()
    _varargs = False
    _no_grads: tuple[bool, ...] | None = ()  # needs_input_grad when nothing records
    _all_attrs: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        parent = cls.__mro__[1]._Ctx if issubclass(cls.__mro__[1], Op) else Context
        inherited = set(getattr(cls.__mro__[1], "_all_attrs", ()))
        own = tuple(a for a in cls.__dict__.get("ctx_attrs", ()) if a not in inherited)
        cls._Ctx = type(f"{cls.__name__}Context", (parent,), {"__slots__": own})
        cls._all_attrs = tuple(inherited) + own
        params = list(inspect.signature(cls.forward).parameters.values())[1:]  # drop ctx
        cls._inputs = tuple(p.name for p in params if p.kind in _INPUT_KINDS)
        cls._varargs = any(p.kind == inspect.Parameter.VAR_POSITIONAL for p in params)
        cls._no_grads = None if cls._varargs else (False,) * len(cls._inputs)

    @staticmethod
    def forward(ctx: Context, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, *grads):  # pragma: no cover - abstract
        raise NotImplementedError


def bind_inputs(fn, args, kwargs):
    """Check ``args`` against ``fn.forward``'s tensor inputs; move inputs passed by keyword."""
    names = fn._inputs
    if kwargs and not kwargs.keys().isdisjoint(names):
        args = list(args) + [None] * (len(names) - len(args))
        for i, name in enumerate(names):
            if name in kwargs:
                args[i] = kwargs.pop(name)
    if len(args) > len(names) and not fn._varargs:
        raise TypeError(
            f"{fn.__name__}.forward takes {len(names)} tensor input(s) {names}, got "
            f"{len(args)} positional arguments; pass options by keyword"
        )
    return args
