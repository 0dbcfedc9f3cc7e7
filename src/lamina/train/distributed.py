"""What ``Trainer.fit`` does under a process group of more than one rank (MPI).

Started with ``mpiexec -n N`` after ``lamina.distributed.init_process_group()``, each rank
runs the same ``fit``:

- the model is wrapped in DistributedDataParallel (once; a model the user wrapped is kept;
  GANTrainer wraps its generator and discriminator apart), so every rank starts from rank
  0's weights; before each ``train_step`` every wrapper is armed for one backward (as its
  forward would), so the first backward through each module in a step is averaged over
  the ranks even when a ``train_step`` of a subclass calls the bare model;
- training data given as arrays or a Dataset is read through a DistributedSampler (each
  rank its disjoint shard, reshuffled per epoch from one seed every rank agrees on); a
  DataLoader is used as given (give it a DistributedSampler; ``set_epoch`` is called);
- validation and ``evaluate`` data given as arrays or a Dataset are split into disjoint
  shards without padding, and the loss and metric sums are added over the ranks, so
  ``val_accuracy`` is exact over the whole validation set; epoch logs are rank 0's
  reduced values, sent to every rank, so callbacks and schedulers decide the same
  everywhere; a stop requested on any rank stops all of them after that batch;
- only rank 0 prints and runs the callbacks marked ``rank_zero_only`` (ModelCheckpoint,
  CSVLogger, TensorBoard: the ones that write files).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..data import DataLoader, Subset
from ..data.distributed import DistributedSampler
from ..distributed.group import _world

__all__ = ["active", "rank", "Sharding"]


def active() -> Any:
    """The default group when it spans more than one rank, else None."""
    group = _world[0]
    return group if group is not None and group.size > 1 else None


def rank() -> int:
    """This process's rank (0 without a process group)."""
    group = _world[0]
    return 0 if group is None else group.rank


def _allreduce(values: np.ndarray, op: str = "sum") -> np.ndarray:
    from mpi4py import MPI

    out = np.ascontiguousarray(values, dtype=np.float64).copy()
    active().comm.Allreduce(MPI.IN_PLACE, out, op=MPI.SUM if op == "sum" else MPI.MAX)
    return out


class Sharding:
    """The distributed side of one ``fit`` / ``evaluate``; every method a no-op alone."""

    def __init__(self, group: Any = "default") -> None:
        self.group = active() if group == "default" else group
        self.own: list[DistributedSampler] = []  # the samplers fit made (reseeded per epoch)
        self.ddps: list = []  # the DistributedDataParallel wrappers armed before each step

    @classmethod
    def alone(cls) -> Sharding:
        """The sharding of a single process (what a Trainer holds outside fit/evaluate)."""
        return cls(group=None)

    def check_resume(self, state: dict, path: Any) -> None:
        """Warn, naming both, when a checkpoint was written by another number of ranks."""
        then = int(state.get("world_size", 1))
        now = 1 if self.group is None else self.group.size
        if then != now and rank() == 0:
            warnings.warn(
                f"resume_from={str(path)!r}: the checkpoint was written by a run of {then} "
                f"rank(s), this run has {now}: training continues from its weights and "
                f"optimizer state, but the global batch is now {now}/{then} times what it was "
                "and the data order differs from an uninterrupted run",
                stacklevel=4,
            )

    def distribute(self, trainer: Any) -> None:
        """Put the trainer's module(s) in DistributedDataParallel (its ``_distribute``)."""
        from ..nn.parallel.distributed import DistributedDataParallel

        wrapped = trainer._distribute(self.wrap)
        self.ddps = [m for m in wrapped if isinstance(m, DistributedDataParallel)]

    def before_step(self) -> None:
        """Arm every DDP for the step's backward and send rank 0's buffers, as a forward
        through it would: a train_step calling the bare model is averaged all the same."""
        for ddp in self.ddps:
            ddp._pre_forward()

    def wrap(self, module: Any) -> Any:
        """``module`` in DistributedDataParallel under a group (made once per module and
        kept on it, so a second fit reuses it), or ``module`` itself."""
        from ..nn.parallel.distributed import DistributedDataParallel

        if self.group is None or isinstance(module, DistributedDataParallel):
            return module
        ddp = module.__dict__.get("_lamina_ddp")
        if ddp is None:  # kept out of the module's children: no "module." keys appear
            ddp = module.__dict__["_lamina_ddp"] = DistributedDataParallel(module)
        return ddp

    def train_loader(self, dataset: Any, batch_size: int, shuffle: bool) -> DataLoader:
        sampler = DistributedSampler(dataset, self.group.size, self.group.rank, shuffle=shuffle)
        self.own.append(sampler)
        return DataLoader(dataset, batch_size=batch_size, sampler=sampler)

    def eval_loader(self, dataset: Any, batch_size: int) -> DataLoader:
        """Rank r reads samples r, r + N, ...: disjoint, no padding, so sums are exact."""
        own = Subset(dataset, list(range(self.group.rank, len(dataset), self.group.size)))
        return DataLoader(own, batch_size=batch_size, shuffle=False)

    def loader(self, dataset: Any, batch_size: int, shuffle: bool, where: str) -> Any:
        """A sharded DataLoader for fit/evaluate under a group, else None (the usual one)."""
        if self.group is None or where == "predict":
            return None
        if where == "fit":
            return self.train_loader(dataset, batch_size, shuffle)
        return self.eval_loader(dataset, batch_size)

    def begin_epoch(self, loader: Any, epoch: int) -> None:
        """Give the epoch's sampler its order: a user's DistributedSampler ``set_epoch``;
        fit's own a seed drawn from lamina's global RNG (as a shuffling DataLoader draws,
        so a checkpoint's RNG state resumes the same order), rank 0's on every rank."""
        sampler = getattr(loader, "sampler", None)
        if sampler in self.own:
            from ..random import default_rng

            seed = np.array([default_rng().integers(2**31)], np.int64)
            self.group.comm.Bcast(seed, root=0)
            sampler.seed = int(seed[0])
        elif isinstance(sampler, DistributedSampler):
            sampler.set_epoch(epoch)
        elif self.group is not None and epoch == 0 and isinstance(loader, DataLoader):
            if self.group.rank == 0:
                warnings.warn(
                    "fit under MPI: the DataLoader given has no DistributedSampler, so every "
                    "rank reads all of it; pass sampler=DistributedSampler(dataset)",
                    stacklevel=4,
                )

    def any_rank(self, flag: bool) -> bool:
        """True on every rank when ``flag`` is True on any (a stop request)."""
        if self.group is None:
            return flag
        return bool(_allreduce(np.array([float(flag)]), "max")[0])

    def reduce_means(self, means: Any) -> None:
        """Add the per-key sums and counts of an epoch's Means over the ranks."""
        if self.group is None:
            return
        keys = sorted(means.sums)
        both = _allreduce(np.array([means.sums[k] for k in keys] + [means.counts[k] for k in keys]))
        for i, k in enumerate(keys):
            means.sums[k], means.counts[k] = float(both[i]), int(both[len(keys) + i])

    def reduce_metrics(self, metrics: list) -> None:
        """Make each metric's state the sum of the ranks' (sums and counts, confusion matrix)."""
        if self.group is None:
            return
        for m in metrics:
            if hasattr(m, "total") and hasattr(m, "count"):
                m.total, m.count = (float(v) for v in _allreduce(np.array([m.total, m.count])))
                m.count = int(m.count)
            elif isinstance(getattr(m, "cm", None), np.ndarray):
                n = int(_allreduce(np.array([len(m.cm)]), "max")[0])
                cm = np.zeros((n, n))
                cm[: len(m.cm), : len(m.cm)] = m.cm
                m.cm = _allreduce(cm).astype(np.int64)
            else:
                raise TypeError(
                    f"fit under MPI: metric {m.name!r} ({type(m).__name__}) keeps a state lamina "
                    "cannot add over ranks; keep it as `total`/`count` or a confusion matrix `cm`"
                )

    def agree(self, logs: dict) -> dict:
        """Rank 0's logs on every rank (the same callback decisions everywhere)."""
        if self.group is None:
            return logs
        keys = sorted(k for k, v in logs.items() if isinstance(v, (int, float)))
        values = np.array([float(logs[k]) for k in keys], np.float64)
        self.group.comm.Bcast(values, root=0)
        return {**logs, **dict(zip(keys, (float(v) for v in values)))}

    def reduce_eval(self, loss_sum: float, count: int) -> tuple[float, int]:
        if self.group is None:
            return loss_sum, count
        s, c = _allreduce(np.array([loss_sum, count]))
        return float(s), int(c)
