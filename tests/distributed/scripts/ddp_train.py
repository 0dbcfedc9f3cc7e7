"""Under mpiexec -n 2: train setup_train's model with DDP + SyncBatchNorm, batch 32 per rank
(rank r takes the r-th half of each 64-sample batch), with SGD and with Adam; rank 0
writes the weights, buffers and accumulated gradients to <outdir>/<optimizer>.npz."""

import sys

import numpy as np

import lamina
import lamina.distributed as dist
from lamina import nn
from tests.distributed import setup_train as S

dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()
x, y = S.data()
per = S.BATCH // size


def batch_of(i):
    lo = i * S.BATCH + rank * per
    return lamina.tensor(x[lo : lo + per]), lamina.tensor(y[lo : lo + per])


for name, make in S.OPTIMIZERS.items():
    # each rank starts from other weights: DDP must copy rank 0's (seed 0) everywhere
    net = nn.SyncBatchNorm.convert_sync_batchnorm(S.model(seed=rank))
    ddp = nn.parallel.DistributedDataParallel(net, bucket_cap_mb=0.0005)  # several buckets
    state, grads = S.run(net, ddp, make(ddp.parameters()), batch_of, ddp.no_sync)
    if rank == 0:
        np.savez(f"{sys.argv[1]}/{name}.npz", **{f"state.{k}": v for k, v in state.items()},
                 **{f"grad.{k}": v for k, v in grads.items()})  # fmt: skip
    # every rank ends with the same weights
    for k, v in state.items():
        t = lamina.tensor(v)
        other = [lamina.zeros_like(t) for _ in range(size)]
        dist.all_gather(other, t)
        assert all(np.array_equal(o.numpy(), v) for o in other), f"{name}: {k} differs"
print(f"rank {rank}: ok")
