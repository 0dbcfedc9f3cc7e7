"""Linear, Identity, Flatten, Unflatten (torch.nn)."""

from __future__ import annotations

import math

import numpy as np

from ...ops import linalg as L
from ...tensor import Tensor, apply
from .. import init
from .._device import check_device, float_dtype
from ..module import Module
from ..parameter import Parameter


class Identity(Module):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, x):
        return x


class Linear(Module):
    """y = x W^T + b with W (out_features, in_features), torch's default initialisation."""

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__()
        check_device(device, type(self).__name__)
        dtype = float_dtype(dtype, type(self).__name__)
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        self.bias = Parameter(np.empty(out_features, dtype=dtype)) if bias else None
        if not bias:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # torch: kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)), same bias
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        shape = getattr(x, "shape", None)
        if shape is None or len(shape) == 0 or shape[-1] != self.in_features:
            raise ValueError(
                "expected input with last dimension "
                f"in_features={self.in_features}, got shape "
                f"{tuple(shape) if shape is not None else type(x).__name__}"
            )
        dtype = np.dtype(getattr(x, "dtype", np.float32))
        if dtype.kind != "f":  # torch: "mat1 and mat2 must have the same dtype"
            raise TypeError(
                f"expected a floating-point input (the weight is {self.weight.dtype}), got "
                f"dtype {dtype}; convert it with .float()"
            )
        return apply(L.Linear, x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Flatten(Module):
    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    def __init__(self, dim: int, unflattened_size) -> None:
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x):
        return x.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under torch's name for attention's output projection
    (torch.nn.modules.linear.NonDynamicallyQuantizableLinear; lamina has no quantization)."""
