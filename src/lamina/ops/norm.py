"""Normalisation ops with fused forward and hand-written backward.

``BatchNorm`` normalises over every axis but the channel axis 1 (BatchNorm1d on (N, C) and
(N, C, L), BatchNorm2d on (N, C, H, W)); ``LayerNorm`` over the trailing
``normalized_shape`` axes. Both keep the input's float dtype.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from . import fast
from ._parallel import parallel_for


def _norm_backward(grad, xhat, invstd, w, axes):
    """dx of y = xhat * w + b, xhat = (x - mean) * invstd with batch stats over axes."""
    dxhat = grad if w is None else grad * w
    m1 = dxhat.mean(axis=axes, keepdims=True)
    m2 = (dxhat * xhat).mean(axis=axes, keepdims=True)
    return invstd * (dxhat - m1 - xhat * m2)


def _batch_stats(ctx, x, running_mean, running_var, momentum):
    """Centred x and biased batch variance over ctx.axes; updates running stats in place."""
    c = x.shape[1]
    count = x.size // c
    if count <= 1:
        raise ValueError(
            f"batch_norm: expected more than 1 value per channel when training, "
            f"got input size {x.shape}"
        )
    mean = x.mean(axis=ctx.axes, keepdims=True)  # (1, C, 1, ...)
    xc = x - mean
    var = (xc * xc).mean(axis=ctx.axes, keepdims=True)  # biased, used to normalise
    ctx.batch_mean = mean.reshape(c)
    ctx.batch_var = var.reshape(c) * x.dtype.type(count / (count - 1))  # unbiased
    for run, batch in ((running_mean, ctx.batch_mean), (running_var, ctx.batch_var)):
        if run is not None:
            run *= 1.0 - momentum
            run += momentum * batch.astype(run.dtype)
    return xc, var


class BatchNorm(Op):
    """Batch normalisation (torch.nn.functional.batch_norm), channel axis 1.

    Training: normalise with the batch mean and biased variance over all axes but 1; the
    batch mean and *unbiased* variance, shapes (C,), are left on ``ctx.batch_mean`` and
    ``ctx.batch_var``; if ``running_mean`` / ``running_var`` arrays are given they are
    updated in place as torch does: ``r = (1 - momentum) * r + momentum * batch``.
    Eval (``training=False``): normalise with the running statistics.
    ``weight`` and ``bias`` (C,) are optional (affine=False passes None).
    """

    ctx_attrs = ("axes", "training", "batch_mean", "batch_var")

    @staticmethod
    def forward(
        ctx, x, weight=None, bias=None, *, running_mean=None, running_var=None,
        training=True, momentum=0.1, eps=1e-5,
    ):  # fmt: skip
        if x.ndim < 2:
            raise ValueError(f"batch_norm: input must be (N, C, ...), got shape {x.shape}")
        bshape = (1, x.shape[1]) + (1,) * (x.ndim - 2)  # (1, C, 1, ...)
        ctx.axes, ctx.training = (0,) + tuple(range(2, x.ndim)), training
        if training:
            xc, var = _batch_stats(ctx, x, running_mean, running_var, momentum)
        else:
            if running_mean is None or running_var is None:
                raise ValueError("batch_norm: eval mode needs running_mean and running_var")
            xc = x - running_mean.astype(x.dtype, copy=False).reshape(bshape)
            var = running_var.astype(x.dtype, copy=False).reshape(bshape)
        invstd = 1.0 / np.sqrt(var + eps)  # (1, C, 1, ...)
        xhat = xc
        xhat *= invstd
        w = None if weight is None else weight.reshape(bshape)
        ctx.save_for_backward(xhat, invstd, w)
        y = xhat if w is None else xhat * w
        return y if bias is None else y + bias.reshape(bshape)

    @staticmethod
    def backward(ctx, grad):
        xhat, invstd, w = ctx.saved
        need = ctx.needs_input_grad
        dx = dw = db = None
        if need[0]:
            if ctx.training:
                dx = _norm_backward(grad, xhat, invstd, w, ctx.axes)
            else:
                dx = grad * invstd if w is None else grad * (w * invstd)
        if need[1]:
            dw = (grad * xhat).sum(axis=ctx.axes)
        if need[2]:
            db = grad.sum(axis=ctx.axes)
        return dx, dw, db


class LayerNorm(Op):
    """Layer normalisation over the last ``len(normalized_shape)`` axes (torch layer_norm).

    ``weight`` and ``bias`` have shape ``normalized_shape`` or are None. The input is seen
    as (rows, K) with K = prod(normalized_shape); row sums run as matrix-vector products
    (one BLAS call each instead of a NumPy reduction over short rows), and backward folds
    ``weight`` into them: ``m1 = g @ w / K``, ``m2 = (g * xhat) @ w / K``.
    """

    ctx_attrs = ("axes", "lead", "mean", "rstd", "shape")

    @staticmethod
    def forward(ctx, x, weight=None, bias=None, *, normalized_shape=None, eps=1e-5):
        shape = tuple(normalized_shape) if normalized_shape is not None else x.shape[-1:]
        k = len(shape)
        if x.shape[x.ndim - k :] != shape or k == 0:
            raise ValueError(
                f"layer_norm: normalized_shape {shape} must match the last dims of input "
                f"shape {x.shape}"
            )
        kk = int(np.prod(shape))
        x2 = x.reshape(int(np.prod(x.shape[: x.ndim - k])), kk)  # (rows, K)
        keep = x.shape[: x.ndim - k] + (1,) * k
        ctx.axes, ctx.lead = tuple(range(x.ndim - k, x.ndim)), tuple(range(x.ndim - k))
        ctx.shape = shape
        w = None if weight is None else weight.reshape(kk)
        if _compiled(x2, weight, bias):
            y, xhat, mean, rstd = _forward_compiled(x2, w, bias, eps)
            ctx.mean, ctx.rstd = mean.reshape(keep), rstd.reshape(keep)
            ctx.save_for_backward(xhat, rstd, w)
            return y.reshape(x.shape)
        inv_k = x.dtype.type(1.0 / kk) if kk else x.dtype.type(0)
        ones = np.ones(kk, x.dtype)
        mean = x2 @ ones
        mean *= inv_k
        xhat = x2 - mean[:, None]
        var = np.square(xhat) @ ones
        var *= inv_k
        var += x.dtype.type(eps)
        rstd = np.sqrt(var)
        np.divide(x.dtype.type(1.0), rstd, out=rstd)
        xhat *= rstd[:, None]
        ctx.mean, ctx.rstd = mean.reshape(keep), rstd.reshape(keep)
        ctx.save_for_backward(xhat, rstd, w)
        y = xhat.copy() if w is None else xhat * w
        if bias is not None:
            y += bias.reshape(kk)
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        xhat, rstd, w = ctx.saved  # (rows, K), (rows,), (K,) or None
        need = ctx.needs_input_grad
        kk = xhat.shape[1]
        g = np.ascontiguousarray(grad).reshape(xhat.shape)
        if need[0] and _compiled(g, w) and g.dtype == xhat.dtype:
            dx, gx = _backward_compiled(g, xhat, rstd, w)
            ones = np.ones(g.shape[0], g.dtype)
            dw = (ones @ gx).reshape(ctx.shape) if need[1] else None
            db = (ones @ g).reshape(ctx.shape) if need[2] else None
            return dx.reshape(grad.shape), dw, db
        gx = g * xhat
        ones = np.ones(g.shape[0], g.dtype)  # column sums as GEMVs: 3x faster than reduce
        dw = (ones @ gx).reshape(ctx.shape) if need[1] else None
        db = (ones @ g).reshape(ctx.shape) if need[2] else None
        dx = None
        if need[0]:
            inv_k = xhat.dtype.type(1.0 / kk)
            wv = np.ones(kk, xhat.dtype) if w is None else w
            m1, m2 = g @ wv, gx @ wv  # row sums of d xhat and of d xhat * xhat
            m1 *= inv_k
            m2 *= inv_k
            dx = g.copy() if w is None else g * w  # d xhat
            np.multiply(xhat, m2[:, None], out=gx)
            dx -= gx
            dx -= m1[:, None]
            dx *= rstd[:, None]
            dx = dx.reshape(grad.shape)
        return dx, dw, db


def _compiled(x2: np.ndarray, *params) -> bool:
    """Whether LayerNorm runs the compiled row loops (ops/fast/_norm.py): numba present, a
    float array with rows to normalise and parameters of its dtype."""
    return (
        x2.size > 0
        and fast.use(x2)
        and all(p is None or (type(p) is np.ndarray and p.dtype == x2.dtype) for p in params)
    )


def _forward_compiled(x2, w, bias, eps):
    rows, kk = x2.shape
    x2 = np.ascontiguousarray(x2)
    w = np.ones(kk, x2.dtype) if w is None else np.ascontiguousarray(w)
    b = np.zeros(kk, x2.dtype) if bias is None else np.ascontiguousarray(bias.reshape(kk))
    y, xhat = np.empty_like(x2), np.empty_like(x2)
    mean, rstd = np.empty(rows, x2.dtype), np.empty(rows, x2.dtype)
    loop, t = fast.kernels().layer_norm_rows, x2.dtype.type

    def part(r0: int, r1: int) -> None:
        loop(x2, w, b, t(eps), t(1.0 / kk), y, xhat, mean, rstd, r0, r1)

    parallel_for(rows, part, 3 * x2.nbytes)
    return y, xhat, mean, rstd


def _backward_compiled(g, xhat, rstd, w):
    w = np.ones(xhat.shape[1], xhat.dtype) if w is None else np.ascontiguousarray(w)
    dx, gx = np.empty_like(g), np.empty_like(g)
    loop = fast.kernels().layer_norm_rows_backward
    inv_k = g.dtype.type(1.0 / g.shape[1])

    def part(r0: int, r1: int) -> None:
        loop(g, xhat, rstd, w, inv_k, dx, gx, r0, r1)

    parallel_for(g.shape[0], part, 4 * g.nbytes)
    return dx, gx
