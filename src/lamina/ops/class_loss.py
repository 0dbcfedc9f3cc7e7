"""Class-target loss ops: nll_loss and cross_entropy (fused with log_softmax), with torch's
exact formulas, ``ignore_index``, class ``weight``, ``label_smoothing`` and class-probability
targets.

Input is ``(N, C)`` or ``(N, C, d1, ...)`` (class axis 1, or ``(C,)`` with a scalar target)
and integer targets ``(N, d1, ...)``; the reductions are ``lamina.ops.loss``'s.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from .activation import log_softmax_array
from .loss import check_reduction, grad_scale


def check_class_target(x: np.ndarray, target: np.ndarray, where: str) -> None:
    """Raise ValueError for a float target, a wrong shape or a label outside [0, C)."""
    target = np.asarray(target)
    if target.dtype.kind not in "iu":
        raise RuntimeError(
            f"{where}: class-index target must be an integer array, got dtype {target.dtype} "
            f"(for class probabilities pass a float target of the input's shape {x.shape})"
        )
    want = (x.shape[0],) + x.shape[2:] if x.ndim >= 2 else ()
    if target.shape != want:
        batch = target.shape[0] if target.ndim else None
        if x.ndim >= 2 and batch != x.shape[0]:  # torch's types: ValueError, else RuntimeError
            raise ValueError(
                f"{where}: Expected input batch_size ({x.shape[0]}) to match target "
                f"batch_size ({batch}); target shape {target.shape}, input shape {x.shape}"
            )
        raise RuntimeError(
            f"{where}: size mismatch (got input: {list(x.shape)}, target: "
            f"{list(target.shape)}); expected target shape {want}"
        )


def _class_terms(x, target, weight, ignore_index, where):
    """Per-position target, mask and class weight for (N, C, ...) input, class axis 1."""
    c = x.shape[1]
    if c == 0 and x.ndim > 2 and target.size:  # torch's reshape of (N, 0, d...) fails first
        raise RuntimeError(f"{where}: size mismatch (got input: {list(x.shape)}, no classes)")
    valid = target != ignore_index  # (N, ...)
    bad = valid & ((target < 0) | (target >= c))
    if bad.any():
        label = int(target[bad].flat[0])
        raise IndexError(  # torch's "Target 5 is out of bounds."
            f"{where}: Target {label} is out of bounds: {c} classes [0, {c})"
        )
    safe = np.where(valid, target, 0)  # (N, ...)
    w = weight if weight is not None else np.ones(c, x.dtype)
    if w.shape != (c,):
        raise RuntimeError(f"{where}: weight must have shape ({c},), got {w.shape}")
    wt = w.astype(x.dtype, copy=False)[safe] * valid  # (N, ...) weight of each target
    return safe, valid, w.astype(x.dtype, copy=False), wt


def _bshape(w: np.ndarray, ndim: int) -> np.ndarray:
    """(C,) -> (1, C, 1, ...) to broadcast against class axis 1."""
    return w.reshape((1, -1) + (1,) * (ndim - 2))


def _nll_forward(ctx, logp, target, weight, ignore_index, reduction, smoothing, where):
    """Loss from log-probabilities (N, C, ...); saves what backward needs on ctx."""
    check_class_target(logp, target, where)
    safe, valid, w, wt = _class_terms(logp, target, weight, ignore_index, where)
    picked = np.take_along_axis(logp, safe[:, None], axis=1)[:, 0]  # (N, ...)
    loss = -(1.0 - smoothing) * wt * picked
    if smoothing > 0.0:
        smooth = -(logp * _bshape(w, logp.ndim)).sum(axis=1) * valid  # (N, ...)
        loss = loss + (smoothing / logp.shape[1]) * smooth
    denom = wt.sum(dtype=logp.dtype) if reduction == "mean" else logp.dtype.type(1.0)
    ctx.cls = (safe, valid, w, wt, denom, smoothing, reduction)
    if reduction == "none":
        return loss.astype(logp.dtype, copy=False)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(loss.sum(dtype=logp.dtype) / denom, logp.dtype)


def _class_grad(ctx, grad, dtype, ndim, probs=None):
    """d loss / d logp for class targets (probs None), or d loss / d logits given softmax.

    loss = -sum_i g_i [(1 - eps) w[t_i] logp[i, t_i] + eps / C sum_c w[c] logp[i, c]] / denom,
    so d/dlogp = -(onehot * ct + cs * w) and d/dx = (ct + cs * sum(w)) * softmax + d/dlogp.
    """
    safe, valid, w, wt, denom, smoothing, reduction = ctx.cls
    if reduction != "none":  # all targets ignored: torch's gradient is 0 (loss is nan)
        grad = grad / denom if denom != 0 else grad * 0.0  # scalar
    g = np.broadcast_to(np.asarray(grad, dtype), wt.shape)  # (N, ...)
    ct = (1.0 - smoothing) * wt * g  # (N, ...) coefficient of the target's log-prob
    cs = (smoothing / w.shape[0]) * (g * valid) if smoothing > 0.0 else None  # (N, ...)
    if probs is None:
        dx = np.zeros((wt.shape[0], w.shape[0]) + wt.shape[1:], dtype)  # (N, C, ...)
    else:
        rows = ct if cs is None else ct + cs * w.sum(dtype=dtype)
        dx = rows[:, None] * probs
    if cs is not None:
        dx -= cs[:, None] * _bshape(w, ndim)
    idx = safe[:, None]
    np.put_along_axis(dx, idx, np.take_along_axis(dx, idx, 1) - ct[:, None], axis=1)
    return dx


def _as_batched(x, target, prob, where):
    """(C,) input with a scalar (or (C,) probability) target -> (1, C) and (1,) / (1, C)."""
    target = np.asarray(target)
    if x.ndim != 1:
        return x, target, False
    if not prob and target.ndim != 0:
        raise ValueError(
            f"{where}: input shape {x.shape} needs a scalar target, got {target.shape}"
        )
    return x[None], target.reshape((1,) + target.shape), True


class NLLLoss(Op):
    """Negative log-likelihood of log-probabilities (torch.nn.functional.nll_loss)."""

    ctx_attrs = ("squeeze", "cls")

    @staticmethod
    def forward(ctx, x, target, weight=None, *, ignore_index=-100, reduction="mean"):
        check_reduction(reduction, "nll_loss")
        x2, t2, ctx.squeeze = _as_batched(x, target, False, "nll_loss")
        out = _nll_forward(ctx, x2, t2, weight, ignore_index, reduction, 0.0, "nll_loss")
        return out[0] if ctx.squeeze and reduction == "none" else out

    @staticmethod
    def backward(ctx, grad):
        grad = grad.reshape(1) if ctx.squeeze and ctx.cls[-1] == "none" else grad
        wt = ctx.cls[3]
        dx = _class_grad(ctx, grad, wt.dtype, wt.ndim + 1)
        return (dx[0] if ctx.squeeze else dx), None, None


class CrossEntropy(Op):
    """log_softmax + NLL fused (torch.nn.functional.cross_entropy).

    Integer targets (N, d1, ...) with ``weight``, ``ignore_index``, ``label_smoothing``; or
    float class-probability targets of the input's shape (``ignore_index`` unused).
    """

    ctx_attrs = (
        "prob", "squeeze", "probs", "logp", "cls", "q", "wb", "reduction", "smoothing", "n",
    )  # fmt: skip

    @staticmethod
    def forward(
        ctx, x, target, weight=None, *, ignore_index=-100, reduction="mean", label_smoothing=0.0
    ):
        check_reduction(reduction, "cross_entropy")
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(
                f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}"
            )
        target = np.asarray(target)
        ctx.prob = target.dtype.kind == "f" and target.shape == x.shape
        x2, t2, ctx.squeeze = _as_batched(x, target, ctx.prob, "cross_entropy")
        logp, ctx.probs = log_softmax_array(x2, 1, with_softmax=True)  # (N, C, ...) each
        ctx.logp = logp
        if ctx.prob:
            out = _prob_forward(
                ctx, logp, t2.astype(x.dtype, copy=False), weight, reduction, label_smoothing
            )
        else:
            out = _nll_forward(
                ctx, logp, t2, weight, ignore_index, reduction, label_smoothing, "cross_entropy"
            )
        return out[0] if ctx.squeeze and reduction == "none" else out

    @staticmethod
    def backward(ctx, grad):
        logp = ctx.logp
        reduction = ctx.reduction if ctx.prob else ctx.cls[-1]
        grad = grad.reshape(1) if ctx.squeeze and reduction == "none" else grad
        if ctx.prob:
            # d/dx of -sum(A * log_softmax(x)) = A.sum(C) * softmax(x) - A
            a = _prob_coeffs(ctx, grad)
            dx = a.sum(axis=1, keepdims=True) * ctx.probs - a
        else:
            dx = _class_grad(ctx, grad, logp.dtype, logp.ndim, ctx.probs)
        dt = None
        if ctx.prob and ctx.needs_input_grad[1]:
            dt = -_prob_target_grad(ctx, grad)
        dt = dt[0] if dt is not None and ctx.squeeze else dt
        return (dx[0] if ctx.squeeze else dx), dt, None


def _prob_forward(ctx, logp, target, weight, reduction, smoothing):
    c = logp.shape[1]
    q = target * (1.0 - smoothing) + smoothing / c if smoothing > 0.0 else target
    wb = None if weight is None else _bshape(weight.astype(logp.dtype, copy=False), logp.ndim)
    prod = logp * q if wb is None else logp * q * wb
    ctx.q, ctx.wb, ctx.reduction, ctx.smoothing = q, wb, reduction, smoothing
    ctx.n = logp.size // c if logp.size else 0
    if reduction == "none":
        return -prod.sum(axis=1)
    total = -prod.sum(dtype=logp.dtype)
    if reduction == "mean":
        total = total / logp.dtype.type(ctx.n) if ctx.n else logp.dtype.type(np.nan)
    return np.asarray(total, logp.dtype)


def _prob_grad_scale(ctx, grad):
    g = (
        grad[:, None]
        if ctx.reduction == "none"
        else grad * grad_scale(ctx.reduction, ctx.n, ctx.logp.dtype)
    )
    return g if ctx.wb is None else g * ctx.wb


def _prob_coeffs(ctx, grad):
    return np.broadcast_to(ctx.q * _prob_grad_scale(ctx, grad), ctx.logp.shape)


def _prob_target_grad(ctx, grad):
    # d loss / d target = -logp * (1 - smoothing) * scale
    return ctx.logp * (1.0 - ctx.smoothing) * _prob_grad_scale(ctx, grad)
