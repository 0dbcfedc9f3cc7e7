"""Adam and AdamW (torch.optim.Adam, torch.optim.AdamW)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..ops import fast
from ._foreach import foreach
from .optimizer import Optimizer, check_betas, check_kernel_flags, check_nonneg

__all__ = ["Adam", "AdamW", "adam_update"]


def adam_update(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    max_exp_avg_sq: np.ndarray | None,
    step: int,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    amsgrad: bool,
    maximize: bool,
    decoupled_weight_decay: bool,
) -> None:
    """One Adam/AdamW step on arrays; ``param`` and the moment arrays are updated in place.

    With g the gradient (negated if ``maximize``) and t = ``step`` (already incremented)::

        p <- p * (1 - lr * weight_decay)    (AdamW, decoupled)
        g <- g + weight_decay * p           (Adam, L2)
        m <- m + (1 - beta1) * (g - m)      (torch's lerp: beta1 * m + (1 - beta1) * g)
        v <- beta2 * v + (1 - beta2) * g * g
        v_max <- max(v_max, v)              (amsgrad; then v_max replaces v below)
        denom <- sqrt(v) / sqrt(1 - beta2 ** t) + eps
        p <- p - lr / (1 - beta1 ** t) * m / denom
    """
    if _compiled(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq if amsgrad else None):
        t = param.dtype.type
        mode = 0 if weight_decay == 0 else (1 if decoupled_weight_decay else 2)
        decay = 1 - lr * weight_decay if mode == 1 else weight_decay
        flat = [a.reshape(-1) for a in (param, grad, exp_avg, exp_avg_sq)]
        vmax = max_exp_avg_sq.reshape(-1) if amsgrad else flat[0][:0]
        fast.kernels().adam_step(
            *flat, vmax, maximize, mode, t(decay), t(1 - beta1), t(beta2), t(1 - beta2),
            t((1 - beta2**step) ** 0.5), t(eps), t(lr / (1 - beta1**step)),
        )  # fmt: skip
        return
    if maximize:
        grad = np.negative(grad)
    if weight_decay != 0:
        if decoupled_weight_decay:
            param *= 1 - lr * weight_decay
        else:
            grad = grad + weight_decay * param
    tmp = np.subtract(grad, exp_avg)  # (same shape as param), reused below
    tmp *= 1 - beta1
    exp_avg += tmp
    exp_avg_sq *= beta2
    np.multiply(grad, grad, out=tmp)
    tmp *= 1 - beta2
    exp_avg_sq += tmp
    bias_correction1 = 1 - beta1**step
    bias_correction2_sqrt = (1 - beta2**step) ** 0.5
    if amsgrad:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        np.sqrt(max_exp_avg_sq, out=tmp)
    else:
        np.sqrt(exp_avg_sq, out=tmp)
    tmp /= bias_correction2_sqrt
    tmp += eps
    np.divide(exp_avg, tmp, out=tmp)
    tmp *= lr / bias_correction1
    param -= tmp


def _compiled(param: np.ndarray, *arrays) -> bool:
    """Whether the compiled loop (ops/fast/_adam.py) runs this update: numba present and
    contiguous arrays of the parameter's float dtype and shape."""
    return fast.use(param) and all(
        a is None
        or (
            type(a) is np.ndarray
            and a.dtype == param.dtype
            and a.shape == param.shape
            and a.flags.c_contiguous
        )
        for a in (param, *arrays)
    )


class Adam(Optimizer):
    """Adam (torch.optim.Adam); ``weight_decay`` is an L2 term added to the gradient.

    Args:
        params: parameters or parameter groups.
        lr: learning rate.
        betas: decay rates of the first and second moment averages.
        eps: added to the denominator for stability.
        weight_decay: L2 penalty (decoupled in AdamW).
        amsgrad: use the running maximum of the second moment (AMSGrad).
        maximize: maximize the objective instead of minimizing it.
        foreach, fused: torch's kernel choices; accepted and kept in the groups, lamina has
            one implementation (``fused=True`` with ``foreach=True`` raises, as in torch).
        capturable, differentiable: not supported (raise ValueError when True).
        decoupled_weight_decay: decay the weights directly, as AdamW.

    State per parameter: ``step``, ``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq`` (amsgrad).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        name = type(self).__name__
        check_nonneg("learning rate", lr, name)
        check_nonneg("epsilon", eps, name)
        betas = check_betas(betas, name)
        check_nonneg("weight_decay", weight_decay, name)
        check_kernel_flags(foreach, capturable, differentiable, fused, name)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one Adam update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            amsgrad = group["amsgrad"]
            opts = dict(
                lr=group["lr"],
                beta1=beta1,
                beta2=beta2,
                eps=group["eps"],
                weight_decay=group["weight_decay"],
                amsgrad=amsgrad,
                maximize=group["maximize"],
                decoupled_weight_decay=group["decoupled_weight_decay"],
            )
            work = []
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = np.zeros_like(p._data)
                    state["exp_avg_sq"] = np.zeros_like(p._data)
                    if amsgrad:
                        state["max_exp_avg_sq"] = np.zeros_like(p._data)
                state["step"] += 1
                arrays = (p._data, p.grad._data, state["exp_avg"], state["exp_avg_sq"])
                work.append(((*arrays, state.get("max_exp_avg_sq")), (state["step"],)))
            foreach(adam_update, work, opts)  # on lamina's threads
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (torch.optim.AdamW); default ``weight_decay=1e-2``."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )
