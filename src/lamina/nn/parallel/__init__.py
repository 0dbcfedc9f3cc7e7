"""torch.nn.parallel: DataParallel over the one device lamina has (the CPU), and
DistributedDataParallel over MPI processes (see docs/distributed.md).

``DataParallel(model)`` wraps the model as torch does (parameters under ``module.``, the
same keys torch saves) and runs it directly; ``device_ids`` naming GPUs raise.
"""

from __future__ import annotations

from typing import Any

from .._device import check_device
from ..module import Module
from . import distributed
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel", "distributed"]


class DataParallel(Module):
    """Run ``module`` on the CPU; state-dict keys ``module.<name>`` as torch.nn.DataParallel."""

    def __init__(
        self, module: Module, device_ids: Any = None, output_device: Any = None, dim: int = 0
    ):
        super().__init__()
        for d in list(device_ids or []) + ([] if output_device is None else [output_device]):
            check_device(f"cuda:{d}" if isinstance(d, int) else d, "DataParallel")
        self.module, self.dim = module, dim
        self.device_ids, self.output_device = [], None

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.module(*inputs, **kwargs)


def data_parallel(
    module: Module,
    inputs: Any,
    device_ids: Any = None,
    output_device: Any = None,
    dim: int = 0,
    module_kwargs: Any = None,
) -> Any:
    """torch.nn.parallel.data_parallel on the CPU: ``module(*inputs)``; GPU ids raise."""
    for d in list(device_ids or []) + ([] if output_device is None else [output_device]):
        check_device(f"cuda:{d}" if isinstance(d, int) else d, "data_parallel")
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    return module(*inputs, **(module_kwargs or {}))
