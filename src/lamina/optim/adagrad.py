"""Adagrad (torch.optim.Adagrad)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer, check_nonneg

__all__ = ["Adagrad", "adagrad_update"]


def adagrad_update(
    param: np.ndarray,
    grad: np.ndarray,
    state_sum: np.ndarray,
    step: int,
    *,
    lr: float,
    lr_decay: float,
    weight_decay: float,
    eps: float,
    maximize: bool,
) -> None:
    """One Adagrad step on arrays; ``param`` and ``state_sum`` are updated in place.

    With g the gradient (negated if ``maximize``) and t = ``step`` (already incremented)::

        g <- g + weight_decay * p
        clr <- lr / (1 + (t - 1) * lr_decay)
        s <- s + g * g
        p <- p - clr * g / (sqrt(s) + eps)
    """
    if maximize:
        grad = np.negative(grad)
    if weight_decay != 0:
        grad = grad + weight_decay * param
    clr = lr / (1 + (step - 1) * lr_decay)
    tmp = np.multiply(grad, grad)  # (same shape as param), reused as the denominator
    state_sum += tmp
    np.sqrt(state_sum, out=tmp)
    tmp += eps
    np.divide(grad, tmp, out=tmp)
    tmp *= clr
    param -= tmp


class Adagrad(Optimizer):
    """Adagrad (torch.optim.Adagrad).

    Args:
        params: parameters or parameter groups.
        lr: learning rate.
        lr_decay: learning-rate decay per step.
        weight_decay: L2 penalty added to the gradient.
        initial_accumulator_value: starting value of the squared-gradient sum.
        eps: added to the denominator for stability.
        maximize: maximize the objective instead of minimizing it.

    State per parameter (created here, as torch): ``step``, ``sum``.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        for name, value in [
            ("learning rate", lr),
            ("lr_decay", lr_decay),
            ("weight_decay", weight_decay),
            ("initial_accumulator_value", initial_accumulator_value),
            ("epsilon", eps),
        ]:
            check_nonneg(name, value, "Adagrad")
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            maximize=maximize,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:  # torch creates Adagrad's state up front
            for p in group["params"]:
                _init_state(self.state[p], p, group)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one Adagrad update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            opts = {k: group[k] for k in self.defaults if k != "initial_accumulator_value"}
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:  # a group added after construction
                    _init_state(state, p, group)
                state["step"] += 1
                adagrad_update(p._data, p.grad._data, state["sum"], state["step"], **opts)
        return loss


def _init_state(state: dict[str, Any], p: Any, group: dict[str, Any]) -> None:
    state["step"] = 0
    state["sum"] = np.full_like(p._data, group["initial_accumulator_value"])
