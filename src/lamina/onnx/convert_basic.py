"""ONNX for lamina's elementwise, activation, shape, reduction, index and linear-algebra ops.

Each converter takes a :class:`~lamina.onnx.graph.Node` and returns the ONNX names of the
op's outputs (one name, or a list with ``None`` for an output ONNX cannot give).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .graph import Node, onnx_dtype

CONVERTERS: dict[str, Callable[[Node], object]] = {}


def converts(*names: str):
    def register(fn):
        for name in names:
            CONVERTERS[name] = fn
        return fn

    return register


# ---- elementwise ------------------------------------------------------------------------
_BINARY = {"Add": "Add", "Sub": "Sub", "Mul": "Mul", "Div": "Div", "Pow": "Pow"}
_BINARY.update(Maximum="Max", Minimum="Min")
_UNARY = {"Neg": "Neg", "Exp": "Exp", "Log": "Log", "Sqrt": "Sqrt", "Abs": "Abs"}
_UNARY.update(Sign="Sign", Sin="Sin", Cos="Cos", Sigmoid="Sigmoid", Tanh="Tanh", ReLU="Relu")
_UNARY.update(Clone="Identity")


@converts(*_BINARY)
def _binary(n: Node):
    dt = n.out_dtype()  # NumPy's promotion decided the result type; ONNX wants it on both sides
    return n.g.one(_BINARY[n.op.op], [n.inp("a", dt), n.inp("b", dt)])


@converts(*_UNARY)
def _unary(n: Node):
    return n.g.one(_UNARY[n.op.op], [n.inp("x" if "x" in n.args else "a")])


@converts("Log1p")
def _log1p(n: Node):
    return n.g.one("Log", [n.g.one("Add", [n.inp("x"), n.x(1.0)])])


@converts("Rsqrt")
def _rsqrt(n: Node):
    return n.g.one("Reciprocal", [n.g.one("Sqrt", [n.inp("x")])])


@converts("Clamp")
def _clamp(n: Node):
    lo, hi = n.arr("lo"), n.arr("hi")
    ins = [n.inp("x"), "" if lo is None else n.x(lo), "" if hi is None else n.x(hi)]
    while ins[-1] == "":
        ins.pop()
    return n.g.one("Clip", ins)


@converts("Where")
def _where(n: Node):
    cond = n.inp("cond", np.bool_)
    return n.g.one("Where", [cond, n.inp("a", n.out_dtype()), n.inp("b", n.out_dtype())])


@converts("Cast")
def _cast(n: Node):
    return n.g.one("Cast", [n.inp("x")], to=onnx_dtype(n.g.onnx, n.out_dtype()))


# ---- activations ------------------------------------------------------------------------
@converts("LeakyReLU")
def _leaky(n: Node):
    return n.g.one("LeakyRelu", [n.inp("x")], alpha=float(n.arr("negative_slope")))


@converts("ELU")
def _elu(n: Node):
    return n.g.one("Elu", [n.inp("x")], alpha=float(n.arr("alpha")))


@converts("SiLU")
def _silu(n: Node):
    x = n.inp("x")
    return n.g.one("Mul", [x, n.g.one("Sigmoid", [x])])


@converts("GELU")
def _gelu(n: Node):
    g, x = n.g, n.inp("x")
    if n.arr("approximate") == "tanh":  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = g.one("Mul", [g.one("Mul", [x, x]), x])
        inner = g.one("Add", [x, g.one("Mul", [cube, n.x(0.044715)])])
        t = g.one("Tanh", [g.one("Mul", [inner, n.x(math.sqrt(2 / math.pi))])])
    else:  # 0.5 x (1 + erf(x / sqrt 2))
        t = g.one("Erf", [g.one("Div", [x, n.x(math.sqrt(2.0))])])
    return g.one("Mul", [g.one("Mul", [x, n.x(0.5)]), g.one("Add", [t, n.x(1.0)])])


@converts("Softplus")
def _softplus(n: Node):
    g, x, beta = n.g, n.inp("x"), float(n.arr("beta"))
    bx = g.one("Mul", [x, n.x(beta)])
    soft = g.one("Div", [g.one("Softplus", [bx]), n.x(beta)])
    return g.one("Where", [g.one("Greater", [bx, n.x(float(n.arr("threshold")))]), x, soft])


@converts("Softmax", "LogSoftmax")
def _softmax(n: Node):
    return n.g.one(n.op.op, [n.inp("x")], axis=int(n.arr("dim")))


@converts("Dropout")
def _dropout(n: Node):
    if n.arr("training") and n.arr("p") > 0:
        raise n.unsupported("dropout in training mode (export calls model.eval() first)")
    return n.g.one("Identity", [n.inp("x")])


# ---- shape ------------------------------------------------------------------------------
def reshape_target(old: list[int], new: list[int], dynamic: bool) -> list[int]:
    """ONNX Reshape's shape input for ``old -> new`` that keeps a batch axis dynamic.

    0 copies the input's size: a shared leading prefix such as the batch axis stays
    dynamic; otherwise, with dynamic axes, a merged leading axis is left to ONNX (-1).
    """
    target, k = list(new), 0
    while k < min(len(old), len(new)) and old[k] == new[k]:
        target[k] = 0
        k += 1
    if k == 0 and new and dynamic and 0 not in new:
        target[0] = -1
    return target


@converts("Reshape")
def _reshape(n: Node):
    target = reshape_target(list(n.in_shape("x")), list(n.out_shape()), n.g.dynamic)
    return n.g.one("Reshape", [n.inp("x"), n.g.ints(target, "shape")])


@converts("Permute")
def _permute(n: Node):
    return n.g.one("Transpose", [n.inp("x")], perm=[int(a) for a in n.arr("axes")])


@converts("Expand")
def _expand(n: Node):
    return n.g.one("Expand", [n.inp("x"), n.g.ints(n.out_shape(), "shape")])


@converts("Repeat")
def _repeat(n: Node):
    x, reps = n.inp("x"), list(n.arr("reps"))
    extra = len(reps) - len(n.in_shape("x"))
    if extra > 0:
        x = n.g.one("Reshape", [x, n.g.ints([1] * extra + list(n.in_shape("x")))])
    return n.g.one("Tile", [x, n.g.ints(reps)])


@converts("Cat")
def _cat(n: Node):
    dt = n.out_dtype()
    return n.g.one("Concat", [n.x(a, dt) for a in n.arr("xs")], axis=int(n.arr("axis")))


@converts("Stack")
def _stack(n: Node):
    axis, dt = int(n.arr("axis")), n.out_dtype()
    axis = axis % len(n.out_shape())
    parts = [n.g.one("Unsqueeze", [n.x(a, dt), n.g.ints([axis])]) for a in n.arr("xs")]
    return n.g.one("Concat", parts, axis=axis)


@converts("Split")
def _split(n: Node):
    sizes = [o.shape[int(n.arr("axis"))] for o in n.op.outputs]
    outs = n.g.add("Split", [n.inp("x"), n.g.ints(sizes)], len(sizes), axis=int(n.arr("axis")))
    return outs


@converts("Pad")
def _pad(n: Node):
    mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge"}.get(n.arr("mode"))
    if mode is None:
        raise n.unsupported(f"padding mode {n.arr('mode')!r}")
    pw = [tuple(int(v) for v in p) for p in n.arr("pad_width")]
    pads = n.g.ints([b for b, _ in pw] + [a for _, a in pw])
    ins = [n.inp("x"), pads]
    if mode == "constant":
        ins.append(n.x(n.arr("value"), n.out_dtype()))
    return n.g.one("Pad", ins, mode=mode)


# ---- reductions -------------------------------------------------------------------------
def _axes(n: Node) -> list[int]:
    axis, ndim = n.arr("axis"), len(n.in_shape("x"))
    if axis is None:
        return list(range(ndim))
    axis = axis if isinstance(axis, (tuple, list)) else (axis,)
    return sorted(int(a) % ndim for a in axis)


def reduce(n: Node, op_type: str, x: str, axes: list[int], keepdims: bool) -> str:
    """ReduceX over ``axes``; opset 18 moved the axes of every Reduce op into an input."""
    if n.g.opset >= 18 or op_type == "ReduceSum":
        return n.g.one(op_type, [x, n.g.ints(axes)], keepdims=int(keepdims))
    return n.g.one(op_type, [x], axes=axes, keepdims=int(keepdims))


_REDUCE = {"Sum": "ReduceSum", "Mean": "ReduceMean", "LogSumExp": "ReduceLogSumExp"}
_REDUCE["Prod"] = "ReduceProd"


@converts(*_REDUCE)
def _reduce(n: Node):
    return reduce(n, _REDUCE[n.op.op], n.inp("x"), _axes(n), bool(n.arr("keepdim")))


@converts("MaxMin", "AMaxMin")
def _maxmin(n: Node):
    op_type = "ReduceMax" if n.arr("largest") else "ReduceMin"
    return reduce(n, op_type, n.inp("x"), _axes(n), bool(n.arr("keepdim")))


@converts("VectorNorm")
def _norm(n: Node):
    p = n.arr("p")
    if p not in (1, 2):
        raise n.unsupported(f"norm with p={p!r} (ONNX has ReduceL1 and ReduceL2)")
    return reduce(n, f"ReduceL{int(p)}", n.inp("x"), _axes(n), bool(n.arr("keepdim")))


@converts("Var")
def _var(n: Node):
    g, x, axes = n.g, n.inp("x"), _axes(n)
    count = math.prod(n.in_shape("x")[a] for a in axes)
    d = g.one("Sub", [x, reduce(n, "ReduceMean", x, axes, True)])
    ss = reduce(n, "ReduceSum", g.one("Mul", [d, d]), axes, bool(n.arr("keepdim")))
    return g.one("Div", [ss, n.x(float(count - n.arr("correction")))])


# ---- linear algebra ---------------------------------------------------------------------
@converts("MatMul")
def _matmul(n: Node):
    dt = n.out_dtype()
    return n.g.one("MatMul", [n.inp("a", dt), n.inp("b", dt)])


@converts("Linear")
def _linear(n: Node):
    g, x, w, b = n.g, n.inp("x"), n.inp("weight"), n.arr("bias")
    if len(n.in_shape("x")) == 2:
        return g.one("Gemm", [x, w] + ([] if b is None else [n.x(b)]), transB=1)
    y = g.one("MatMul", [x, g.one("Transpose", [w], perm=[1, 0])])
    return y if b is None else g.one("Add", [y, n.x(b)])


# ---- indexing ---------------------------------------------------------------------------
@converts("GetItem")
def _getitem(n: Node):
    key = n.arr("key")
    key = key if isinstance(key, tuple) else (key,)
    if any(isinstance(k, (np.ndarray, list)) or k is Ellipsis for k in key):
        if len(key) == 1 and isinstance(key[0], np.ndarray) and key[0].dtype.kind in "iu":
            return n.g.one("Gather", [n.inp("x"), n.x(key[0].astype(np.int64))], axis=0)
        raise n.unsupported(f"indexing with {key!r} (basic slices and one int array only)")
    return _basic_index(n, n.inp("x"), key, n.in_shape("x"))


def _basic_index(n: Node, x: str, key: tuple, shape: tuple) -> str:
    g, axis, starts, ends, axes, steps, picks, news = n.g, 0, [], [], [], [], [], []
    for k in key:
        if k is None:
            news.append(len(picks) + axis)
            continue
        if isinstance(k, slice):
            if k != slice(None):
                start, stop, step = k.indices(shape[axis])
                if step < 0 and stop < 0:
                    stop = -(2**62)  # below 0: run to the front, as k.indices meant
                starts, ends = starts + [start], ends + [stop]
                axes, steps = axes + [axis], steps + [step]
        else:
            picks.append((axis, int(k) % shape[axis]))
        axis += 1
    if axes:
        ins = [x, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)]
        x = g.one("Slice", ins)
    for ax, i in reversed(picks):  # a scalar index removes its axis
        x = g.one("Gather", [x, g.const(np.int64(i))], axis=ax)
    if news:
        x = g.one("Unsqueeze", [x, g.ints(_new_axes(key))])
    return x


def _new_axes(key: tuple) -> list[int]:
    """Output positions of the None entries of a basic index key."""
    out, pos = [], 0
    for k in key:
        if k is None:
            out.append(pos)
            pos += 1
        elif isinstance(k, slice):
            pos += 1
    return out


@converts("IndexSelect")
def _index_select(n: Node):
    idx = n.inp("index", np.int64)
    return n.g.one("Gather", [n.inp("x"), idx], axis=int(n.arr("axis")))


@converts("Gather")
def _gather(n: Node):
    idx = n.inp("index", np.int64)
    return n.g.one("GatherElements", [n.inp("x"), idx], axis=int(n.arr("axis")))


@converts("MaskedFill")
def _masked_fill(n: Node):
    mask = n.inp("mask", np.bool_)
    return n.g.one("Where", [mask, n.x(n.arr("value"), n.out_dtype()), n.inp("x")])


@converts("EmbeddingLookup")
def _embedding(n: Node):
    idx = n.inp("indices", np.int64)
    return n.g.one("Gather", [n.inp("weight"), idx], axis=0)
