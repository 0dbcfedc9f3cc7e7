"""Conv1d, Conv2d, ConvTranspose2d (torch.nn), with torch's parameters, init and repr."""

from __future__ import annotations

import math

import numpy as np

from ...functions import pad as _pad
from ...tensor import Tensor
from .. import init
from .._device import check_device, float_dtype
from ..functional import conv as F
from ..module import Module
from ..parameter import Parameter

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(v, n, name):
    t = (int(v),) * n if isinstance(v, (int, np.integer)) else tuple(int(a) for a in v)
    if len(t) != n:
        raise ValueError(f"{name} must be an int or a {n}-tuple, got {v!r}")
    return t


class _ConvNd(Module):
    """Shared set-up of the convolutions (torch.nn.modules.conv._ConvNd)."""

    _n = 2
    transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        output_padding=0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        check_device(device, type(self).__name__)
        dtype = float_dtype(dtype, type(self).__name__)
        name, n = type(self).__name__, self._n
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{name}: in_channels={in_channels} and out_channels={out_channels} must be "
                f"divisible by groups={groups}"
            )
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode {padding_mode!r} not one of {_PADDING_MODES}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _ntuple(kernel_size, n, "kernel_size")
        self.stride = _ntuple(stride, n, "stride")
        self.dilation = _ntuple(dilation, n, "dilation")
        self.output_padding = _ntuple(output_padding, n, "output_padding")
        self.padding = self._parse_padding(padding)
        self.padding_mode = padding_mode
        shape = (
            (in_channels, out_channels // groups)
            if self.transposed
            else (out_channels, in_channels // groups)
        ) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _parse_padding(self, padding):
        """torch keeps 'same'/'valid' as strings and ints as an n-tuple."""
        if not isinstance(padding, str):
            return _ntuple(padding, self._n, "padding")
        name = type(self).__name__
        if padding not in ("same", "valid"):
            raise ValueError(f"{name}: padding {padding!r} must be 'same', 'valid' or ints")
        if padding == "same" and any(s != 1 for s in self.stride):
            raise ValueError(f"{name}: padding='same' needs stride 1, got {self.stride}")
        return padding

    def reset_parameters(self) -> None:
        # torch: kaiming_uniform_(a=sqrt(5)), i.e. U(+-1/sqrt(fan_in)); the same bound for bias
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * int(np.prod(self.kernel_size))
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _check_input(self, x) -> None:
        n = self._n
        dims = "(N, C, H, W)" if n == 2 else "(N, C, L)"
        shape = tuple(getattr(x, "shape", ()))
        if not isinstance(x, Tensor):
            raise TypeError(f"expected a Tensor input, got {type(x).__name__}")
        if x.dtype.kind != "f":
            raise TypeError(
                f"expected a floating point input, got dtype {x.dtype} (convert with .float())"
            )
        if len(shape) not in (n + 1, n + 2) or shape[-n - 1] != self.in_channels:
            expected = dims.replace("C", str(self.in_channels))
            raise ValueError(
                f"expected input {expected} (or without N) with in_channels="
                f"{self.in_channels}, got shape {shape}"
            )

    def _explicit_padding(self):
        """Padding for the conv op, and the torch F.pad tuple when padding_mode is not zeros."""
        if self.padding == "valid":
            pads = (0,) * (2 * self._n)
        elif self.padding == "same":
            pads = F.same_padding(self.kernel_size, self.dilation)  # (before, after) per axis
        else:
            pads = tuple(p for p in self.padding for _ in (0, 1))
        return pads

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * self._n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W), torch.nn.Conv2d; weight (out, in/groups, kh, kw)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            device=device,
            dtype=dtype,
        )

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        pads = self._explicit_padding()  # (pt, pb, pl, pr)
        if self.padding_mode != "zeros":
            x = input if input.ndim == 4 else input.unsqueeze(0)
            x = _pad(x, (pads[2], pads[3], pads[0], pads[1]), mode=self.padding_mode)
            out = F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
            return out if input.ndim == 4 else out.squeeze(0)
        return F.conv2d(
            input, self.weight, self.bias, self.stride, pads, self.dilation, self.groups
        )


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L), torch.nn.Conv1d; weight (out, in/groups, k)."""

    _n = 1

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            device=device,
            dtype=dtype,
        )

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        if self.padding_mode == "zeros":
            return F.conv1d(
                input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
            )
        x = input if input.ndim == 3 else input.unsqueeze(0)
        x = _pad(x, self._explicit_padding(), mode=self.padding_mode)  # (pl, pr)
        out = F.conv1d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return out if input.ndim == 3 else out.squeeze(0)


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution, torch.nn.ConvTranspose2d; weight (in, out/groups, kh, kw).

    ``forward(input, output_size=None)``: an output_size picks the output_padding, as torch.
    """

    transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        if padding_mode != "zeros" or isinstance(padding, str):
            raise ValueError(
                f"ConvTranspose2d: only padding_mode='zeros' and int padding are supported, "
                f"got padding_mode={padding_mode!r}, padding={padding!r}"
            )
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            output_padding,
            device=device,
            dtype=dtype,
        )

    def _output_padding(self, input, output_size):
        if output_size is None:
            return self.output_padding
        want = tuple(output_size)[-2:]
        opad = []
        for a in range(2):
            base = (
                (input.shape[-2 + a] - 1) * self.stride[a]
                - 2 * self.padding[a]
                + self.dilation[a] * (self.kernel_size[a] - 1)
                + 1
            )
            if not base <= want[a] < base + self.stride[a]:
                raise ValueError(
                    f"requested output_size {tuple(output_size)} is not reachable: "
                    f"sizes {base}..{base + self.stride[a] - 1} along axis {a}"
                )
            opad.append(want[a] - base)
        return tuple(opad)

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        self._check_input(input)
        opad = self._output_padding(input, output_size)
        return F.conv_transpose2d(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            opad,
            self.groups,
            self.dilation,
        )


__all__ = ["Conv1d", "Conv2d", "ConvTranspose2d"]
