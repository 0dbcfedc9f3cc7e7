"""batch_norm and layer_norm (torch.nn.functional), over lamina.ops.norm."""

from __future__ import annotations

import numpy as np

from ...ops import norm as N
from ...tensor import Tensor, apply


def _data(t):
    return None if t is None else (t._data if isinstance(t, Tensor) else np.asarray(t))


def batch_norm(
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation over every axis but 1 (torch.nn.functional.batch_norm).

    In training mode the running statistics (if given) are updated in place with the batch
    mean and the unbiased batch variance: ``r = (1 - momentum) * r + momentum * batch``.
    """
    x = input if isinstance(input, Tensor) else Tensor(input)
    return apply(
        N.BatchNorm,
        x,
        weight,
        bias,
        running_mean=_data(running_mean),
        running_var=_data(running_var),
        training=training,
        momentum=momentum,
        eps=eps,
    )


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Layer normalisation over the trailing ``normalized_shape`` (torch layer_norm)."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    return apply(N.LayerNorm, x, weight, bias, normalized_shape=shape, eps=eps)


__all__ = ["batch_norm", "layer_norm"]
