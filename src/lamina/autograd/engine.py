"""Reverse-mode engine: walk the graph of Contexts from the output back to the leaves.

The graph is sorted iteratively (no recursion: an RNN unrolled over 10,000 steps works);
gradients of fan-out accumulate; each returned gradient is summed back to its input's
shape (unbroadcast) and checked; the graph is freed unless ``retain_graph``.
"""

from __future__ import annotations

import numpy as np

from .. import _alloc
from . import anomaly

# Post-accumulate-grad hooks alive in the process (Tensor.register_post_accumulate_grad_hook):
# while it is 0 the engine skips the bookkeeping below entirely.
hooks_alive = [0]
_final_callbacks: list = []  # queue_callback's, run when the current backward ends
_depth = [0]


def queue_callback(fn) -> None:
    """Run ``fn()`` once the backward pass in progress finishes (torch's
    ``Variable._execution_engine.queue_callback``); DistributedDataParallel waits on its
    gradient reductions there."""
    if not _depth[0]:
        raise RuntimeError("queue_callback can only be called during the backward pass")
    _final_callbacks.append(fn)


class _LeafHooks:
    """Fires a leaf's post-accumulate hooks once its last gradient of this pass is in.

    The engine adds a leaf's gradient edge by edge (once per op that consumed it); torch
    calls the hook once, after the whole gradient is accumulated, so the edges into every
    hooked leaf are counted first and the hook fires when the count runs out.
    """

    def __init__(self, order) -> None:
        self.left, self.got = {}, set()
        for ctx in order:
            for inp, need in zip(ctx.inputs, ctx.needs_input_grad):
                if need and inp._ctx is None and getattr(inp, "_post_acc_hooks", None):
                    self.left[id(inp)] = self.left.get(id(inp), 0) + 1

    def edge(self, inp, got: bool) -> None:
        key = id(inp)
        if key not in self.left:
            return
        if got:
            self.got.add(key)
        self.left[key] -= 1
        if self.left[key] == 0 and key in self.got:
            fire_post_accumulate(inp)

    def skip(self, ctx) -> None:
        """``ctx`` received no gradient: its edges are done without one."""
        for inp, need in zip(ctx.inputs, ctx.needs_input_grad):
            if need:
                self.edge(inp, False)


def fire_post_accumulate(tensor) -> None:
    for hook in list(tensor._post_acc_hooks.values()):
        hook(tensor)


def parent(t, consumer):
    """The (ctx, output index) that made ``t`` as ``consumer`` saw it: an in-place op gives
    ``t`` a new history, but ops recorded before it still read the old one."""
    for seq, ctx, idx in t._hist:
        if consumer.seq <= seq:  # made before the in-place op, or by it (x -= x)
            return ctx, idx
    return t._ctx, t._idx


def _topo_order(root):
    """Contexts reachable from root, each after every context that consumes it."""
    # Mark a context visited when it is expanded, not when pushed: marking on push lets a
    # context be emitted before another consumer of it (x -> a -> b, stack(a, b)).
    order, seen = [], set()  # contexts hash by identity
    stack = [(root, False)]
    while stack:
        ctx, done = stack.pop()
        if done:
            order.append(ctx)
            continue
        if ctx in seen:
            continue
        seen.add(ctx)
        stack.append((ctx, True))
        for t in ctx.inputs:
            c = getattr(t, "_ctx", None)
            if c is not None and t._hist is not None:
                c = parent(t, ctx)[0]
            if c is not None and c not in seen:
                stack.append((c, False))
    order.reverse()  # consumers first
    return order


def unbroadcast(g, shape, ctx):
    """Sum a gradient of a broadcast shape back to ``shape``; raise naming ``ctx`` if it cannot."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    if extra >= 0:
        axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
        if axes:
            g = g.sum(axis=axes, keepdims=True)
    if g.shape != shape:
        raise RuntimeError(
            f"{ctx.name()} returned a gradient of shape {tuple(g.shape)} for an input of shape "
            f"{tuple(shape)}"
        )
    return g


def _check_versions(ctx) -> None:
    """Raise torch's error when an array saved for backward was modified in place since."""
    for then, inp in zip(ctx.versions, ctx.inputs):
        if then is None or inp._version[0] == then:
            continue
        arr = inp._data
        if any(s is arr for s in ctx.saved):
            _modified(ctx, arr, inp._version[0], then)


def _modified(ctx, arr, now, then) -> None:
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{arr.dtype} {list(arr.shape)}], saved by {ctx.name()}, is at "
        f"version {now}; expected version {then} instead. Hint: clone the tensor before "
        "modifying it in place, or modify it after backward()."
    )


def _free(ctx) -> None:
    """Drop what forward kept, so the arrays go as soon as backward is done with them."""
    ctx.saved = ()
    ctx.freed = True
    for name in ctx.fn._all_attrs:
        setattr(ctx, name, None)


def run_backward(tensor, grad, retain_graph=False):
    """Backpropagate ``grad`` (an ndarray shaped like tensor) into the leaves' ``.grad``."""

    _depth[0] += 1
    try:
        _run(tensor, grad, retain_graph)
    finally:
        _depth[0] -= 1
    if not _depth[0] and _final_callbacks:
        todo = list(_final_callbacks)
        _final_callbacks.clear()
        for fn in todo:
            fn()


def _run(tensor, grad, retain_graph):
    root = tensor._ctx
    if root is None:
        tensor._accumulate(grad)
        if hooks_alive[0] and getattr(tensor, "_post_acc_hooks", None):
            fire_post_accumulate(tensor)
        return
    if not _alloc._done:
        _alloc.warm_up()
    order = _topo_order(root)
    for ctx in order:  # a modified saved tensor fails before any gradient is accumulated
        if ctx.versions:
            _check_versions(ctx)
        if ctx.stale is not None:
            _modified(ctx, *ctx.stale)
        if ctx.watch is not None and ctx.watch[0][0] != ctx.watch[1]:
            _modified(ctx, ctx.watch[2], ctx.watch[0][0], ctx.watch[1])
        if getattr(ctx.fn, "check_first", None) is not None:  # no derivative (floor_divide)
            ctx.fn.check_first(ctx)
    leaf_hooks = _LeafHooks(order) if hooks_alive[0] else None
    pending = {root: [None] * len(root.out_meta)}  # contexts hash by identity
    pending[root][tensor._idx] = grad
    check = anomaly.is_enabled()
    # ids of gradient arrays handed to a leaf as its .grad (later accumulations add into
    # them in place) and of arrays waiting in a pending slot. Pending slots may share an
    # array (Add hands one g to both inputs; no op's backward writes into its incoming
    # gradient, as in torch, whose AddBackward also returns one tensor twice), but a leaf
    # and a pending slot may not.
    adopted, waiting = set(), set()
    for ctx in order:
        outs = pending.pop(ctx, None)
        if outs is None:
            if leaf_hooks is not None:
                leaf_hooks.skip(ctx)
            continue
        if ctx.freed:
            raise RuntimeError(
                f"Trying to backward through the graph a second time ({ctx.name()}): its saved "
                "arrays were freed after the first backward. Pass retain_graph=True to the "
                "first backward() if you need to backward twice."
            )
        if len(outs) > 1 or outs[0] is None:  # zeros for outputs that did not reach the loss
            outs = [np.zeros(s, d) if g is None else g for g, (s, d) in zip(outs, ctx.out_meta)]
        if ctx.retained:
            for i, t in ctx.retained:
                t._accumulate(outs[i])
        grads = ctx.fn.backward(ctx, *outs)
        if not isinstance(grads, tuple):
            grads = (grads,)
        if len(grads) != len(ctx.needs_input_grad):
            _wrong_count(ctx, grads)
        if not retain_graph:
            _free(ctx)
        for inp, g, need in zip(ctx.inputs, grads, ctx.needs_input_grad):
            if not need or g is None:
                if need and leaf_hooks is not None:
                    leaf_hooks.edge(inp, False)
                continue
            data = inp._data
            if type(g) is not np.ndarray:
                g = np.asarray(g)
            if g.shape != data.shape:
                g = unbroadcast(g, data.shape, ctx)
            if check:
                anomaly.check(ctx, g)
            if g.dtype != data.dtype:
                g = g.astype(data.dtype)
            c, idx = inp._ctx, inp._idx
            if c is not None and inp._hist is not None:
                c, idx = parent(inp, ctx)
            if c is not None:
                slot = pending.get(c)
                if slot is None:
                    slot = pending[c] = [None] * len(c.out_meta)
                prev = slot[idx]
                if prev is None:
                    # a leaf may have adopted this very array (Add hands one g to both
                    # inputs) and will add into it in place: keep a copy pending then
                    slot[idx] = g.copy() if id(g) in adopted else g
                    waiting.add(id(g))  # and no leaf adopts an array still pending
                else:
                    slot[idx] = prev + g
            elif inp.grad is not None:
                inp._accumulate(g)
            else:
                # adopt a fresh array the op made (no copy); a view, a read-only or a
                # repeated array (Add hands one g to both inputs) is copied instead
                owned = (
                    g.base is None
                    and g.flags.writeable
                    and id(g) not in adopted
                    and id(g) not in waiting
                )
                if owned:
                    adopted.add(id(g))
                inp._accumulate(g, owned)
            if leaf_hooks is not None and c is None:
                leaf_hooks.edge(inp, True)


def _wrong_count(ctx, grads) -> None:
    raise RuntimeError(
        f"function {ctx.name()} returned an incorrect number of gradients (expected "
        f"{len(ctx.needs_input_grad)}, got {len(grads)}): backward must return one "
        f"gradient (or None) per tensor input of forward"
    )
