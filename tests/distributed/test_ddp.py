"""DistributedDataParallel over 2 MPI ranks trains exactly as one process with the batch of both.

2 ranks x batch 32 (DDP, SyncBatchNorm) against 1 process x batch 64 (BatchNorm), 20 steps
of SGD with momentum and of Adam, then a gradient accumulation under ``no_sync``: same
weights, running statistics and gradients to float32 tolerance.
"""

import contextlib

import numpy as np
import pytest

import lamina
from tests.distributed import setup_train as S
from tests.distributed.mpi import check, run_mpi


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    check(run_mpi("ddp_train.py", str(out)))
    return out


def one_process(name):
    x, y = S.data()
    net = S.model(seed=0)

    def batch_of(i):
        lo = i * S.BATCH
        return lamina.tensor(x[lo : lo + S.BATCH]), lamina.tensor(y[lo : lo + S.BATCH])

    return S.run(net, net, S.OPTIMIZERS[name](net.parameters()), batch_of, contextlib.nullcontext)


@pytest.mark.parametrize("name", sorted(S.OPTIMIZERS))
def test_two_ranks_of_32_train_as_one_process_of_64(two_ranks, name):
    got = np.load(two_ranks / f"{name}.npz")
    state, grads = one_process(name)
    assert sorted(k for k in got.files if k.startswith("state.")) == sorted(
        f"state.{k}" for k in state
    )
    for k, v in state.items():
        np.testing.assert_allclose(got[f"state.{k}"], v, rtol=2e-4, atol=2e-5, err_msg=k)
    for k, v in grads.items():
        np.testing.assert_allclose(got[f"grad.{k}"], v, rtol=2e-4, atol=2e-5, err_msg=k)


def test_the_collectives_and_ddp_mechanics_under_two_ranks():
    """scripts/collectives.py checks each collective against NumPy, DDP's broadcast at wrap
    time, its mean gradient, no_sync and find_unused_parameters on both ranks."""
    out = check(run_mpi("collectives.py"))
    assert "rank 0: ok" in out and "rank 1: ok" in out  # the ranks' lines may interleave
