"""rms_norm (torch.nn.functional.rms_norm), composed from differentiable Tensor ops."""

from __future__ import annotations

import numpy as np

from ...tensor import Tensor


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, eps=None) -> Tensor:
    """x / sqrt(mean(x^2) + eps) * weight over the trailing ``normalized_shape`` dims.

    ``eps=None`` takes the machine epsilon of the input's dtype, as torch does.
    """
    x = input if isinstance(input, Tensor) else Tensor(input)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or tuple(x.shape[x.ndim - k :]) != shape:
        raise RuntimeError(
            f"rms_norm: normalized_shape {list(shape)} must match the last dims of input "
            f"shape {list(x.shape)}"
        )
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(
            f"rms_norm: weight of shape {list(weight.shape)} should be {list(shape)}"
        )
    eps = float(np.finfo(x.dtype).eps) if eps is None else eps
    dims = tuple(range(x.ndim - k, x.ndim))
    y = x * ((x * x).mean(dim=dims, keepdim=True) + eps).rsqrt()
    return y if weight is None else y * weight


__all__ = ["rms_norm"]
