"""ONNX for lamina's convolution, pooling, normalisation and recurrent ops."""

from __future__ import annotations

import numpy as np

from .convert_basic import converts
from .graph import Node


def _pair(v) -> list[int]:
    if isinstance(v, (int, np.integer)):
        return [int(v), int(v)]
    v = [int(a) for a in v]
    return v * 2 if len(v) == 1 else v


def _pads(padding) -> list[int]:
    """lamina's int, (ph, pw) or (top, bottom, left, right) as ONNX's [top, left, bottom, right]."""
    if not isinstance(padding, (int, np.integer)) and len(padding) == 4:
        t, b, l, r = (int(p) for p in padding)
    else:
        ph, pw = _pair(padding)
        t, b, l, r = ph, ph, pw, pw
    return [t, l, b, r]


@converts("Conv2d")
def _conv(n: Node):
    ins = [n.inp("x"), n.inp("weight")] + ([] if n.arr("bias") is None else [n.inp("bias")])
    kh, kw = n.in_shape("weight")[2:]
    return n.g.one(
        "Conv", ins, kernel_shape=[kh, kw], strides=_pair(n.arr("stride")),
        pads=_pads(n.arr("padding")), dilations=_pair(n.arr("dilation")),
        group=int(n.arr("groups")),
    )  # fmt: skip


@converts("ConvTranspose2d")
def _conv_transpose(n: Node):
    ins = [n.inp("x"), n.inp("weight")] + ([] if n.arr("bias") is None else [n.inp("bias")])
    kh, kw = n.in_shape("weight")[2:]
    return n.g.one(
        "ConvTranspose", ins, kernel_shape=[kh, kw], strides=_pair(n.arr("stride")),
        pads=_pads(n.arr("padding")), dilations=_pair(n.arr("dilation")),
        output_padding=_pair(n.arr("output_padding")), group=int(n.arr("groups")),
    )  # fmt: skip


@converts("BatchNorm")
def _batch_norm(n: Node):
    if n.arr("training"):
        raise n.unsupported("batch norm in training mode (export calls model.eval() first)")
    c, dt = n.in_shape("x")[1], n.out_dtype()
    w, b = n.arr("weight"), n.arr("bias")
    scale = n.x(np.ones(c, dt)) if w is None else n.inp("weight", dt)
    bias = n.x(np.zeros(c, dt)) if b is None else n.inp("bias", dt)
    ins = [n.inp("x"), scale, bias, n.inp("running_mean", dt), n.inp("running_var", dt)]
    return n.g.one("BatchNormalization", ins, epsilon=float(n.arr("eps")))


@converts("LayerNorm")
def _layer_norm(n: Node):
    shape, dt = tuple(n.arr("normalized_shape")), n.out_dtype()
    w, b = n.arr("weight"), n.arr("bias")
    ins = [n.inp("x"), n.x(np.ones(shape, dt)) if w is None else n.inp("weight")]
    ins += [] if b is None else [n.inp("bias")]
    axis = -len(shape)
    return n.g.one("LayerNormalization", ins, axis=axis, epsilon=float(n.arr("eps")))


def _pool_attrs(n: Node) -> dict:
    k = _pair(n.arr("kernel_size"))
    stride = n.arr("stride")
    return dict(
        kernel_shape=k, strides=k if stride is None or stride == () else _pair(stride),
        pads=_pads(n.arr("padding")), ceil_mode=int(bool(n.arr("ceil_mode"))),
    )  # fmt: skip


@converts("MaxPool2d")
def _max_pool(n: Node):
    attrs = _pool_attrs(n)
    attrs["dilations"] = _pair(n.arr("dilation"))
    return [n.g.one("MaxPool", [n.inp("x")], **attrs), None]  # lamina's indices are per plane


@converts("AvgPool2d")
def _avg_pool(n: Node):
    if n.arr("divisor_override"):
        raise n.unsupported("avg_pool2d with divisor_override")
    attrs = _pool_attrs(n)
    attrs["count_include_pad"] = int(bool(n.arr("count_include_pad")))
    return n.g.one("AveragePool", [n.inp("x")], **attrs)


def _avg_matrix(size: int, out: int, dtype) -> np.ndarray:
    """torch's adaptive bins as an (out, size) averaging matrix."""
    i = np.arange(out)
    start, end = (i * size) // out, -((-(i + 1) * size) // out)
    pos = np.arange(size)
    inside = (pos >= start[:, None]) & (pos < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


@converts("AdaptiveAvgPool2d")
def _adaptive_avg(n: Node):
    (h, w), (oh, ow), dt = n.in_shape("x")[2:], n.out_shape()[2:], n.out_dtype()
    if (h, w) == (oh, ow):
        return n.g.one("Identity", [n.inp("x")])
    if (oh, ow) == (1, 1):
        return n.g.one("GlobalAveragePool", [n.inp("x")])
    if h % oh == 0 and w % ow == 0:
        k = [h // oh, w // ow]
        return n.g.one("AveragePool", [n.inp("x")], kernel_shape=k, strides=k)
    # uneven bins: the two products lamina computes, A_h @ x @ A_w.T
    rows = n.g.one("MatMul", [n.inp("x"), n.x(_avg_matrix(w, ow, dt).T.copy())])
    return n.g.one("MatMul", [n.x(_avg_matrix(h, oh, dt)), rows])


@converts("AdaptiveMaxPool2d")
def _adaptive_max(n: Node):
    (h, w), (oh, ow) = n.in_shape("x")[2:], n.out_shape()[2:]
    if h % oh or w % ow:
        raise n.unsupported(f"adaptive max pool from {(h, w)} to {(oh, ow)} (uneven bins)")
    k = [h // oh, w // ow]
    return [n.g.one("MaxPool", [n.inp("x")], kernel_shape=k, strides=k), None]


# ---- recurrent layers: one ONNX LSTM/GRU/RNN node per layer and direction ----------------
# lamina (as torch) orders gates LSTM i, f, g, o and GRU r, z, n; ONNX wants i, o, f, c and
# z, r, h (with linear_before_reset=1 for torch's GRU).
_GATES = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN": [0]}


def _gates(w: np.ndarray, kind: str) -> np.ndarray:
    h = w.shape[0] // len(_GATES[kind])
    return np.concatenate([w[i * h : (i + 1) * h] for i in _GATES[kind]])


def _weight(n: Node, key: str, kind: str) -> str:
    """A gate-reordered (1, G*H, ...) weight; a traced (dynamic) weight is refused."""
    w = n.arr(key)
    if n.g.name_of(w) is not None and n.g.is_dynamic(w):
        raise n.unsupported(f"{key} computed from the inputs (ONNX takes a constant weight)")
    return n.x(_gates(np.asarray(w), kind)[None])


def _state(n: Node, key: str) -> str:
    h = n.arr(key)
    return "" if h is None else n.g.one("Unsqueeze", [n.inp(key), n.g.ints([0])])


def _recurrent(n: Node, kind: str, extra: dict):
    if n.arr("lengths") is not None:
        raise n.unsupported("lengths (variable-length sequences)")
    hsz = n.in_shape("w_hh")[1]
    b_ih, b_hh = n.arr("b_ih"), n.arr("b_hh")
    ins = [n.inp("x"), _weight(n, "w_ih", kind), _weight(n, "w_hh", kind)]
    if b_ih is not None or b_hh is not None:
        g = len(_GATES[kind]) * hsz
        dt = n.out_dtype()
        parts = [
            np.zeros(g, dt) if b is None else _gates(np.asarray(b), kind) for b in (b_ih, b_hh)
        ]
        ins.append(n.x(np.concatenate(parts)[None]))
    else:
        ins.append("")
    ins += ["", _state(n, "h0")] + ([_state(n, "c0")] if kind == "LSTM" else [])
    while ins[-1] == "":
        ins.pop()
    direction = "reverse" if n.arr("reverse") else "forward"
    n_out = 3 if kind == "LSTM" else 2
    outs = n.g.add(kind, ins, n_out, hidden_size=int(hsz), direction=direction, **extra)
    y = n.g.one("Squeeze", [outs[0], n.g.ints([1])])  # (T, 1, N, H) -> (T, N, H)
    return [y] + [n.g.one("Squeeze", [o, n.g.ints([0])]) for o in outs[1:]]


@converts("LSTMFunction")
def _lstm(n: Node):
    return _recurrent(n, "LSTM", {})


@converts("GRUFunction")
def _gru(n: Node):
    return _recurrent(n, "GRU", {"linear_before_reset": 1})


@converts("RNNTanhFunction", "RNNReluFunction")
def _rnn(n: Node):
    act = "Relu" if n.op.op == "RNNReluFunction" else "Tanh"
    return _recurrent(n, "RNN", {"activations": [act]})


@converts("ScaledDotProductAttention")
def _attention(n: Node):
    if n.arr("dropout_p"):
        raise n.unsupported("attention dropout (export runs in eval mode; pass dropout_p=0)")
    g, dt, nd = n.g, n.out_dtype(), len(n.in_shape("k"))
    perm = list(range(nd - 2)) + [nd - 1, nd - 2]
    kt = g.one("Transpose", [n.inp("k")], perm=perm)
    s = g.one("Mul", [g.one("MatMul", [n.inp("q"), kt]), n.x(float(n.arr("scale")), dt)])
    mask = n.arr("mask")
    if n.arr("causal"):
        L, S = n.in_shape("q")[-2], n.in_shape("k")[-2]
        mask = np.tri(L, S, dtype=bool)
    if mask is not None and mask.dtype == np.bool_:
        s = g.one("Where", [n.x(mask) if n.arr("causal") else n.inp("mask"), s, n.x(-np.inf, dt)])
    elif mask is not None:
        s = g.one("Add", [s, n.inp("mask", dt)])
    p = g.one("Softmax", [s], axis=-1)
    out = g.one("MatMul", [p, n.inp("v")])
    return [out, p] if n.arr("need_weights") else out
