"""RMSprop (torch.optim.RMSprop)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ._foreach import foreach
from .optimizer import Optimizer, check_nonneg

__all__ = ["RMSprop", "rmsprop_update"]


def rmsprop_update(
    param: np.ndarray,
    grad: np.ndarray,
    square_avg: np.ndarray,
    grad_avg: np.ndarray | None,
    momentum_buffer: np.ndarray | None,
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    centered: bool,
    maximize: bool,
) -> None:
    """One RMSprop step on arrays; ``param`` and the state arrays are updated in place.

    With g the gradient (negated if ``maximize``)::

        g <- g + weight_decay * p
        v <- alpha * v + (1 - alpha) * g * g
        a <- a + (1 - alpha) * (g - a)          (centered; torch's lerp)
        avg <- sqrt(v - a * a) + eps  if centered  else  sqrt(v) + eps
        b <- momentum * b + g / avg;  p <- p - lr * b      (momentum > 0)
        p <- p - lr * g / avg                                (otherwise)
    """
    if maximize:
        grad = np.negative(grad)
    if weight_decay != 0:
        grad = grad + weight_decay * param
    square_avg *= alpha
    avg = np.multiply(grad, grad)  # (same shape as param), reused as the denominator
    avg *= 1 - alpha
    square_avg += avg
    if centered:
        np.subtract(grad, grad_avg, out=avg)
        avg *= 1 - alpha
        grad_avg += avg
        np.multiply(grad_avg, grad_avg, out=avg)
        np.subtract(square_avg, avg, out=avg)
        np.sqrt(avg, out=avg)
    else:
        np.sqrt(square_avg, out=avg)
    avg += eps
    if momentum > 0:
        momentum_buffer *= momentum
        np.divide(grad, avg, out=avg)
        momentum_buffer += avg
        np.multiply(momentum_buffer, lr, out=avg)
    else:
        np.divide(grad, avg, out=avg)
        avg *= lr
    param -= avg


class RMSprop(Optimizer):
    """RMSprop (torch.optim.RMSprop).

    Args:
        params: parameters or parameter groups.
        lr: learning rate (torch's default 1e-2).
        alpha: smoothing constant of the squared-gradient average.
        eps: added to the denominator for stability.
        weight_decay: L2 penalty added to the gradient.
        momentum: momentum factor.
        centered: normalize by the estimated variance of the gradient.
        maximize: maximize the objective instead of minimizing it.

    State per parameter: ``step``, ``square_avg``, ``momentum_buffer`` (momentum > 0),
    ``grad_avg`` (centered).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        maximize: bool = False,
    ) -> None:
        for name, value in [
            ("learning rate", lr),
            ("epsilon", eps),
            ("momentum", momentum),
            ("weight_decay", weight_decay),
            ("alpha", alpha),
        ]:
            check_nonneg(name, value, "RMSprop")
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one RMSprop update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            opts = {k: group[k] for k in self.defaults}
            work = []
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["square_avg"] = np.zeros_like(p._data)
                    if opts["momentum"] > 0:
                        state["momentum_buffer"] = np.zeros_like(p._data)
                    if opts["centered"]:
                        state["grad_avg"] = np.zeros_like(p._data)
                state["step"] += 1
                arrays = (p._data, p.grad._data, state["square_avg"])
                work.append(((*arrays, state.get("grad_avg"), state.get("momentum_buffer")), ()))
            foreach(rmsprop_update, work, opts)  # on lamina's threads
        return loss
