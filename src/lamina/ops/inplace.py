"""Ops behind in-place updates recorded by autograd (``x[key] = v`` on a tensor with history).

The Tensor layer runs them out of place on a copy of the old values and writes the result
back into the tensor's memory, so aliases see the change and the graph stays a DAG.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op


class SetItem(Op):
    """out = x with out[key] = v (torch's index_put_/copy_ into a slice, out of place).

    The gradient reaches the elements of x that were not overwritten, and v (summed back to
    v's shape by the engine when v was broadcast into the slice).
    """

    ctx_attrs = ("key", "v_shape")

    @staticmethod
    def forward(ctx, x, v, *, key):
        ctx.key, ctx.v_shape = key, np.shape(v)
        out = x.copy()
        out[key] = v
        return out

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        gx = gv = None
        if need[0]:
            gx = g.copy()
            gx[ctx.key] = 0
        if need[1]:
            gv = g[ctx.key]
        return gx, gv
