"""Replay kernels for ``lamina.compile``: an op's forward arithmetic into buffers kept per plan.

Each factory takes one recorded op (``lamina.onnx.trace.TracedOp``) and returns a kernel
computing exactly what the op's ``forward`` computes - the same BLAS and elementwise
operations on the same operands in the same order, so outputs are equal bit for bit (and
``lamina.compiled_check`` verifies it when a plan is recorded) - or None, and the plan
calls the op's ``forward`` instead. What the kernels save is allocation and copies:

* outputs go to buffers allocated once per input signature (``out=``), and an op whose input
  is a plan buffer read by nobody else works in place (BatchNorm on its convolution's output,
  ReLU on its BatchNorm's, the residual Add on one of its operands);
* a convolution keeps its zero-bordered padded input and the window view over it, copies the
  windows into column scratch shared by the plan's convolutions, and runs the GEMM into its
  output buffer (``lamina.ops.conv_kernels`` is the eager counterpart);
* max pooling keeps its ``-inf``-bordered input and takes the maximum over the kernel's
  strided views, without the indices when nothing reads them.

A kernel is called with the op's traced (slot) arguments in parameter order; the other
arguments (parameters, options) are bound when it is built. Parameters are bound as the
arrays themselves, so values changed in place are used (the plan records again when a
parameter gets a new array).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .ops import fast
from .ops.conv import CN_MAX_PIXELS, conv_out_size, pads4, pair
from .ops.conv_kernels import batch_chunks, im2col, windows
from .ops.pool import _geometry, _taps

__all__ = ["Scratch", "make_kernel"]

Kernel = Callable[..., Any]


class Scratch:
    """Scratch memory shared by a plan's kernels (im2col columns), sized when all are built.

    ``take(shape, dtype)`` returns a holder whose ``.array`` is that view once
    :meth:`allocate` ran; every holder views the same bytes, so only one user may be live at
    a time (a convolution's columns are dead once its GEMM has run).
    """

    def __init__(self) -> None:
        self.requests: list[tuple[Any, tuple, np.dtype]] = []

    def take(self, shape: tuple, dtype: np.dtype) -> Any:
        holder = type("ScratchView", (), {"array": None})()
        self.requests.append((holder, tuple(shape), np.dtype(dtype)))
        return holder

    def allocate(self) -> None:
        if not self.requests:
            return
        size = max(int(np.prod(s)) * d.itemsize for _, s, d in self.requests)
        raw = np.empty(size, np.uint8)
        for holder, shape, dtype in self.requests:
            n = int(np.prod(shape)) * dtype.itemsize
            holder.array = raw[:n].view(dtype).reshape(shape)


def _float(*arrays: Any) -> bool:
    return all(isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in arrays)


def _target(x: np.ndarray, out: np.ndarray, in_place: bool) -> tuple[np.ndarray | None, bool]:
    """A buffer for an elementwise result shaped like ``out``: the input itself or a new one."""
    if in_place and x.shape == out.shape and x.dtype == out.dtype:
        return None, True
    return np.empty_like(out), False


def linear(op: Any, slots: list[str], inplace: set[str], live: list[bool], scratch: Scratch):
    """Linear on a 2-D input: ``y = x @ w.T; y += b`` into a buffer."""
    x, w, b = op.args["x"], op.args["weight"], op.args.get("bias")
    if slots != ["x"] or x.ndim != 2 or not _float(x, w) or op.outputs[0].dtype != x.dtype:
        return None
    buf, wt = np.empty_like(op.outputs[0]), w.T
    if x.shape[0] == 1 and w.nbytes >= ALTERNATE_BYTES and w.shape[0] >= 2 * ALTERNATE_ROWS:
        return _alternating_gemv(wt, b, buf)
    if b is None:
        return lambda x: np.dot(x, wt, out=buf)

    def linear_bias(x):
        np.dot(x, wt, out=buf)  # x @ weight.T: np.dot skips some of matmul's dispatch
        return np.add(buf, b, out=buf)

    return linear_bias


ALTERNATE_BYTES = 1 << 20
ALTERNATE_ROWS = 64


def _alternating_gemv(wt: np.ndarray, b: np.ndarray | None, buf: np.ndarray) -> Kernel:
    """Batch-1 Linear as two matrix-vector products over halves of the weight rows, taken
    in alternating order from call to call.

    Replayed back to back, a model whose weights slightly overflow the L2 cache evicts, in
    a fixed order, the rows it needs next (each call misses everything); reversing the
    order keeps the last-read half hot. Each output is the same dot product of one weight
    row with x either way (the halves split at a multiple of ALTERNATE_ROWS rows, so BLAS
    groups the rows as in one call).
    """
    o = wt.shape[1]
    cut = (o // 2) // ALTERNATE_ROWS * ALTERNATE_ROWS
    halves = [(wt[:, :cut], buf[:, :cut]), (wt[:, cut:], buf[:, cut:])]
    orders = [halves, halves[::-1]]
    flip = [0]

    def gemv(x):
        flip[0] ^= 1
        for w_half, out in orders[flip[0]]:
            np.dot(x, w_half, out=out)
        return buf if b is None else np.add(buf, b, out=buf)

    return gemv


def relu(op: Any, slots: list[str], inplace: set[str], live: list[bool], scratch: Scratch):
    x, out = op.args["x"], op.outputs[0]
    if slots != ["x"] or not _float(x) or out.dtype != x.dtype:
        return None
    buf, same = _target(x, out, "x" in inplace)
    if same:
        return lambda x: np.maximum(x, 0, out=x)
    return lambda x: np.maximum(x, 0, out=buf)


def add(op: Any, slots: list[str], inplace: set[str], live: list[bool], scratch: Scratch):
    a, b, out = op.args["a"], op.args["b"], op.outputs[0]
    if not _float(a, b) or not (a.dtype == b.dtype == out.dtype):
        return None
    for name in ("a", "b"):  # a + b == b + a exactly: either operand may take the sum
        if name in slots and name in inplace and op.args[name].shape == out.shape:
            if slots == ["a", "b"]:
                return (
                    (lambda a, b: np.add(a, b, out=a))
                    if name == "a"
                    else (lambda a, b: np.add(a, b, out=b))
                )
            return lambda v, c=op.args["b" if name == "a" else "a"]: np.add(v, c, out=v)
    if slots != ["a", "b"]:
        return None
    buf = np.empty_like(out)
    return lambda a, b: np.add(a, b, out=buf)


def _bn_loops(*arrays: Any) -> tuple:
    """numba's (into, in place) BatchNorm loops when the fast kernels are on, else Nones."""
    if any(a is None for a in arrays) or not fast.use(*arrays):
        return None, None
    from .ops.fast._infer import batch_norm_inplace, batch_norm_into

    return batch_norm_into, batch_norm_inplace


def batch_norm(
    op: Any, slots: list[str], inplace: set[str], live: list[bool], scratch: Scratch, relu=False
):
    """Eval-mode BatchNorm, ``((x - mean) * invstd) * w + b``, then the ReLU that alone reads
    it if ``relu``: one numba pass (lamina.ops.fast) or the forward's NumPy passes in place.
    """
    a = op.args
    x, rm, rv, w, b = a["x"], a["running_mean"], a["running_var"], a["weight"], a["bias"]
    if a["training"] or slots != ["x"] or rm is None or rv is None or x.ndim < 2:
        return None
    dt = x.dtype
    if not _float(x, rm, rv) or rm.dtype != dt or rv.dtype != dt or op.outputs[0].dtype != dt:
        return None  # a cast of the running stats would be a snapshot, not the live buffer
    if any(p is not None and p.dtype != dt for p in (w, b)):
        return None
    bshape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    mean, var, eps = rm.reshape(bshape), rv.reshape(bshape), a["eps"]
    w4 = None if w is None else w.reshape(bshape)
    b4 = None if b is None else b.reshape(bshape)
    buf, same = _target(x, op.outputs[0], "x" in inplace)
    into, inplace_loop = _bn_loops(x, rm, rv, w, b)
    n, c = x.shape[:2]

    def bn(x):
        y = x if same else buf
        invstd = 1.0 / np.sqrt(var + eps)  # as the forward: C values, from the live var
        if into is not None and x.flags.c_contiguous:
            if same:
                inplace_loop(x.reshape(n, c, -1), rm, invstd.reshape(c), w, b, relu)
            else:
                into(x.reshape(n, c, -1), y.reshape(n, c, -1), rm, invstd.reshape(c), w, b, relu)
            return y
        np.subtract(x, mean, out=y)
        np.multiply(y, invstd, out=y)
        if w4 is not None:
            np.multiply(y, w4, out=y)
        if b4 is not None:
            np.add(y, b4, out=y)
        return np.maximum(y, 0, out=y) if relu else y

    return bn


def _conv_geometry(a: dict, xshape: tuple, wshape: tuple, itemsize: int) -> tuple | None:
    """(pads, stride, dilation, Ho, Wo) as the forward resolves them; None if the forward
    would split the batch into chunks (its workspace bound)."""
    (n, c, h, w), (_, _, kh, kw) = xshape, wshape
    stride, dilation = pair(a["stride"]), pair(a["dilation"])
    pt, pb, pl, pr = pads4(a["padding"])
    ho = conv_out_size(h, kh, stride[0], pt + pb, dilation[0])
    wo = conv_out_size(w, kw, stride[1], pl + pr, dilation[1])
    if len(batch_chunks(n, c * kh * kw * ho * wo * itemsize)) > 1:
        return None
    return (pt, pb, pl, pr), stride, dilation, ho, wo


def _padded_windows(x: np.ndarray, pads: tuple, geom: tuple, scratch: Scratch) -> tuple | None:
    """(inside of the kept zero-bordered input, window view over it in the column order,
    column scratch holder), or None without padding (the forward reads the input in place:
    so does the kernel, im2col per call)."""
    if pads == (0, 0, 0, 0):
        return None
    (n, c, h, w), (pt, pb, pl, pr) = x.shape, pads
    kh, kw, stride, dilation, ho, wo, _, cn = geom
    xp = np.zeros((n, c, h + pt + pb, w + pl + pr), x.dtype)  # the border stays zero
    win = windows(xp, kh, kw, stride, dilation, ho, wo)  # (N, C, kh, kw, Ho, Wo)
    if cn:
        win = win.transpose(1, 2, 3, 0, 4, 5)
    return xp[:, :, pt : pt + h, pl : pl + w], win, scratch.take(win.shape, x.dtype)


def conv2d(op: Any, slots: list[str], inplace: set[str], live: list[bool], scratch: Scratch):
    """Conv2d as the forward's im2col + GEMM, with kept padding and shared column scratch."""
    a = op.args
    x, weight, bias, groups = a["x"], a["weight"], a["bias"], a["groups"]
    if slots != ["x"] or x.ndim != 4 or weight.ndim != 4 or not _float(x, weight):
        return None
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    if groups == c > 1 or x.dtype != weight.dtype or op.outputs[0].dtype != x.dtype:
        return None  # depthwise has its own loop; mixed dtypes: leave them to the forward
    if bias is not None and bias.dtype != x.dtype:
        return None
    geom = _conv_geometry(a, x.shape, weight.shape, x.itemsize)
    if geom is None:
        return None
    (pt, pb, pl, pr), stride, dilation, ho, wo = geom
    cn, k = ho * wo < CN_MAX_PIXELS, (c // groups) * kh * kw
    wg = weight.reshape(groups, o // groups, -1)  # a view: in-place weight updates are seen
    gemm = np.empty((groups, o // groups, n * ho * wo) if cn else (n, groups, o // groups, ho * wo),
                    x.dtype)  # fmt: skip
    out = np.empty((n, o, ho, wo), x.dtype) if cn and n > 1 else gemm.reshape(n, o, ho, wo)
    b4 = None if bias is None else bias.reshape(1, o, 1, 1)
    geom = (kh, kw, stride, dilation, ho, wo, groups, cn)
    fill = _padded_windows(x, (pt, pb, pl, pr), geom, scratch)

    def conv(x):
        if fill is None:
            c2 = im2col(x, *geom)
        else:
            np.copyto(fill[0], x)
            c2 = fill[2].array
            np.copyto(c2, fill[1])  # the windows, in the forward's column order
            c2 = c2.reshape((groups, k, n * ho * wo) if cn else (n, groups, k, ho * wo))
        np.matmul(wg, c2, out=gemm)
        if cn and n > 1:
            np.copyto(out, gemm.reshape(o, n, ho, wo).transpose(1, 0, 2, 3))
        if b4 is not None:
            np.add(out, b4, out=out)
        return out

    return conv


def _max_pool_numba(best: np.ndarray, width: int, geom: tuple) -> Kernel:
    from .ops.fast._infer import max_pool_values

    tmp, acc = np.empty(width, best.dtype), np.empty(best.shape[3], best.dtype)

    def pool_numba(x):
        if not x.flags.c_contiguous:
            x = np.ascontiguousarray(x)
        max_pool_values(x, best, tmp, acc, *geom)
        return best, None

    return pool_numba


def max_pool2d(op: Any, slots: list[str], inplace: set[str], live: list[bool], scratch: Scratch):
    """MaxPool2d's values (not its indices), separably (max is exact: the forward's values):
    with numba one pass over the rows each output row covers, else the maximum over the
    kernel's columns for every row of a kept ``-inf``-bordered input, then over its rows."""
    a, x = op.args, op.args["x"]
    if slots != ["x"] or live[1] or not _float(x) or x.ndim != 4:
        return None
    k, s, p, d, out_hw, reach = _geometry(
        "MaxPool2d", x, a["kernel_size"], a["stride"], a["padding"], a["dilation"], a["ceil_mode"]
    )
    n, c, h, w = x.shape
    best = np.empty((n, c, *out_hw), x.dtype)
    taps = [sl for _, sl in _taps(k, s, d, out_hw)]
    row_taps = [sh for sh, _ in taps[:: k[1]]]  # one per kernel row
    col_taps = [sw for _, sw in taps[: k[1]]]  # one per kernel column
    if fast.use(x):
        return _max_pool_numba(best, w, (*k, *s, *p, *d))
    padded = not (p == (0, 0) and reach == (h, w))
    src = np.full((n, c, *reach), -np.inf, x.dtype) if padded else None  # border stays -inf
    rows = np.empty((n, c, reach[0] if padded else h, out_hw[1]), x.dtype)

    def pool(x):
        if padded:
            np.copyto(src[:, :, p[0] : p[0] + h, p[1] : p[1] + w], x)
        xs = src if padded else x
        np.copyto(rows, xs[:, :, :, col_taps[0]])
        for sw in col_taps[1:]:
            np.maximum(rows, xs[:, :, :, sw], out=rows)
        np.copyto(best, rows[:, :, row_taps[0]])
        for sh in row_taps[1:]:
            np.maximum(best, rows[:, :, sh], out=best)
        return best, None

    return pool


_FACTORIES = {
    "Linear": linear,
    "ReLU": relu,
    "Add": add,
    "BatchNorm": batch_norm,
    "Conv2d": conv2d,
    "MaxPool2d": max_pool2d,
}

# op -> the ReLU it can absorb when that ReLU alone reads its output (the ReLU step becomes
# an alias of the op's output)
ABSORBS_RELU = {"BatchNorm"}


def make_kernel(
    op: Any,
    slots: list[str],
    inplace: set[str],
    live: list[bool],
    scratch: Scratch,
    relu: bool = False,
) -> Kernel | None:
    """The replay kernel for ``op``, or None (the plan calls the op's forward).

    ``slots``: the op's arguments that are traced arrays, in parameter order (the kernel's
    arguments); ``inplace``: those the kernel may overwrite (plan buffers nobody else reads);
    ``live``: per output, whether anything reads it; ``relu``: also apply the ReLU that
    alone reads the output (ops in ABSORBS_RELU).
    """
    factory = _FACTORIES.get(op.op)
    if factory is None:
        return None
    if relu:
        return factory(op, slots, inplace, live, scratch, relu=True)
    return factory(op, slots, inplace, live, scratch)
