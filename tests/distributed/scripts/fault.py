"""Under mpiexec -n 2: rank 1 raises (or, with argument ``exit``, calls ``sys.exit(3)``) in
the middle of the first epoch; every rank must end at once (the process group's hooks abort
the job) with rank 1's error printed."""

import sys

import lamina.distributed as dist
from lamina.train import LambdaCallback
from tests.distributed import setup_fit as S

dist.init_process_group("mpi")
rank = dist.get_rank()
(x, y), _ = S.data()


def explode(batch, logs):
    if rank == 1 and batch == 5:
        if sys.argv[1:] == ["exit"]:
            sys.exit(3)
        raise RuntimeError("boom on rank 1 at batch 5")


S.trainer().fit(
    x, y, epochs=50, batch_size=8, callbacks=[LambdaCallback(on_train_batch_end=explode)], verbose=0
)
print("unreachable: training finished")
