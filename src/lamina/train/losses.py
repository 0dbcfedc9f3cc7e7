"""The Trainer's loss names (Keras's strings) and the scheduler protocol it steps."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ..tensor import Tensor

_LOSS_NAMES = {
    "cross_entropy": "cross_entropy",
    "categorical_crossentropy": "cross_entropy",
    "sparse_categorical_crossentropy": "cross_entropy",
    "mse": "mse_loss",
    "mean_squared_error": "mse_loss",
    "mae": "l1_loss",
    "l1": "l1_loss",
    "mean_absolute_error": "l1_loss",
    "bce": "binary_cross_entropy",
    "binary_crossentropy": "binary_cross_entropy",
    "bce_with_logits": "binary_cross_entropy_with_logits",
    "huber": "huber_loss",
    "nll": "nll_loss",
}


def resolve_loss(loss: Any) -> Callable[[Any, Any], Tensor]:
    if isinstance(loss, str):
        from ..nn import functional as F

        name = _LOSS_NAMES.get(loss.lower(), loss.lower())
        fn = getattr(F, name, None)
        if fn is None:
            raise ValueError(
                f"Trainer: unknown loss {loss!r}; expected one of {sorted(_LOSS_NAMES)}"
            )
        return fn
    if not callable(loss):
        raise TypeError(f"Trainer: loss must be callable or a name, got {type(loss).__name__}")
    return loss


def steps_on_a_metric(scheduler: Any) -> bool:
    """Whether ``scheduler.step`` requires an argument: the protocol of ReduceLROnPlateau
    (``step(metrics)``, lamina's and torch's) as opposed to the epoch-indexed ``step()``."""
    params = inspect.signature(scheduler.step).parameters.values()
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return any(p.kind in positional and p.default is p.empty for p in params)
