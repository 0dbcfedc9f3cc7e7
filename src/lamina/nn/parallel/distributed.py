"""torch.nn.parallel.DistributedDataParallel over MPI (lamina.distributed).

Each process (rank) holds a replica of the model and trains on its own share of the data;
after ``backward()`` every replica holds the mean gradient over all ranks, so the same
optimizer step keeps the replicas equal. See docs/distributed.md.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from ...autograd.grad_mode import is_grad_enabled
from ...distributed.group import world
from .._device import check_device
from ..module import Module
from ._reducer import Reducer

__all__ = ["DistributedDataParallel"]


class DistributedDataParallel(Module):
    """Data-parallel training over the ranks of the default process group (torch's DDP).

    At construction the parameters and buffers of rank 0 are copied to every rank. During
    ``backward()`` the gradients are averaged over the ranks in buckets of about
    ``bucket_cap_mb`` megabytes, each bucket's non-blocking allreduce starting as soon as
    its gradients are ready, so communication overlaps the rest of backward; when
    ``backward()`` returns, ``.grad`` holds the mean. State-dict keys carry torch's
    ``module.`` prefix (save ``ddp.module.state_dict()`` for plain keys).

    Args:
        module: the model to replicate.
        device_ids, output_device: GPU placement in torch; lamina runs on the CPU
            (a CUDA device raises).
        broadcast_buffers: copy rank 0's buffers (BatchNorm's running statistics) to every
            rank at the start of each forward in training mode, as torch.
        bucket_cap_mb: bucket size in MiB (torch's default 25; the first bucket 1 MiB).
        find_unused_parameters: allow parameters that get no gradient in a backward (their
            share counts as zero); without it such a parameter raises at the end of
            backward, naming it.
        gradient_as_bucket_view, static_graph: accepted for torch's signature; they change
            memory and bookkeeping in torch, not results.

    Requires ``lamina.distributed.init_process_group()`` first (torch raises otherwise).
    """

    def __init__(
        self,
        module: Module,
        device_ids: Any = None,
        output_device: Any = None,
        dim: int = 0,
        broadcast_buffers: bool = True,
        process_group: Any = None,
        bucket_cap_mb: float | None = None,
        find_unused_parameters: bool = False,
        check_reduction: bool = False,
        gradient_as_bucket_view: bool = False,
        static_graph: bool = False,
    ) -> None:
        super().__init__()
        for d in list(device_ids or []) + ([] if output_device is None else [output_device]):
            check_device(f"cuda:{d}" if isinstance(d, int) else d, "DistributedDataParallel")
        if not isinstance(module, Module):
            raise TypeError(
                f"DistributedDataParallel: module must be a lamina.nn.Module, got "
                f"{type(module).__name__}"
            )
        group = world()
        self.module, self.dim, self.device_ids, self.output_device = module, dim, None, None
        self.broadcast_buffers, self.find_unused_parameters = (
            broadcast_buffers,
            find_unused_parameters,
        )
        self.bucket_cap_mb = 25.0 if bucket_cap_mb is None else float(bucket_cap_mb)
        self.gradient_as_bucket_view, self.static_graph = gradient_as_bucket_view, static_graph
        self.require_backward_grad_sync = True
        self.__dict__["_comm"] = group.comm
        self.__dict__["reducer"] = None
        if group.comm is None:  # a world of one: nothing to copy or average
            return
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        _check_same_model(group.comm, module)
        _broadcast_arrays(group.comm, [p._data for p in module.parameters()])
        _broadcast_arrays(group.comm, self._buffer_arrays())
        cap = int(self.bucket_cap_mb * 1024 * 1024)
        self.__dict__["reducer"] = Reducer(named, group.comm, cap, find_unused_parameters)

    def _buffer_arrays(self) -> list[np.ndarray]:
        return [b._data for b in self.module.buffers() if b is not None]

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        self._pre_forward()
        return self.module(*inputs, **kwargs)

    def _pre_forward(self) -> None:
        """Rank 0's buffers to every rank, and the reducer armed for the next backward."""
        reducer = self.__dict__["reducer"]
        if reducer is not None:
            if self.broadcast_buffers and self.module.training:
                _broadcast_arrays(self._comm, self._buffer_arrays())
            if is_grad_enabled() and self.require_backward_grad_sync:
                reducer.prepare()

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Skip the gradient averaging for backward passes of forwards run inside
        (gradient accumulation); the first backward after it averages the accumulated sum
        (torch.nn.parallel.DistributedDataParallel.no_sync)."""
        before = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = before


def _check_same_model(comm: Any, module: Module) -> None:
    """Every rank must wrap the same architecture: compare parameter counts and sizes."""
    shapes = [p._data.shape for p in module.parameters()]
    mine = np.array([len(shapes), sum(int(np.prod(s)) for s in shapes)], np.int64)
    every = np.empty((comm.Get_size(), 2), np.int64)
    comm.Allgather(mine, every)
    if (every != mine).any():
        raise RuntimeError(
            "DistributedDataParallel: the ranks wrap different models: (parameters, elements) "
            f"per rank {[tuple(int(v) for v in r) for r in every]}"
        )


def _broadcast_arrays(comm: Any, arrays: list[np.ndarray]) -> None:
    """Copy rank 0's arrays into every rank's, in place: one broadcast per dtype, of the
    arrays packed into one flat buffer (many small BatchNorm buffers cost one message)."""
    by_dtype: dict[Any, list[np.ndarray]] = {}
    for arr in arrays:
        by_dtype.setdefault(arr.dtype, []).append(arr)
    for dtype, group in by_dtype.items():
        flat = np.concatenate([a.reshape(-1) for a in group]) if group else np.empty(0, dtype)
        comm.Bcast(flat, root=0)
        start = 0
        for arr in group:
            np.copyto(arr, flat[start : start + arr.size].reshape(arr.shape))
            start += arr.size
