"""Shape ops: reshape, transpose/permute, expand, repeat, cat, stack, split, pad."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op


class Reshape(Op):
    is_view = True
    ctx_attrs = ("shape",)

    @staticmethod
    def forward(ctx, x, *, shape):
        ctx.shape = x.shape
        return np.reshape(x, shape)

    @staticmethod
    def backward(ctx, g):
        return (np.reshape(g, ctx.shape),)


class Permute(Op):
    is_view = True
    ctx_attrs = ("axes",)

    @staticmethod
    def forward(ctx, x, *, axes):
        ctx.axes = axes
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx, g):
        return (np.transpose(g, np.argsort(ctx.axes)),)


class Expand(Op):
    """A view with stride 0 along the expanded dims; writable where x is, as torch's (fill_
    may write through it; ops that would write one element twice refuse, see tensor_inplace)."""

    is_view = True

    @staticmethod
    def forward(ctx, x, *, shape):
        view = np.broadcast_to(x, shape)  # checks the shapes
        if not x.flags.writeable:
            return view
        return np.lib.stride_tricks.as_strided(x, view.shape, view.strides, writeable=True)

    @staticmethod
    def backward(ctx, g):
        return (g,)  # the engine sums back to the input's shape


class Repeat(Op):
    """torch.Tensor.repeat: tile the tensor ``reps`` times along each dim."""

    ctx_attrs = ("shape", "reps")

    @staticmethod
    def forward(ctx, x, *, reps):
        ctx.shape, ctx.reps = x.shape, reps
        return np.tile(x, reps)

    @staticmethod
    def backward(ctx, g):
        shape = (1,) * (len(ctx.reps) - len(ctx.shape)) + ctx.shape
        split = []
        for r, s in zip(ctx.reps, shape):
            split += [r, s]
        g = g.reshape(split).sum(axis=tuple(range(0, 2 * len(shape), 2)))
        return (g.reshape(ctx.shape),)


class Cat(Op):
    """cat(*tensors, axis): inputs are positional so each gets its own gradient. As torch,
    an empty 1-D input beside inputs of more dims is skipped (its gradient is empty)."""

    ctx_attrs = ("axis", "bounds", "skipped")

    @staticmethod
    def forward(ctx, *xs, axis=0):
        legacy = [x.ndim == 1 and x.shape[0] == 0 for x in xs]
        if all(legacy) or not any(legacy):
            legacy = [False] * len(xs)
        kept = [x for x, skip in zip(xs, legacy) if not skip]
        ctx.axis, ctx.skipped = axis, legacy
        ctx.bounds = np.cumsum([x.shape[axis] for x in kept])[:-1]
        return np.concatenate(kept, axis=axis)

    @staticmethod
    def backward(ctx, g):
        parts = iter(np.split(g, ctx.bounds, axis=ctx.axis))
        return tuple(np.zeros((0,), g.dtype) if skip else next(parts) for skip in ctx.skipped)


class Stack(Op):
    ctx_attrs = ("axis",)

    @staticmethod
    def forward(ctx, *xs, axis=0):
        ctx.axis = axis
        return np.stack(xs, axis=axis)

    @staticmethod
    def backward(ctx, g):
        n = g.shape[ctx.axis]
        return tuple(np.take(g, i, axis=ctx.axis) for i in range(n))


class Split(Op):
    """Split along axis at the given section sizes; one output per piece."""

    is_view = True
    multi_output_view = True  # torch refuses recorded in-place ops on the pieces
    ctx_attrs = ("axis",)

    @staticmethod
    def forward(ctx, x, *, sizes, axis=0):
        ctx.axis = axis
        bounds = np.cumsum(sizes)[:-1]
        return tuple(np.split(x, bounds, axis=axis))

    @staticmethod
    def backward(ctx, *gs):
        return (np.concatenate(gs, axis=ctx.axis),)


_NP_PAD = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


class Pad(Op):
    """np.pad with torch's modes; ``pad_width`` is NumPy's ((before, after), ...) form.

    Backward for the non-constant modes scatters through the index map that the same
    padding produces on an index array, so repeated sources accumulate.
    """

    ctx_attrs = ("shape", "pw", "mode")

    @staticmethod
    def forward(ctx, x, *, pad_width, mode="constant", value=0.0):
        ctx.shape, ctx.pw, ctx.mode = x.shape, pad_width, mode
        if mode == "constant":
            return np.pad(x, pad_width, mode="constant", constant_values=value)
        return np.pad(x, pad_width, mode=_NP_PAD[mode])

    @staticmethod
    def backward(ctx, g):
        if ctx.mode == "constant":
            sl = tuple(slice(b, g.shape[i] - a) for i, (b, a) in enumerate(ctx.pw))
            return (g[sl],)
        # pad only the dims that are padded; gather their flat index map
        dims = [i for i, (b, a) in enumerate(ctx.pw) if b or a]
        sub = tuple(ctx.shape[i] for i in dims)
        idx = np.arange(int(np.prod(sub))).reshape(sub)
        idx = np.pad(idx, [ctx.pw[i] for i in dims], mode=_NP_PAD[ctx.mode])
        rest = [i for i in range(g.ndim) if i not in dims]
        gm = np.transpose(g, rest + dims).reshape(-1, idx.size)
        out = np.zeros((gm.shape[0], int(np.prod(sub))), dtype=g.dtype)
        np.add.at(out, (slice(None), idx.reshape(-1)), gm)
        out = out.reshape([ctx.shape[i] for i in rest] + list(sub))
        return (np.transpose(out, np.argsort(rest + dims)),)
