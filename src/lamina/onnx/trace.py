"""Record the ops one forward pass runs: op class, bound arguments, outputs, module path.

lamina's ops are classes whose ``forward(ctx, ...)`` works on plain arrays (see
``lamina.autograd.function``). While tracing, every op class's ``forward`` is wrapped so that
each outermost call is logged with its arguments bound to ``forward``'s parameter names
(whether the caller passed them by position or keyword); every module's ``forward`` is
wrapped on the instance to keep the dotted path of the module running. Array identity links
the log into a graph: ``tensor.apply`` hands an op the array of each input Tensor
and keeps the returned array as the output Tensor's array without copying. Everything
is restored afterwards, also on error.
"""

from __future__ import annotations

import inspect
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..autograd import function as _function


@dataclass
class TracedOp:
    """One op call: ``op`` (the class name), ``args`` by parameter name, ``outputs``."""

    op: str
    args: dict[str, Any]
    outputs: tuple[np.ndarray, ...]
    module: str  # "features.3 (Conv2d)", or "" at the top level


@dataclass
class Trace:
    ops: list[TracedOp] = field(default_factory=list)
    depth: int = 0
    modules: list[str] = field(default_factory=list)
    # the tracing thread: ops and modules other threads run meanwhile are not recorded
    thread: int = field(default_factory=threading.get_ident)


def array_of(t: Any) -> np.ndarray:
    """The ndarray a Tensor wraps, the very object ``tensor.apply`` hands to ops.

    ``Tensor.numpy()`` refuses tensors that require grad (as torch does), and tracing needs
    identity, not a copy, so this reads the array where ``tensor.py`` keeps it.
    """
    return t._data


def _op_base() -> type:
    # the engine's array-level op base is ``Op``; older trees call it ``Function``
    return getattr(_function, "Op", None) or _function.Function


def _op_classes() -> list[type]:
    seen, todo, out = set(), [_op_base()], []
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
                if "forward" in sub.__dict__:
                    out.append(sub)
    return out


def _bind(fn, args: tuple, kwargs: dict) -> dict[str, Any]:
    sig = inspect.signature(fn)
    bound = sig.bind(None, *args, **kwargs)
    bound.apply_defaults()
    named = dict(bound.arguments)
    named.pop(next(iter(sig.parameters)))  # ctx
    extra = named.pop("kwargs", None) if "kwargs" in sig.parameters else None
    return {**named, **(extra or {})}


def _record(trace: Trace, op_cls: type, fn, ctx, args, kwargs):
    if trace.depth or threading.get_ident() != trace.thread:
        return fn(ctx, *args, **kwargs)  # an op inside an op, or another thread's op
    trace.depth += 1
    try:
        out = fn(ctx, *args, **kwargs)
    finally:
        trace.depth -= 1
    # apply() adopts an ndarray as is; a NumPy scalar would be re-wrapped and lose identity
    out = tuple(np.asarray(o) for o in out) if isinstance(out, tuple) else np.asarray(out)
    name = getattr(getattr(ctx, "fn", None), "__name__", op_cls.__name__)
    outputs = out if isinstance(out, tuple) else (out,)
    module = trace.modules[-1] if trace.modules else ""
    trace.ops.append(TracedOp(name, _bind(fn, args, kwargs), outputs, module))
    return out


def _wrapped(trace: Trace, cls: type) -> Any:
    raw = cls.__dict__["forward"]
    if isinstance(raw, classmethod):
        func = raw.__func__

        def forward_cm(klass, ctx, *args, **kwargs):
            bound = func.__get__(klass, klass)
            return _record(trace, klass, bound, ctx, args, kwargs)

        return classmethod(forward_cm)
    func = raw.__func__ if isinstance(raw, staticmethod) else raw

    def forward(ctx, *args, **kwargs):
        return _record(trace, cls, func, ctx, args, kwargs)

    return staticmethod(forward)


def _module_wrapper(trace: Trace, path: str, module: Any) -> Any:
    bound = module.forward
    label = f"{path} ({type(module).__name__})" if path else type(module).__name__

    def forward(*args, **kwargs):
        if threading.get_ident() != trace.thread:
            return bound(*args, **kwargs)
        trace.modules.append(label)
        try:
            return bound(*args, **kwargs)
        finally:
            trace.modules.pop()

    return forward


# the op classes are patched for the whole process: one recording at a time
_TRACING = threading.RLock()


def run_traced(model: Any, args: tuple) -> tuple[Trace, Any]:
    """Call ``model(*args)`` recording its ops; returns (trace, the model's output)."""
    with _TRACING:
        return _run_traced(model, args)


def _run_traced(model: Any, args: tuple) -> tuple[Trace, Any]:
    trace = Trace()
    classes = _op_classes()
    saved = {cls: cls.__dict__["forward"] for cls in classes}
    modules = list(model.named_modules()) if hasattr(model, "named_modules") else []
    try:
        for cls in classes:
            cls.forward = _wrapped(trace, cls)
        for path, m in modules:
            # an instance attribute shadows the class's forward for Module.__call__ only
            m.__dict__["forward"] = _module_wrapper(trace, path, m)
        out = model(*args)
    finally:
        for cls, raw in saved.items():
            cls.forward = raw
        for _, m in modules:
            m.__dict__.pop("forward", None)
    return trace, out


def op_arrays(op: TracedOp) -> list[np.ndarray]:
    """The arrays among an op's arguments (``*xs`` tuples included)."""
    out = []
    for v in op.args.values():
        if isinstance(v, np.ndarray):
            out.append(v)
        elif isinstance(v, (tuple, list)):
            out.extend(a for a in v if isinstance(a, np.ndarray))
    return out


def find_views(ops: list[TracedOp], inputs: list[np.ndarray]) -> dict[int, np.ndarray]:
    """Op arguments that are NumPy reshapes of traced arrays made outside lamina's ops.

    A model may reshape an input with NumPy (``idx.numpy().reshape(-1)``) before an op
    takes it; the trace then sees an array it did not make. Such an array shares its buffer
    with a traced one, which is how it is found: ``id(view) -> the traced array``. A view
    that is not a whole-buffer reshape (a slice, a transpose) cannot be followed: ValueError.
    """
    whole: dict[int, np.ndarray] = {}  # id(buffer owner) -> a traced array spanning it

    def note(a: np.ndarray) -> None:
        owner = a if a.base is None else a.base
        if a.flags.c_contiguous and isinstance(owner, np.ndarray) and a.size == owner.size:
            whole.setdefault(id(owner), a)

    known = {id(a) for a in inputs}
    for a in inputs:
        note(a)
    views: dict[int, np.ndarray] = {}
    for op in ops:
        for a in op_arrays(op):
            if id(a) in known or id(a) in views or a.base is None:
                continue
            src = whole.get(id(a.base))
            if src is None:
                continue
            if not (a.flags.c_contiguous and a.size == src.size):
                where = f" in {op.module}" if op.module else ""
                raise ValueError(
                    f"op {op.op}{where} takes a NumPy view {a.shape} of a traced array "
                    f"{src.shape} made outside lamina's ops; only whole reshapes can be followed"
                )
            views[id(a)] = src
        for o in op.outputs:
            known.add(id(o))
            note(o)
    return views
