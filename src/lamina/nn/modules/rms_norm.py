"""RMSNorm (torch.nn.RMSNorm)."""

from __future__ import annotations

import numpy as np

from .. import init
from .._device import check_device, float_dtype
from ..functional.rms_norm import rms_norm
from ..module import Module
from ..parameter import Parameter


class RMSNorm(Module):
    """y = x / sqrt(mean(x^2) + eps) * weight over the trailing dims (torch.nn.RMSNorm).

    ``eps=None`` uses the input dtype's machine epsilon; ``weight`` starts at ones.
    """

    def __init__(
        self, normalized_shape, eps: float | None = None, elementwise_affine: bool = True,
        device=None, dtype=None,
    ) -> None:  # fmt: skip
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        check_device(device, type(self).__name__)
        dt = float_dtype(dtype, type(self).__name__)
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dt))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, x):
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


__all__ = ["RMSNorm"]
