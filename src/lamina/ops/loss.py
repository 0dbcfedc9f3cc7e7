"""Pointwise loss ops with torch's exact formulas (mse, l1, huber, smooth_l1, bce,
bce_with_logits, kl_div) and the reductions every loss shares.

The class-target losses (nll_loss, cross_entropy) are in ``lamina.ops.class_loss``.
Options are keyword arguments; ``weight`` / ``pos_weight`` are constant arrays (no
gradient), as in torch.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from .activation import sigmoid_array

_REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction: str, where: str, extra: tuple = ()) -> None:
    if reduction not in _REDUCTIONS + extra:
        raise ValueError(
            f"{where}: reduction must be one of {_REDUCTIONS + extra}, got {reduction!r}"
        )


def reduce_loss(loss: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return loss
    total = loss.sum(dtype=loss.dtype)
    if reduction == "mean":
        with np.errstate(invalid="ignore"):
            total = total / loss.dtype.type(loss.size) if loss.size else loss.dtype.type(np.nan)
    return np.asarray(total, loss.dtype)


def grad_scale(reduction: str, n: int, dtype) -> float:
    """d(reduced)/d(element) for mean/sum (none is handled by broadcasting the grad)."""
    return dtype.type(1.0 / n) if reduction == "mean" and n else dtype.type(1.0)


class _Pointwise(Op):
    """Base for losses that reduce an elementwise loss(x, target) (broadcast like torch)."""

    where = "loss"
    ctx_attrs = ("reduction", "opts", "dldx", "dldt", "n", "dtype")

    @staticmethod
    def elementwise(ctx, d, x, target):  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def forward(cls, ctx, x, target, *, reduction="mean", **opts):
        check_reduction(reduction, cls.where)
        target = np.asarray(target)
        ctx.reduction, ctx.opts = reduction, opts
        loss, ctx.dldx, ctx.dldt = cls.elementwise(ctx, x, target.astype(x.dtype, copy=False))
        ctx.n, ctx.dtype = loss.size, x.dtype
        return reduce_loss(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        grad = np.asarray(grad, ctx.dtype)
        g = grad if ctx.reduction == "none" else grad * grad_scale(ctx.reduction, ctx.n, ctx.dtype)
        dx = g * ctx.dldx if ctx.needs_input_grad[0] else None
        dt = g * ctx.dldt if ctx.needs_input_grad[1] else None
        return dx, dt


class MSE(_Pointwise):
    """Mean squared error (torch.nn.functional.mse_loss)."""

    where = "mse_loss"

    @staticmethod
    def elementwise(ctx, x, t):
        d = x - t
        return d * d, 2.0 * d, -2.0 * d


class L1(_Pointwise):
    """Mean absolute error; gradient 0 where x == target (torch.nn.functional.l1_loss)."""

    where = "l1_loss"

    @staticmethod
    def elementwise(ctx, x, t):
        d = x - t
        s = np.sign(d)
        return np.abs(d), s, -s


class Huber(_Pointwise):
    """0.5 d^2 if |d| < delta else delta (|d| - 0.5 delta) (torch huber_loss)."""

    where = "huber_loss"

    @staticmethod
    def elementwise(ctx, x, t):
        delta = ctx.opts.get("delta", 1.0)
        if delta <= 0:
            raise ValueError(f"huber_loss: delta must be positive, got {delta}")
        d = x - t
        a = np.abs(d)
        loss = np.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))
        g = np.clip(d, -delta, delta)
        return loss, g, -g


class SmoothL1(_Pointwise):
    """0.5 d^2 / beta if |d| < beta else |d| - 0.5 beta; L1 when beta == 0 (torch)."""

    where = "smooth_l1_loss"

    @staticmethod
    def elementwise(ctx, x, t):
        beta = ctx.opts.get("beta", 1.0)
        if beta < 0:
            raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
        d = x - t
        a = np.abs(d)
        if beta == 0:
            s = np.sign(d)
            return a, s, -s
        loss = np.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)
        g = np.clip(d / beta, -1.0, 1.0)
        return loss, g, -g


def _weighted(loss, dldx, dldt, weight, dtype):
    if weight is None:
        return loss, dldx, dldt
    w = np.asarray(weight).astype(dtype, copy=False)
    return loss * w, dldx * w, dldt * w


class BCE(_Pointwise):
    """Binary cross-entropy of probabilities, logs clamped at -100 (torch binary_cross_entropy)."""

    where = "binary_cross_entropy"

    @staticmethod
    def elementwise(ctx, p, t):
        if p.size and (p.min() < 0 or p.max() > 1):
            raise ValueError(
                f"binary_cross_entropy: input must be in [0, 1], got values in "
                f"[{p.min()}, {p.max()}]"
            )
        with np.errstate(divide="ignore"):
            logp = np.maximum(np.log(p), -100.0)
            log1mp = np.maximum(np.log1p(-p), -100.0)
        loss = -(t * logp + (1.0 - t) * log1mp)
        # torch's eps 1e-12 is 0 in float16: floor it at the smallest subnormal and clip
        # the (then possibly overflowing) slope to the dtype's range, so grads stay finite
        fi = np.finfo(p.dtype)
        eps = p.dtype.type(max(1e-12, float(fi.smallest_subnormal)))
        with np.errstate(over="ignore"):
            dldx = (p - t) / np.maximum((1.0 - p) * p, eps)
        if p.dtype.itemsize < 4:
            dldx = np.clip(dldx, -fi.max, fi.max)
        return _weighted(loss, dldx, log1mp - logp, ctx.opts.get("weight"), p.dtype)


class BCEWithLogits(_Pointwise):
    """Sigmoid + BCE, stable for any logit, with ``pos_weight`` (torch BCEWithLogitsLoss)."""

    where = "binary_cross_entropy_with_logits"

    @staticmethod
    def elementwise(ctx, x, t):
        pw = ctx.opts.get("pos_weight")
        sp_neg = np.maximum(-x, 0.0) + np.log1p(np.exp(-np.abs(x)))  # softplus(-x)
        s = sigmoid_array(x)
        if pw is None:
            loss = (1.0 - t) * x + sp_neg
            dldx, dldt = s - t, -x
        else:
            pw = np.asarray(pw).astype(x.dtype, copy=False)
            lw = (pw - 1.0) * t + 1.0
            loss = (1.0 - t) * x + lw * sp_neg
            dldx = (1.0 - t) - lw * (1.0 - s)
            dldt = -x + (pw - 1.0) * sp_neg
        return _weighted(loss, dldx, dldt, ctx.opts.get("weight"), x.dtype)


class KLDiv(_Pointwise):
    """Pointwise KL divergence target * (log target - input) (torch kl_div).

    ``reduction='batchmean'`` divides the sum by the batch size; ``log_target=True`` takes
    the target as log-probabilities.
    """

    where = "kl_div"

    @classmethod
    def forward(cls, ctx, x, target, *, reduction="mean", log_target=False):
        check_reduction(reduction, "kl_div", ("batchmean",))
        red = "sum" if reduction == "batchmean" else reduction
        out = super().forward(ctx, x, target, reduction=red, log_target=log_target)
        if reduction == "batchmean" and x.ndim:
            ctx.n, ctx.reduction = x.shape[0], "mean"
            return np.asarray(out / x.dtype.type(x.shape[0]), x.dtype)
        return out

    @staticmethod
    def elementwise(ctx, x, t):
        if ctx.opts.get("log_target"):
            et = np.exp(t)
            return et * (t - x), -et, et * (t - x + 1.0)
        pos = t > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            logt = np.where(pos, np.log(np.where(pos, t, 1.0)), 0.0)
        return t * logt - t * x, -t, np.where(pos, logt + 1.0 - x, 0.0)
