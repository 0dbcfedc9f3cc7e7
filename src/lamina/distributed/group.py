"""The default process group: one MPI job, every rank in it (torch.distributed's c10d).

``init_process_group()`` reads the MPI launcher's environment. Under ``mpiexec`` /
``srun --mpi=pmix`` it imports mpi4py (the ``mpi`` extra) and takes ``MPI.COMM_WORLD``;
started as a plain ``python train.py`` it makes a world of one process, which needs no
mpi4py, so the same script runs unchanged on one machine. mpi4py is imported here and
only here, on first use: ``import lamina`` never loads MPI.
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = [
    "init_process_group",
    "destroy_process_group",
    "is_initialized",
    "is_available",
    "is_mpi_available",
    "get_rank",
    "get_world_size",
    "get_backend",
]

# Variables an MPI launcher sets in each process it starts: MPICH/Intel MPI's hydra (PMI_*),
# Open MPI, PMIx (Slurm's srun --mpi=pmix, Open MPI 5), MVAPICH.
_LAUNCHER_VARS = (
    "PMI_RANK",
    "PMI_SIZE",
    "OMPI_COMM_WORLD_SIZE",
    "PMIX_RANK",
    "MV2_COMM_WORLD_SIZE",
)
_NOT_INIT = (
    "Default process group has not been initialized, please make sure to call init_process_group."
)


class _Group:
    """The world: a communicator (None for a world of one without MPI), rank and size."""

    def __init__(self, comm: Any) -> None:
        self.comm = comm
        self.rank = 0 if comm is None else comm.Get_rank()
        self.size = 1 if comm is None else comm.Get_size()


_world: list[_Group | None] = [None]


class _WorldName:
    """``group.WORLD`` (torch.distributed.group.WORLD): the default group, by name."""

    def __repr__(self) -> str:
        return "lamina.distributed.group.WORLD"


WORLD = _WorldName()


def check_group(group: Any, where: str) -> None:
    """lamina has one group, the world: None or WORLD; another group raises."""
    if group is not None and group is not WORLD:
        raise ValueError(
            f"{where}: lamina.distributed has the default (world) process group only; got "
            f"group={group!r} (pass None or lamina.distributed.group.WORLD)"
        )


def launched_by_mpi() -> bool:
    """Whether an MPI launcher started this process (its environment variables are set)."""
    return any(v in os.environ for v in _LAUNCHER_VARS)


def _import_mpi() -> Any:
    try:
        from mpi4py import MPI
    except ImportError as e:
        found = [v for v in _LAUNCHER_VARS if v in os.environ]
        raise RuntimeError(
            f"init_process_group: this process was started by an MPI launcher ({found[0]} is "
            "set) but mpi4py cannot be imported; install the extra: pip install 'lamina[mpi]'"
        ) from e
    return MPI


def init_process_group(
    backend: str | None = None,
    init_method: str | None = None,
    timeout: Any = None,
    world_size: int = -1,
    rank: int = -1,
    store: Any = None,
    group_name: str = "",
    pg_options: Any = None,
    device_id: Any = None,
) -> None:
    """Join the MPI job as the default process group (torch.distributed.init_process_group).

    Args:
        backend: ``"mpi"`` or None (lamina's only backend; ``"gloo"``/``"nccl"`` raise).
        init_method, store: not used by MPI (the launcher connects the ranks); a value raises.
        world_size, rank: checked against the launcher's when given (-1: take MPI's).

    Under an MPI launcher this also installs a ``sys.excepthook`` that prints the failing
    rank's traceback and aborts the whole job (``MPI.COMM_WORLD.Abort(1)``), and wraps
    ``sys.exit`` so that a non-zero exit aborts it too, so a failure on one rank ends every
    rank at once instead of leaving them blocked in the next collective.
    """
    if _world[0] is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if backend is not None and str(backend).lower() != "mpi":
        raise ValueError(
            f"init_process_group: backend {backend!r} is not available in lamina; it has the "
            "'mpi' backend only (launch with mpiexec, see docs/distributed.md)"
        )
    if init_method is not None or store is not None:
        raise ValueError(
            "init_process_group: the MPI backend takes its ranks from the launcher; "
            f"init_method={init_method!r} and store are not used, leave them None"
        )
    comm = None
    if launched_by_mpi():
        comm = _import_mpi().COMM_WORLD
    elif int(os.environ.get("SLURM_STEP_NUM_TASKS", "1")) > 1:  # srun without an MPI plugin
        raise RuntimeError(
            f"init_process_group: srun started {os.environ['SLURM_STEP_NUM_TASKS']} tasks but "
            "set no MPI (PMI/PMIx) variables, so each would train alone; launch with "
            "srun --mpi=pmix (or your site's MPI plugin), see docs/distributed.md"
        )
    group = _Group(comm)
    how = "given by the MPI launcher" if comm else "no MPI launcher: start it with mpiexec -n N"
    for name, want in (("world_size", world_size), ("rank", rank)):
        if want not in (-1, None) and want != getattr(group, name.replace("world_", "")):
            raise ValueError(
                f"init_process_group: {name}={want}, but this process is rank {group.rank} of "
                f"a world of {group.size} ({how})"
            )
    _world[0] = group
    if comm is not None:
        _install_abort_hook(group)


def _let_the_launcher_forward() -> None:
    """A moment for mpiexec's proxy to forward the message just written: Abort tears the
    job down at once and a 2-core CI box lost the rank's last line once in three runs."""
    import time

    time.sleep(0.3)


def _install_abort_hook(group: _Group) -> None:
    """On an uncaught exception or ``sys.exit(non-zero)``: print it with the rank, then
    abort every rank."""
    previous = sys.excepthook

    def abort_all(kind, value, tb) -> None:
        import traceback

        text = "".join(traceback.format_exception(kind, value, tb))
        sys.stderr.write(f"[rank {group.rank}] uncaught exception, aborting the MPI job:\n{text}")
        sys.stderr.flush()
        if _world[0] is group:
            _let_the_launcher_forward()
            group.comm.Abort(1)
        previous(kind, value, tb)

    previous_exit = sys.exit

    def exit_aborting(status: Any = None) -> None:
        # a rank that leaves with sys.exit(non-zero) would leave the others blocked in their
        # next collective (MPI sees no error): abort the job with that status instead
        code = status if status is None or isinstance(status, int) else 1
        if code and _world[0] is group:
            sys.stdout.flush()
            sys.stderr.write(f"[rank {group.rank}] sys.exit({status!r}): aborting the MPI job\n")
            sys.stderr.flush()
            _let_the_launcher_forward()
            group.comm.Abort(code)
        previous_exit(status)

    sys.excepthook, sys.exit = abort_all, exit_aborting
    group.previous_hook, group.previous_exit = previous, previous_exit


def destroy_process_group(group: Any = None) -> None:
    """Leave the default process group (torch.distributed.destroy_process_group).

    MPI itself stays initialised (mpi4py finalises it at exit), so init_process_group may
    be called again.
    """
    world = _world[0]
    if world is None:
        raise AssertionError("Process group cannot be None")
    if world.comm is not None:
        world.comm.Barrier()
        sys.excepthook = getattr(world, "previous_hook", sys.excepthook)
        sys.exit = getattr(world, "previous_exit", sys.exit)
    _world[0] = None


def world() -> _Group:
    """The default group; raises torch's ValueError before init_process_group."""
    group = _world[0]
    if group is None:
        raise ValueError(_NOT_INIT)
    return group


def is_initialized() -> bool:
    """Whether init_process_group has run (torch.distributed.is_initialized)."""
    return _world[0] is not None


def is_available() -> bool:
    """True: lamina.distributed always works, as one process without MPI (torch's name)."""
    return True


def is_mpi_available() -> bool:
    """Whether mpi4py can be imported (torch.distributed.is_mpi_available)."""
    import importlib.util

    return importlib.util.find_spec("mpi4py") is not None


def get_rank(group: Any = None) -> int:
    """This process's rank, 0 .. world_size - 1 (torch.distributed.get_rank)."""
    check_group(group, "get_rank")
    return world().rank


def get_world_size(group: Any = None) -> int:
    """The number of processes in the job (torch.distributed.get_world_size)."""
    check_group(group, "get_world_size")
    return world().size


def get_backend(group: Any = None) -> str:
    """``"mpi"`` (torch.distributed.get_backend)."""
    world()
    return "mpi"
