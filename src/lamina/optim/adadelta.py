"""Adadelta (torch.optim.Adadelta)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer, array_of, check_nonneg

__all__ = ["Adadelta", "adadelta_update"]


def adadelta_update(
    param: np.ndarray,
    grad: np.ndarray,
    square_avg: np.ndarray,
    acc_delta: np.ndarray,
    *,
    lr: float,
    rho: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    """One Adadelta step on arrays; ``param`` and the state arrays are updated in place.

    With g the gradient (negated if ``maximize``)::

        g <- g + weight_decay * p
        v <- rho * v + (1 - rho) * g * g
        delta <- sqrt(u + eps) / sqrt(v + eps) * g
        u <- rho * u + (1 - rho) * delta * delta
        p <- p - lr * delta
    """
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad + weight_decay * param
    square_avg *= rho
    square_avg += (1 - rho) * (grad * grad)
    std = np.sqrt(square_avg + eps)
    delta = np.sqrt(acc_delta + eps)
    delta /= std
    delta *= grad
    acc_delta *= rho
    acc_delta += (1 - rho) * (delta * delta)
    param -= lr * delta


class Adadelta(Optimizer):
    """Adadelta (torch.optim.Adadelta; Zeiler 2012).

    Args:
        params: parameters or parameter groups.
        lr: coefficient scaling delta before it is applied (torch's default 1.0).
        rho: decay of the running averages of squared gradients and updates.
        eps: added inside the square roots for stability.
        weight_decay: L2 penalty added to the gradient.
        maximize: maximize the objective instead of minimizing it.

    State per parameter: ``step``, ``square_avg``, ``acc_delta``.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        for name, value in [
            ("learning rate", lr),
            ("epsilon", eps),
            ("weight_decay", weight_decay),
        ]:
            check_nonneg(name, value, "Adadelta")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Adadelta: invalid rho value: {rho!r} (expected 0 <= rho <= 1)")
        if capturable or differentiable:
            raise ValueError("Adadelta: capturable/differentiable are not supported by lamina")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one Adadelta update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            opts = {k: group[k] for k in self.defaults}
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["square_avg"] = np.zeros_like(array_of(p))
                    state["acc_delta"] = np.zeros_like(array_of(p))
                state["step"] += 1
                adadelta_update(
                    array_of(p), array_of(p.grad), state["square_avg"], state["acc_delta"], **opts
                )
        return loss
