"""Stochastic gradient descent with momentum (torch.optim.SGD)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ._foreach import foreach
from .optimizer import Optimizer, check_nonneg

__all__ = ["SGD", "sgd_update"]


def sgd_update(
    param: np.ndarray,
    grad: np.ndarray,
    buf: np.ndarray | None,
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
) -> np.ndarray | None:
    """One SGD step on arrays; ``param`` (and ``buf``) are updated in place.

    With g the gradient (negated if ``maximize``) and t the step::

        g <- g + weight_decay * p
        b <- g                                  (t = 1)
        b <- momentum * b + (1 - dampening) * g (t > 1)
        g <- g + momentum * b  if nesterov else  b      (when momentum != 0)
        p <- p - lr * g

    Returns the momentum buffer (a new array on the first step, None without momentum).
    """
    if maximize:
        grad = np.negative(grad)
    if weight_decay != 0:
        grad = grad + weight_decay * param
    if momentum != 0:
        if buf is None:
            buf = grad.copy()
        else:
            buf *= momentum
            buf += grad if dampening == 0 else (1 - dampening) * grad
        grad = grad + momentum * buf if nesterov else buf
    tmp = np.multiply(grad, lr)
    np.subtract(param, tmp, out=param)
    return buf


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum (torch.optim.SGD).

    Args:
        params: parameters or parameter groups.
        lr: learning rate (torch's default 1e-3).
        momentum: momentum factor.
        dampening: dampening of the momentum.
        weight_decay: L2 penalty added to the gradient.
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening 0).
        maximize: maximize the objective instead of minimizing it.

    State per parameter: ``momentum_buffer`` (when momentum != 0).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        check_nonneg("learning rate", lr, "SGD")
        check_nonneg("momentum", momentum, "SGD")
        check_nonneg("weight_decay", weight_decay, "SGD")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                "SGD: Nesterov momentum requires a momentum > 0 and zero dampening, got "
                f"momentum={momentum!r}, dampening={dampening!r}"
            )
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one SGD update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            opts = {k: group[k] for k in self.defaults}
            momentum = opts["momentum"]
            work = []
            for p in group["params"]:
                if p.grad is None:
                    continue
                if momentum == 0:  # no state at all, as torch
                    work.append(((p._data, p.grad._data, None), ()))
                    continue
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:  # the first step creates the buffer: one call
                    state["momentum_buffer"] = sgd_update(p._data, p.grad._data, None, **opts)
                else:
                    work.append(((p._data, p.grad._data, buf), ()))
            foreach(sgd_update, work, opts)  # on lamina's threads
        return loss
