"""Losses (torch.nn.functional): wrappers over lamina.ops.loss with torch's checks.

``size_average`` / ``reduce`` are torch's deprecated arguments: when given they pick the
reduction exactly as torch does. Targets may be Tensors (their gradient flows where torch
gives one) or arrays; ``weight`` / ``pos_weight`` are constants.
"""

from __future__ import annotations

import warnings

import numpy as np

from ... import dtypes as D
from ...ops import class_loss as CL
from ...ops import loss as L
from ...tensor import Tensor, apply


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _arr(x):
    return None if x is None else np.asarray(x._data if isinstance(x, Tensor) else x)


def _reduction(size_average, reduce, reduction: str) -> str:
    """torch's legacy_get_string: the deprecated flags override ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return ("mean" if size_average else "sum") if reduce else "none"


def _target(input: Tensor, target, where: str, warn: bool = True):
    """Target Tensor of the input's float dtype; warn on broadcasting, raise if impossible."""
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
    if target.dtype != input.dtype and input.dtype.kind == "f":
        target = target.astype(input.dtype)
    if tuple(target.shape) != tuple(input.shape):
        try:
            np.broadcast_shapes(input.shape, target.shape)
        except ValueError:
            raise RuntimeError(  # torch's broadcasting error type
                f"{where}: target size {tuple(target.shape)} does not broadcast to the input "
                f"size {tuple(input.shape)}; the batch sizes must match"
            ) from None
        if warn:
            warnings.warn(
                f"Using a target size ({tuple(target.shape)}) that is different to the input "
                f"size ({tuple(input.shape)}). This will likely lead to incorrect results due "
                "to broadcasting. Please ensure they have the same size.",
                UserWarning,
                stacklevel=4,
            )
    return target


def _pointwise(op, input, target, reduction, weight, where, weighted_mean=True, **opts):
    """Apply a pointwise loss op with an optional elementwise ``weight`` (input's size).

    With weight, torch's mse_loss/l1_loss mean divides by ``weight.sum()``
    (``weighted_mean``), huber_loss by the element count.
    """
    x = _t(input)
    bools = x.dtype == np.bool_, getattr(target, "dtype", None) == np.bool_
    if (where == "l1_loss" and any(bools)) or (where == "huber_loss" and bools[0]):
        raise RuntimeError(  # torch subtracts first
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    # torch broadcasts input and target first, so both count as tensors with dims
    tdtype = target.dtype if hasattr(target, "_data") else D.result_type(x, target)
    dtype = D.promote_types(x.dtype, tdtype)
    # integer input and target: torch's kernels refuse them (l1's |x - t| only in mean())
    if dtype.kind not in "fc" and not (where == "l1_loss" and reduction != "mean"):
        if where == "l1_loss":
            raise RuntimeError("l1_loss: mean(): could not infer output dtype (integer input)")
        kernel = {"mse_loss": "mse", "huber_loss": "huber", "smooth_l1_loss": "smooth_l1"}
        raise NotImplementedError(
            f'"{kernel.get(where, where)}_cpu" not implemented for {D.type_name(dtype)!r}'
        )
    if dtype != x.dtype and dtype.kind == "f" and where != "huber_loss":  # huber keeps x's
        x = x.astype(dtype)
    t = _target(x, target, where)
    if weight is None:
        return apply(op, x, t, reduction=reduction, **opts)
    w = _arr(weight).astype(x.dtype, copy=False)
    if w.shape != tuple(x.shape):
        raise ValueError(
            f"{where}: weight shape {w.shape} must equal the input shape {tuple(x.shape)}"
        )
    L.check_reduction(reduction, where)
    loss = apply(op, x, t, reduction="none", **opts) * w
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / w.sum() if weighted_mean else loss.mean()


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error (torch.nn.functional.mse_loss)."""
    red = _reduction(size_average, reduce, reduction)
    return _pointwise(L.MSE, input, target, red, weight, "mse_loss")


def sse_loss(input, target) -> Tensor:
    """Sum of squared errors, ``mse_loss(..., reduction='sum')``."""
    return _pointwise(L.MSE, input, target, "sum", None, "sse_loss")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error (torch.nn.functional.l1_loss)."""
    red = _reduction(size_average, reduce, reduction)
    return _pointwise(L.L1, input, target, red, weight, "l1_loss")


def huber_loss(input, target, reduction="mean", delta: float = 1.0, weight=None) -> Tensor:
    """Huber loss (torch.nn.functional.huber_loss)."""
    return _pointwise(L.Huber, input, target, reduction, weight, "huber_loss", False, delta=delta)


def smooth_l1_loss(
    input, target, size_average=None, reduce=None, reduction="mean", beta: float = 1.0
) -> Tensor:
    """Smooth L1 loss (torch.nn.functional.smooth_l1_loss)."""
    red = _reduction(size_average, reduce, reduction)
    return _pointwise(L.SmoothL1, input, target, red, None, "smooth_l1_loss", beta=beta)


def _class_target(input: Tensor, target):
    """Integer targets go in as arrays (no gradient); float probability targets as Tensors."""
    arr = _arr(target)
    if arr.dtype.kind == "f" and arr.shape == tuple(input.shape):
        return target if isinstance(target, Tensor) else Tensor(arr.astype(input.dtype))
    return arr


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """log_softmax + nll_loss, fused (torch.nn.functional.cross_entropy).

    ``target``: class indices (N, d1, ...) or class probabilities of the input's shape.
    """
    x = _t(input)
    if x.dtype.kind not in "fc":  # torch's log_softmax kernel refuses it
        kernel = "log_softmax_lastdim_kernel_impl" if x.ndim <= 1 else "log_softmax_kernel_impl"
        raise NotImplementedError(f'"{kernel}" not implemented for {D.type_name(x.dtype)!r}')
    wd = getattr(weight, "dtype", x.dtype)
    if wd != x.dtype:  # torch does not promote the class weights
        raise RuntimeError(
            f"expected scalar type {D.type_name(x.dtype)} but found {D.type_name(wd)} (weight)"
        )
    tshape = tuple(getattr(target, "shape", np.shape(target)))
    tdtype = getattr(target, "dtype", np.asarray(target).dtype)
    if tshape == tuple(x.shape) and tdtype.kind not in "fc":  # torch reads probabilities
        raise RuntimeError(
            "Expected floating point type for target with class probabilities, got "
            f"{D.type_name(tdtype)}"
        )
    return apply(
        CL.CrossEntropy,
        x,
        _class_target(x, target),
        weight=_arr(weight),
        ignore_index=ignore_index,
        reduction=_reduction(size_average, reduce, reduction),
        label_smoothing=label_smoothing,
    )


def nll_loss(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities (torch.nn.functional.nll_loss)."""
    return apply(
        CL.NLLLoss,
        _t(input),
        _arr(target),
        weight=_arr(weight),
        ignore_index=ignore_index,
        reduction=_reduction(size_average, reduce, reduction),
    )


def _same_size(input: Tensor, target, where: str, message: str) -> Tensor:
    t = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
    if tuple(t.shape) != tuple(input.shape):
        raise ValueError(f"{where}: " + message.format(tuple(t.shape), tuple(input.shape)))
    return t.astype(input.dtype) if t.dtype != input.dtype else t


def binary_cross_entropy(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
) -> Tensor:
    """BCE of probabilities, logs clamped at -100 (torch binary_cross_entropy)."""
    x = _t(input)
    msg = (
        "Using a target size ({}) that is different to the input size ({}) is deprecated. "
        "Please ensure they have the same size."
    )
    td = getattr(target, "dtype", x.dtype)
    if hasattr(target, "_data") and td != x.dtype:  # torch does not promote the target
        _same_size(x, target, "binary_cross_entropy", msg)  # (after the size check)
        raise RuntimeError(
            f"binary_cross_entropy: Found dtype {D.type_name(td)} but expected "
            f"{D.type_name(x.dtype)} (target)"
        )
    t = _same_size(x, target, "binary_cross_entropy", msg)
    if getattr(weight, "requires_grad", False):
        raise RuntimeError(
            "The function 'binary_cross_entropy' is not differentiable with respect to argument "
            "'weight'. This input cannot have requires_grad True."
        )
    red = _reduction(size_average, reduce, reduction)
    return apply(L.BCE, x, t, reduction=red, weight=_arr(weight))


def binary_cross_entropy_with_logits(
    input,
    target,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
    pos_weight=None,
) -> Tensor:
    """Sigmoid + BCE, numerically stable (torch binary_cross_entropy_with_logits)."""
    x = _t(input)
    if x.dtype.kind not in "fc":
        _same_size(
            x,
            target,
            "binary_cross_entropy_with_logits",
            "Target size ({}) must be the same as input size ({})",
        )  # torch checks the sizes first
        raise NotImplementedError(f'"log_sigmoid_cpu" not implemented for {D.type_name(x.dtype)!r}')
    td = getattr(target, "dtype", x.dtype)
    if td != x.dtype and td.kind == "f":  # torch computes in the target's dtype
        x = x.astype(td)
    msg = "Target size ({}) must be the same as input size ({})"
    t = _same_size(x, target, "binary_cross_entropy_with_logits", msg)
    red = _reduction(size_average, reduce, reduction)
    return apply(
        L.BCEWithLogits, x, t, reduction=red, weight=_arr(weight), pos_weight=_arr(pos_weight)
    )


def kl_div(
    input, target, size_average=None, reduce=None, reduction="mean", log_target=False
) -> Tensor:
    """KL divergence with log-probability input (torch.nn.functional.kl_div)."""
    red = _reduction(size_average, reduce, reduction)
    if red == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            UserWarning,
            stacklevel=2,
        )
    x = _t(input)
    t = _target(x, target, "kl_div", warn=False)
    return apply(L.KLDiv, x, t, reduction=red, log_target=log_target)


__all__ = [
    "mse_loss",
    "sse_loss",
    "l1_loss",
    "huber_loss",
    "smooth_l1_loss",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
]
