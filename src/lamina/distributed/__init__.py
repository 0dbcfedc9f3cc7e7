"""lamina.distributed: data-parallel training over MPI with torch.distributed's names.

Launch one process per core or machine with ``mpiexec -n 4 python train.py`` (the ``mpi``
extra installs mpi4py and MPICH's ``mpiexec``); without a launcher the same script runs
as a world of one. See docs/distributed.md.

Example:
    >>> import lamina.distributed as dist
    >>> dist.init_process_group("mpi")
    >>> model = lamina.nn.parallel.DistributedDataParallel(model)
"""

from . import group
from .collectives import (
    ReduceOp,
    Work,
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    barrier,
    broadcast,
    reduce,
)
from .group import (
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
)

__all__ = [
    "ReduceOp",
    "Work",
    "all_gather",
    "all_gather_into_tensor",
    "all_reduce",
    "barrier",
    "broadcast",
    "destroy_process_group",
    "get_backend",
    "get_rank",
    "get_world_size",
    "group",
    "init_process_group",
    "is_available",
    "is_initialized",
    "is_mpi_available",
    "reduce",
]
