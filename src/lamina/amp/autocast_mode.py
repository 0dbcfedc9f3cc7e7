"""torch.amp.autocast: a context manager that lamina accepts where it would do nothing."""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np

from ..dtypes import UnsupportedDtype, bfloat16

# torch's device types (torch.autocast raises RuntimeError for any other string)
DEVICE_TYPES = (
    "cpu cuda ipu xpu mkldnn opengl opencl ideep hip ve fpga maia xla lazy vulkan mps meta "
    "hpu mtia privateuseone"
).split()


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast can be enabled for ``device_type`` (torch.amp.is_autocast_available):
    lamina casts nothing, so False for every device."""
    return False


def _is_half(dtype) -> bool:
    if isinstance(dtype, UnsupportedDtype):
        return dtype is bfloat16
    return dtype is not None and np.dtype(dtype) == np.float16


class autocast:  # noqa: N801 - torch's name
    """torch.amp.autocast(device_type, dtype=None, enabled=True, cache_enabled=None).

    As torch on a machine without a GPU: ``"cuda"`` warns and disables itself, other
    accelerators' types are accepted and do nothing, a CPU dtype other than bfloat16/float16
    warns and disables. Enabled CPU autocast raises NotImplementedError: lamina computes
    every op in its inputs' dtype and never silently ignores a request to do otherwise.
    Usable as a context manager and as a decorator.
    """

    def __init__(
        self,
        device_type: str,
        dtype: Any = None,
        enabled: bool = True,
        cache_enabled: bool | None = None,
    ) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type.split(":")[0] not in DEVICE_TYPES:
            raise RuntimeError(
                f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of device "
                f"string: {device_type}"
            )
        self.device = device_type
        if dtype is None:  # torch's defaults: bfloat16 on the CPU, float16 elsewhere
            dtype = bfloat16 if device_type == "cpu" else np.float16
        self.fast_dtype = dtype
        self._enabled = bool(enabled)
        if self._enabled and device_type == "cuda":
            warnings.warn(
                "CUDA is not available or torch_xla is imported. Disabling autocast.",
                stacklevel=2,
            )
            self._enabled = False
        elif self._enabled and device_type == "cpu":
            self._check_cpu()
        elif device_type != "cpu":
            self._enabled = False  # no such device here: nothing can run under it

    def _check_cpu(self) -> None:
        if not _is_half(self.fast_dtype):
            warnings.warn(
                "In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                "CPU Autocast only supports dtypes of torch.bfloat16, torch.float16 currently.",
                stacklevel=3,
            )
            self._enabled = False
            return
        raise NotImplementedError(
            f"autocast(device_type='cpu', dtype={self.fast_dtype!r}) is not implemented in "
            "lamina: ops run in their inputs' dtype. Pass enabled=False, or use "
            "contextlib.nullcontext() as scripts do on the CPU."
        )

    def __enter__(self) -> autocast:
        return self

    def __exit__(self, *exc: object) -> bool:
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapped(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return wrapped
