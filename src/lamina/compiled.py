"""``lamina.compile``: record a model's forward once per input signature, then replay it.

Eager inference pays, per op, for module dispatch, argument checks, ``Tensor`` wrapping and
the autograd bookkeeping of ``apply``. The compiled path records the op sequence of one
forward (``lamina.onnx.trace``) for each input shape/dtype signature and then runs, in
order, for each op either a replay kernel of ``lamina.compiled_kernels`` (the op's
arithmetic into buffers kept per signature, in place where nothing else reads an input) or
the op's array-level ``forward`` with the same arguments: outputs are bit-for-bit those of
eager mode. The model's outputs are always fresh arrays.
"""

from __future__ import annotations

import inspect
import operator
import threading
import warnings
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from .autograd import function as _function
from .autograd.grad_mode import is_grad_enabled, no_grad
from .compiled_check import kernel_agrees
from .compiled_kernels import ABSORBS_RELU, Scratch, make_kernel
from .onnx.trace import TracedOp, array_of, find_views, op_arrays, run_traced
from .tensor import Tensor, _make

__all__ = ["compile", "CompiledModule"]

_INPUT, _STEP, _CONST = 0, 1, 2
_MAX_ARGS = 16  # needs_input_grad of a throwaway context: longer than any op's arguments
_DATA = operator.attrgetter("_data")  # where a Tensor keeps its array (see array_of)


def _op_class(name: str) -> type:
    base = getattr(_function, "Op", None) or _function.Function
    todo = [base]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub.__name__ == name:
                return sub
            todo.append(sub)
    raise LookupError(name)  # pragma: no cover - the trace only names existing ops


def _new_ctx(cls: type, n_params: int) -> Any:
    ctx = getattr(cls, "_Ctx", _function.Context)(cls)
    ctx.needs_input_grad = (False,) * n_params
    return ctx


class _Step:
    """One op of the plan: its function, its arguments (slots or constants), its outputs."""

    def __init__(self, op: TracedOp, sources: dict[int, int]) -> None:
        self.cls = _op_class(op.op)
        raw = inspect.getattr_static(self.cls, "forward")
        self.fn = raw.__get__(None, self.cls)  # staticmethod or classmethod, as eager calls it
        params = list(inspect.signature(self.fn).parameters.values())[1:]
        self.ctx = _new_ctx(self.cls, len(params))
        self.pos: list[tuple[int, Any]] = []
        self.kw: dict[str, tuple[int, Any]] = {}
        self.traced: list[tuple[str, int]] = []  # (parameter name, slot), in parameter order
        for p in params:
            if p.name not in op.args:
                continue
            if p.kind == p.VAR_POSITIONAL:
                refs = [_ref(a, sources) for a in op.args[p.name]]
                self.pos.extend(refs)
            elif p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD):
                refs = [_ref(op.args[p.name], sources)]
                self.kw[p.name] = refs[0]
            else:
                refs = [_ref(op.args[p.name], sources)]
                self.pos.append(refs[0])
            self.traced += [(p.name, v) for k, v in refs if k == _STEP]
        self.op: TracedOp | None = op  # until the kernel is checked (it holds traced arrays)
        self.fast: Callable | None = None
        self.fused: _Step | None = None  # a ReLU this step's kernel does
        self.outs: list[int] = []

    def slots(self) -> list[int]:
        return [v for k, v in [*self.pos, *self.kw.values()] if k == _STEP]

    def choose_kernel(
        self, uses: dict[int, int], owned: set[int], scratch: Scratch, relu: bool = False
    ) -> None:
        """A buffer-reusing kernel for this op if there is one (lamina.compiled_kernels).

        An argument may be overwritten when it is a plan buffer (owned) read only here.
        """
        op = self.op
        names = [name for name, _ in self.traced]
        inplace = {name for name, s in self.traced if s in owned and uses.get(s) == 1}
        live = [uses.get(s, 0) > 0 for s in self.outs]
        self.fast = make_kernel(op, names, inplace, live, scratch, relu)
        if self.fast is not None:
            owned.update(self.outs)

    def source(self, i: int, consts: dict[str, Any]) -> str:
        """This step as one line of Python, its callables and constants put in ``consts``."""

        def arg(ref: tuple[int, Any]) -> str:
            kind, v = ref
            if kind == _STEP:
                return f"v{v}"
            consts[f"c{i}_{len(consts)}"] = v
            return f"c{i}_{len(consts) - 1}"

        if self.fast is not None:
            consts[f"k{i}"] = self.fast
            call = f"k{i}({', '.join(f'v{s}' for _, s in self.traced)})"
        else:
            consts[f"f{i}"], consts[f"x{i}"] = self.fn, self.ctx
            args = [f"x{i}"] + [arg(r) for r in self.pos]
            args += [f"{name}={arg(r)}" for name, r in self.kw.items()]
            call = f"f{i}({', '.join(args)})"
        if len(self.outs) == 1:
            return f"    v{self.outs[0]} = {call}"
        return f"    {', '.join(f'v{s}' for s in self.outs)}, = {call}"


class _ViewStep:
    """``v_out = v_src.reshape(shape)``: a reshape the model did with NumPy between ops
    (``shape`` None: ``v_out = v_src``, a step whose work another kernel did)."""

    def __init__(self, src: int, shape: tuple | None, out: int) -> None:
        self.src, self.shape, self.outs = src, shape and tuple(shape), [out]

    def slots(self) -> list[int]:
        return [self.src]

    def source(self, i: int, consts: dict[str, Any]) -> str:
        if self.shape is None:
            return f"    v{self.outs[0]} = v{self.src}"
        return f"    v{self.outs[0]} = v{self.src}.reshape({self.shape!r})"


def _ref(value: Any, sources: dict[int, int]) -> tuple[int, Any]:
    """(kind, payload): an env slot for traced arrays, the value itself otherwise."""
    if isinstance(value, np.ndarray) and id(value) in sources:
        return _STEP, sources[id(value)]
    return _CONST, value


class _Plan:
    """The recorded forward for one input signature, as one generated Python function."""

    def __init__(self, model: Any, args: tuple) -> None:
        with no_grad():
            trace, out = run_traced(model, args)
        self.param_objs = _parameters(model)
        self.param_arrays = [array_of(p) for p in self.param_objs]
        inputs = [a for a in args if isinstance(a, Tensor)]
        sources = {id(array_of(t)): i for i, t in enumerate(inputs)}
        views = find_views(trace.ops, [array_of(t) for t in inputs])
        steps, slot = [], len(inputs)
        for op in trace.ops:
            for a in op_arrays(op):  # a NumPy reshape of a traced array, made by the model
                if id(a) in views and id(a) not in sources and id(views[id(a)]) in sources:
                    steps.append(_ViewStep(sources[id(views[id(a)])], a.shape, slot))
                    sources[id(a)] = slot
                    slot += 1
            step = _Step(op, sources)
            step.outs = list(range(slot, slot + len(op.outputs)))
            for arr, s in zip(op.outputs, step.outs):
                sources[id(arr)] = s
            slot += len(op.outputs)
            steps.append(step)
        self.output = _structure(out, sources)
        self.out_slots = sorted(_output_slots(self.output))
        live = _live(steps, set(self.out_slots))
        _choose_kernels(live, self.out_slots)
        # what runs how, for tests and curiosity: "Conv2d" -> replay kernel, "Conv2d (op)"
        # -> the op's forward, "ReLU (fused)" -> done by the kernel before it
        self.kernels = Counter(_kind(s) for s in live)
        self.run_slots = _codegen(live, len(inputs), self.out_slots)
        del trace  # the traced arrays could go only now: their ids named the slots

    def valid(self) -> bool:
        """False once a parameter's array was replaced (``p.data = ...``, not in place)."""
        return all(map(operator.is_, map(_DATA, self.param_objs), self.param_arrays))

    def run(self, args: tuple) -> Any:
        values = self.run_slots(*[array_of(a) for a in args if isinstance(a, Tensor)])
        if self.output[0] == "slot":  # one Tensor out, the common case
            return _make(values[0])
        return _build(self.output, dict(zip(self.out_slots, values)))


def _live(steps: list[_Step], needed: set[int]) -> list[_Step]:
    """The steps whose outputs reach the model's outputs, in order."""
    live = []
    for step in reversed(steps):
        if any(s in needed for s in step.outs):
            live.append(step)
            needed.update(step.slots())
    return live[::-1]


def _kind(step: Any) -> str:
    if isinstance(step, _Step):
        return step.cls.__name__ + ("" if step.fast is not None else " (op)")
    return "ReLU (fused)" if step.shape is None else "reshape"


def _choose_kernels(steps: list, out_slots: list[int]) -> None:
    """Pick each op's replay kernel, in order, knowing who reads which slot.

    A ReLU that alone reads the output of an op in ABSORBS_RELU is done by that op's kernel
    and its step becomes an alias of the op's output.
    """
    uses: dict[int, int] = {s: 1 for s in out_slots}  # outputs are read by the caller
    reader: dict[int, Any] = {}
    for step in steps:
        for s in step.slots():
            uses[s] = uses.get(s, 0) + 1
            reader[s] = step
    owned: set[int] = set()  # slots that are plan buffers (never inputs, params or views)
    scratch = Scratch()
    for step in steps:  # a ReLU replaced by an alias below is met as the alias
        if not isinstance(step, _Step):
            continue
        relu = reader.get(step.outs[0]) if len(step.outs) == 1 else None
        if not (
            step.op.op in ABSORBS_RELU
            and uses.get(step.outs[0]) == 1
            and isinstance(relu, _Step)
            and relu.op is not None
            and relu.op.op == "ReLU"
            and relu.op.outputs[0].dtype == step.op.outputs[0].dtype
        ):
            relu = None
        step.choose_kernel(uses, owned, scratch, relu=relu is not None)
        if relu is not None and step.fast is not None:
            steps[steps.index(relu)] = _ViewStep(step.outs[0], None, relu.outs[0])
            step.fused = relu
            owned.add(relu.outs[0])
    scratch.allocate()
    _check_kernels(steps)


def _check_kernels(steps: list) -> None:
    """Drop each kernel that does not equal its op (lamina.compiled_check); release the ops."""
    rng = np.random.default_rng(0)
    for step in list(steps):
        if (
            isinstance(step, _Step)
            and step.fast is not None
            and not kernel_agrees(step, rng, lambda cls: _new_ctx(cls, _MAX_ARGS))
        ):
            step.fast = None  # the op's forward: its fresh outputs may still be worked in place
            if step.fused is not None:
                at = next(i for i, v in enumerate(steps) if step.fused.outs == v.outs)
                steps[at], step.fused = step.fused, None
    for step in steps:
        if isinstance(step, _Step):
            step.op = None  # the traced arrays can go
            if step.fused is not None:
                step.fused.op = None


def _output_slots(spec: Any) -> set[int]:
    kind, payload = spec
    if kind == "slot":
        return {payload}
    if kind in ("const", "value"):
        return set()
    return set().union(*[_output_slots(s) for s in payload]) if payload else set()


def _codegen(steps: list[_Step], n_inputs: int, outputs: list[int]) -> Callable:
    consts: dict[str, Any] = {}
    lines = [f"def run({', '.join(f'v{i}' for i in range(n_inputs))}):"]
    lines += [step.source(i, consts) for i, step in enumerate(steps)]
    # copies: a reused buffer (or the caller's input) is never handed out
    lines.append(f"    return ({''.join(f'v{s}.copy(), ' for s in outputs)})")
    namespace = dict(consts)
    exec(compile_source("\n".join(lines)), namespace)  # generated from the trace, no input text
    return namespace["run"]


def compile_source(source: str) -> Any:
    import builtins

    return builtins.compile(source, "<lamina.compile>", "exec")


def _structure(out: Any, sources: dict[int, int]) -> Any:
    if isinstance(out, Tensor):
        slot = sources.get(id(array_of(out)))
        return ("slot", slot) if slot is not None else ("const", array_of(out).copy())
    if isinstance(out, (tuple, list)):
        return (type(out), [_structure(o, sources) for o in out])
    return ("value", out)


def _build(spec: Any, env: dict) -> Any:
    kind, payload = spec
    if kind == "slot":
        return _make(env[payload])  # the generated function's copy
    if kind == "const":
        return Tensor(payload.copy())
    if kind == "value":
        return payload
    return kind(_build(s, env) for s in payload)


def _parameters(model: Any) -> list:
    if not hasattr(model, "parameters"):
        return []
    return list(model.parameters()) + list(getattr(model, "buffers", lambda: [])())


def _signature(args: tuple) -> tuple:
    key = []
    for a in args:
        if isinstance(a, Tensor):
            key.append((a.shape, a.dtype.str))
        elif a is None or isinstance(a, (bool, int, float, str)):
            key.append(("value", a))
        else:
            return None  # other arguments: no signature we can trust, run eagerly
    return tuple(key)


class CompiledModule:
    """What :func:`compile` returns: call it like the model; attributes go to the model.

    ``_orig_mod`` is the wrapped model (torch's ``OptimizedModule`` name).
    """

    def __init__(self, model: Any) -> None:
        mods = list(model.modules()) if hasattr(model, "modules") else [model]
        self.__dict__.update(_orig_mod=model, _plans={}, _warned=False, _mods=mods)
        self.__dict__["_lock"] = threading.RLock()  # RLock: a model may call itself compiled
        self.__dict__["_params"] = _parameters(model)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_orig_mod"], name)

    def __call__(self, *args: Any) -> Any:
        if len(args) == 1 and type(args[0]) is Tensor:  # one Tensor: the serving case, lean
            a = args[0]._data
            plan = self._plans.get(((a.shape, a.dtype.str),))
            if plan is not None and self._eager_reason(args) is None and plan.valid():
                with self._lock:
                    return plan.run(args)
        model = self._orig_mod
        args = tuple(Tensor(a) if isinstance(a, np.ndarray) else a for a in args)
        reason = self._eager_reason(args)
        key = _signature(args) if reason is None else None
        if key is None:
            if reason is not None and not self._warned:
                self.__dict__["_warned"] = True
                warnings.warn(f"lamina.compile: {reason}; running eagerly", stacklevel=2)
            return model(*args)
        with self._lock:  # one recording at a time; a plan's buffers serve one call at a time
            plan = self._plans.get(key)
            if plan is None or not plan.valid():
                plan = self._plans[key] = _Plan(model, args)
            return plan.run(args)

    def _eager_reason(self, args: tuple) -> str | None:
        if any(getattr(m, "training", False) for m in self._mods):
            return "the model is in training mode (call .eval() to use the compiled path)"
        if is_grad_enabled():
            grads = any(p.requires_grad for p in self._params)
            grads = grads or any(isinstance(a, Tensor) and a.requires_grad for a in args)
            if grads:
                return "grad mode is enabled (call it under lamina.no_grad())"
        return None

    def __repr__(self) -> str:
        return f"CompiledModule({self._orig_mod!r})"


def compile(model: Any) -> CompiledModule:  # noqa: A001 - torch's name
    """Compile ``model`` for inference (torch.compile).

    Per input shape/dtype signature the first call records the forward's op sequence; later
    calls replay it without modules, Tensor wrapping or autograd, giving outputs equal to
    eager mode bit for bit. A new shape records again; a parameter replaced by a new array
    (``p.data = ...``) records again; values changed in place (``load_state_dict``,
    optimizer steps) are simply used. A model in training mode, or a call that would record
    a graph (grad mode on and something requires grad), runs eagerly with a one-time warning.
    Control flow that depends on input *values* is frozen at recording time, as in torch's
    tracing; shapes are the only guard.
    """
    if not callable(model):
        raise TypeError(
            f"lamina.compile: expected a Module or callable, got {type(model).__name__}"
        )
    return CompiledModule(model)
