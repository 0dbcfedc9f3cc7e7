"""``lamina.onnx.export``: trace one forward pass and write it as an ONNX model."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from . import convert_nn  # noqa: F401  (registers the nn converters)
from .convert_basic import CONVERTERS
from .graph import Graph, Node, UnsupportedOperatorError, onnx_dtype
from .trace import TracedOp, array_of, find_views, op_arrays, run_traced

DEFAULT_OPSET = 17


def _onnx() -> Any:
    try:
        import onnx
    except ImportError as e:
        raise ImportError(
            f"lamina.onnx.export needs the onnx package: pip install -e '.[onnx]' ({e})"
        ) from None
    return onnx


def _inputs(args: Any) -> tuple:
    args = args if isinstance(args, tuple) else (args,)
    out = []
    for a in args:
        if isinstance(a, Tensor):
            a = Tensor(np.array(array_of(a), copy=True))  # its own array: names go by identity
        elif isinstance(a, np.ndarray):
            a = Tensor(np.array(a, copy=True))
        out.append(a)
    return tuple(out)


def _flatten(out: Any, where: str) -> list[np.ndarray]:
    if isinstance(out, Tensor):
        return [array_of(out)]
    if isinstance(out, (tuple, list)):
        return [a for o in out if o is not None for a in _flatten(o, where)]
    raise TypeError(f"{where}: the model returned {type(out).__name__}; expected Tensors")


def _grown(inputs: tuple, names: list[str], dynamic_axes: dict) -> tuple | None:
    """The inputs with each dynamic axis one longer (values repeated), or None if none."""
    out, grew, names = [], False, iter(names)
    for a in inputs:
        if not isinstance(a, Tensor):
            out.append(a)
            continue
        arr = array_of(a)
        axes = _axes(dynamic_axes.get(next(names), {}), "")
        shape = tuple(d + 1 if i in axes else d for i, d in enumerate(arr.shape))
        grew = grew or bool(axes)
        out.append(Tensor(np.resize(arr, shape)))
    return tuple(out) if grew else None


def _check_dynamic(first, second, model, inputs) -> None:
    """Refuse a dynamic axis that the forward bakes into a constant or an op's options."""
    if [op.op for op in first.ops] != [op.op for op in second.ops]:
        raise UnsupportedOperatorError(
            "lamina.onnx.export: the forward runs different ops when a dynamic axis changes "
            "size; export with fixed sizes (no dynamic_axes)"
        )
    made = {id(array_of(t)) for t in inputs if isinstance(t, Tensor)}
    made |= {id(o) for op in first.ops for o in op.outputs}
    made |= set(find_views(first.ops, [array_of(t) for t in inputs if isinstance(t, Tensor)]))
    if hasattr(model, "state_dict"):
        made |= {id(array_of(v)) for v in model.state_dict(keep_vars=True).values()}
    for a, b in zip(first.ops, second.ops):
        for key, va in a.args.items():
            vb = b.args.get(key)
            if isinstance(va, np.ndarray):
                baked = id(va) not in made and np.shape(vb) != va.shape
            else:
                baked = a.op != "Reshape" and not _same(va, vb)
            if baked:
                where = f" in {a.module}" if a.module else ""
                raise UnsupportedOperatorError(
                    f"lamina.onnx.export: op {a.op}{where}: its {key!r} depends on the size of "
                    "a dynamic axis but is computed outside lamina's ops; export with fixed "
                    "sizes (no dynamic_axes) or compute it with Tensor ops"
                )


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return True  # arrays inside options (e.g. *xs): checked as arrays elsewhere
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return True


def _names(given: Sequence[str] | None, n: int, stem: str, where: str) -> list[str]:
    if given is None:
        return [stem] if n == 1 else [f"{stem}_{i}" for i in range(n)]
    given = list(given)
    if len(given) > n:
        raise ValueError(f"{where}: {len(given)} names {given} for {n} {stem}s")
    return given + [f"{stem}_{i}" for i in range(len(given), n)]


def _axes(spec: Any, name: str) -> dict[int, str]:
    if isinstance(spec, Mapping):
        return {int(k): str(v) for k, v in spec.items()}
    return {int(a): f"{name}_dynamic_axes_{i + 1}" for i, a in enumerate(spec)}


def _value_info(onnx: Any, name: str, arr: np.ndarray, axes: dict[int, str], known: bool):
    shape: list[Any] = [axes.get(i, d if known else None) for i, d in enumerate(arr.shape)]
    return onnx.helper.make_tensor_value_info(name, onnx_dtype(onnx, arr.dtype), shape)


def _live_ops(ops, inputs: set[int], outputs, views: dict) -> list[TracedOp]:
    """The ops that depend on an input and feed an output; the rest fold into constants."""
    dynamic, keep = set(inputs), []
    dynamic.update(i for i, src in views.items() if id(src) in inputs)
    for op in ops:
        if any(id(a) in dynamic for a in _arrays(op)):
            keep.append(op)
            dynamic.update(id(o) for o in op.outputs)
            dynamic.update(i for i, src in views.items() if id(src) in dynamic)
    needed, live = {id(o) for o in outputs}, []
    for op in reversed(keep):
        if any(id(o) in needed for o in op.outputs):
            live.append(op)
            needed.update(id(a) for a in _arrays(op))
            needed.update(id(views[id(a)]) for a in _arrays(op) if id(a) in views)
    return live[::-1]


_arrays = op_arrays


def _convert(graph: Graph, op: TracedOp) -> None:
    fn = CONVERTERS.get(op.op)
    where = f" (used in {op.module})" if op.module else ""
    if fn is None:
        raise UnsupportedOperatorError(
            f"lamina.onnx.export: op {op.op}{where} has no ONNX mapping; "
            f"ops with one: {', '.join(sorted(CONVERTERS))}"
        )
    names = fn(Node(graph, op))
    names = [names] if isinstance(names, str) else list(names)
    for arr, name in zip(op.outputs, names):
        if name is not None:
            graph.bind(arr, name)
            graph.dynamic_ids.add(id(arr))
        else:
            graph.unavailable[id(arr)] = f"{op.op}{where}"
    for arr, _ in zip(op.outputs, names):
        graph.keep(arr)


def _check_available(graph: Graph, op: TracedOp) -> None:
    for a in _arrays(op):
        if id(a) in graph.unavailable:
            raise UnsupportedOperatorError(
                f"lamina.onnx.export: op {op.op} uses an output of {graph.unavailable[id(a)]} "
                "that ONNX does not provide (e.g. max-pool indices)"
            )


def export(
    model: Any,
    args: Any,
    f: str | os.PathLike | io.IOBase,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    dynamic_axes: Mapping[str, Mapping[int, str] | Sequence[int]] | None = None,
    opset_version: int = DEFAULT_OPSET,
) -> None:
    """Write ``model`` as an ONNX file by tracing ``model(*args)`` (torch.onnx.export).

    Args:
        model: a ``lamina.nn.Module`` (or any callable of Tensors); it runs once in eval
            mode (BatchNorm uses its running statistics, Dropout passes through) under
            ``no_grad``, and its modes are restored afterwards.
        args: the example input: a Tensor, an array, or a tuple of them (``None`` entries
            pass through as arguments but are not graph inputs).
        f: a file path or a binary file object.
        input_names, output_names: names of the graph's inputs and of the model's outputs
            (a nested tuple of outputs is flattened in order; ``None`` entries dropped).
        dynamic_axes: ``{name: {axis: "dim_name"}}`` or ``{name: [axis, ...]}``; those axes
            get a symbolic size, e.g. ``{"input": {0: "batch"}, "output": {0: "batch"}}``.
        opset_version: the ONNX operator set, 17 to 21.

    Ops that do not depend on the inputs (e.g. weight reshapes) are folded into constants.
    Raises ``UnsupportedOperatorError`` naming the op and the module that used it when an
    op has no ONNX mapping.
    """
    onnx = _onnx()
    if not 17 <= opset_version <= 21:
        raise ValueError(f"lamina.onnx.export: opset_version={opset_version}, supported 17..21")
    inputs = _inputs(args)
    tensors = [a for a in inputs if isinstance(a, Tensor)]
    in_names = _names(input_names, len(tensors), "input", "export input_names")
    modes = [(m, m.training) for m in model.modules()] if hasattr(model, "modules") else []
    try:
        if hasattr(model, "eval"):
            model.eval()
        with no_grad():
            trace, out = run_traced(model, inputs)
            grown = _grown(inputs, in_names, dict(dynamic_axes or {}))
            if grown is not None:  # a second trace with the dynamic axes one longer
                _check_dynamic(trace, run_traced(model, grown)[0], model, inputs)
    finally:
        for m, training in modes:
            m.__dict__["training"] = training
    outputs = _flatten(out, "lamina.onnx.export")
    out_names = _names(output_names, len(outputs), "output", "export output_names")
    graph = _build(onnx, trace.ops, model, tensors, in_names, outputs, out_names,
                   dict(dynamic_axes or {}), opset_version)  # fmt: skip
    proto = onnx.helper.make_model(
        graph, producer_name="lamina", opset_imports=[onnx.helper.make_opsetid("", opset_version)]
    )
    proto.ir_version = min(onnx.IR_VERSION, 9)  # readable by onnxruntime >= 1.16
    onnx.checker.check_model(proto)
    if isinstance(f, (str, os.PathLike)):
        onnx.save(proto, os.fspath(f))
    else:
        f.write(proto.SerializeToString())


def _build(onnx, ops, model, tensors, in_names, outputs, out_names, dynamic_axes, opset):
    unknown = set(dynamic_axes) - set(in_names) - set(out_names)
    if unknown:
        raise ValueError(
            f"lamina.onnx.export: dynamic_axes names {sorted(unknown)} are neither inputs "
            f"{in_names} nor outputs {out_names}"
        )
    g = Graph(onnx, opset)
    g.dynamic = any(name in dynamic_axes for name in in_names)
    graph_inputs = []
    for name, t in zip(in_names, tensors):
        g.bind(array_of(t), name)
        g.dynamic_ids.add(id(array_of(t)))
        axes = _axes(dynamic_axes.get(name, {}), name)
        graph_inputs.append(_value_info(onnx, name, array_of(t), axes, True))
    if hasattr(model, "state_dict"):
        for key, value in model.state_dict(keep_vars=True).items():
            arr = array_of(value) if isinstance(value, Tensor) else value
            if isinstance(arr, np.ndarray):
                g.bind_param(arr, key)
    _convert_all(g, ops, tensors, outputs)
    graph_outputs = []
    for name, arr in zip(out_names, outputs):
        src = g.name_of(arr) if g.is_dynamic(arr) else Node(g, _NO_OP).x(arr)
        g.nodes.append(onnx.helper.make_node("Identity", [src], [name], name=f"out_{name}"))
        axes = _axes(dynamic_axes.get(name, {}), name)
        graph_outputs.append(_value_info(onnx, name, arr, axes, not g.dynamic))
    used = _used_names(g)
    inits = [i for i in g.initializers if i.name in used]
    return onnx.helper.make_graph(g.nodes, "lamina", graph_inputs, graph_outputs, inits)


_NO_OP = TracedOp("output", {}, (), "")


def _convert_all(g: Graph, ops, tensors, outputs) -> None:
    inputs = [array_of(t) for t in tensors]
    try:
        views = find_views(ops, inputs)
    except ValueError as e:
        raise UnsupportedOperatorError(f"lamina.onnx.export: {e}") from None
    for op in _live_ops(ops, {id(a) for a in inputs}, outputs, views):
        _check_available(g, op)
        for a in _arrays(op):
            src = views.get(id(a))
            if src is not None and g.name_of(a) is None and g.is_dynamic(src):
                _bind_view(g, a, src)
        _convert(g, op)


def _bind_view(g: Graph, view: np.ndarray, src: np.ndarray) -> None:
    """A NumPy reshape made outside the ops, as an ONNX Reshape of its traced source."""
    from .convert_basic import reshape_target

    target = reshape_target(list(src.shape), list(view.shape), g.dynamic)
    name = g.one("Reshape", [g.name_of(src), g.ints(target, "shape")])
    g.bind(view, name)
    g.dynamic_ids.add(id(view))


def _used_names(g: Graph) -> set[str]:
    return {i for node in g.nodes for i in node.input}
