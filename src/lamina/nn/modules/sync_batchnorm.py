"""SyncBatchNorm: batch normalisation with statistics over every rank's batch (torch.nn).

In training under a process group of more than one rank, the per-channel mean and variance
are those of the union of the ranks' batches (each rank's count, mean and sum of squared
deviations are gathered and combined exactly, as torch's Welford combination), and backward
sums its two per-channel reductions over the ranks too, so N ranks with batch B train as
one process with batch N * B. Otherwise it is BatchNorm.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...autograd.function import Op
from ...distributed.group import _world
from ...tensor import Tensor, apply
from .normalization import _BatchNorm

__all__ = ["SyncBatchNorm"]


class SyncBatchNormOp(Op):
    """Training-mode batch norm over the ranks of ``comm``, channel axis 1.

    ``running_mean``/``running_var`` are updated in place with the global batch mean and
    unbiased variance, as BatchNorm does.
    """

    ctx_attrs = ("axes", "comm", "total")

    @staticmethod
    def forward(
        ctx, x, weight=None, bias=None, *, running_mean=None, running_var=None,
        momentum=0.1, eps=1e-5, comm=None,
    ):  # fmt: skip
        c = x.shape[1]
        axes = (0,) + tuple(range(2, x.ndim))
        bshape = (1, c) + (1,) * (x.ndim - 2)
        n = x.size // c
        mean = x.mean(axis=axes, dtype=np.float64)
        m2 = np.square(x - mean.astype(x.dtype).reshape(bshape)).sum(axis=axes, dtype=np.float64)
        mine = np.concatenate([[n], mean, m2])
        every = np.empty((comm.Get_size(), mine.size), np.float64)
        comm.Allgather(mine, every)
        counts, means, m2s = every[:, :1], every[:, 1 : c + 1], every[:, c + 1 :]
        total = counts.sum()
        if total <= 1:
            raise ValueError(
                f"SyncBatchNorm: expected more than 1 value per channel when training, got "
                f"{int(total)} over all ranks (input size {x.shape} here)"
            )
        gmean = (counts * means).sum(axis=0) / total
        gm2 = (m2s + counts * (means - gmean) ** 2).sum(axis=0)
        var = gm2 / total
        for run, batch in ((running_mean, gmean), (running_var, var * total / (total - 1))):
            if run is not None:
                run *= 1.0 - momentum
                run += momentum * batch.astype(run.dtype)
        invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype).reshape(bshape)
        xhat = (x - gmean.astype(x.dtype).reshape(bshape)) * invstd
        w = None if weight is None else weight.reshape(bshape)
        ctx.axes, ctx.comm, ctx.total = axes, comm, total
        ctx.save_for_backward(xhat, invstd, w)
        y = xhat if w is None else xhat * w
        return y if bias is None else y + bias.reshape(bshape)

    @staticmethod
    def backward(ctx, grad):
        xhat, invstd, w = ctx.saved
        axes, need = ctx.axes, ctx.needs_input_grad
        dx = dw = db = None
        if need[0]:
            from mpi4py import MPI

            dxhat = grad if w is None else grad * w
            sums = np.concatenate(
                [
                    dxhat.sum(axis=axes, dtype=np.float64),
                    (dxhat * xhat).sum(axis=axes, dtype=np.float64),
                ]
            )
            ctx.comm.Allreduce(MPI.IN_PLACE, sums, op=MPI.SUM)
            c = xhat.shape[1]
            bshape = (1, c) + (1,) * (xhat.ndim - 2)
            m1 = (sums[:c] / ctx.total).astype(grad.dtype).reshape(bshape)
            m2 = (sums[c:] / ctx.total).astype(grad.dtype).reshape(bshape)
            dx = invstd * (dxhat - m1 - xhat * m2)
        if need[1]:
            dw = (grad * xhat).sum(axis=axes)
        if need[2]:
            db = grad.sum(axis=axes)
        return dx, dw, db


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation synchronised over the process group's ranks (torch.nn.SyncBatchNorm).

    Input (N, C, ...) with at least 2 dimensions. In eval mode, or without a process group of
    more than one rank, it is BatchNorm. ``process_group`` is accepted for torch's
    signature; lamina has the default (world) group only.
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        process_group: Any = None,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def _check_input(self, x) -> None:
        if x.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {x.ndim}D input)")
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"SyncBatchNorm: input has {x.shape[1]} channels (shape {tuple(x.shape)}), "
                f"expected num_features={self.num_features}"
            )

    def forward(self, input):
        group = _world[0]
        if not self.training or group is None or group.size == 1:
            return super().forward(input)
        self._check_input(input)
        factor = 0.1 if self.momentum is None else self.momentum
        if self.track_running_stats:
            self.num_batches_tracked._data += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked._data)
        x = input if isinstance(input, Tensor) else Tensor(input)
        return apply(
            SyncBatchNormOp,
            x,
            self.weight,
            self.bias,
            running_mean=None if self.running_mean is None else self.running_mean._data,
            running_var=None if self.running_var is None else self.running_var._data,
            momentum=factor,
            eps=self.eps,
            comm=group.comm,
        )

    @classmethod
    def convert_sync_batchnorm(cls, module: Any, process_group: Any = None) -> Any:
        """``module`` with every BatchNorm*d replaced by a SyncBatchNorm holding the same
        parameters and running statistics (torch.nn.SyncBatchNorm.convert_sync_batchnorm)."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            out = cls(
                module.num_features, module.eps, module.momentum, module.affine,
                module.track_running_stats, process_group,
            )  # fmt: skip
            for name in ("weight", "bias"):
                if getattr(module, name, None) is not None:
                    setattr(out, name, getattr(module, name))
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                setattr(out, name, getattr(module, name))
            out.train(module.training)
        for name, child in list(module.named_children()):
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out
