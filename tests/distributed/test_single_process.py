"""lamina.distributed as one process (no MPI launcher): torch's names, errors and results."""

import sys

import numpy as np
import pytest

import lamina
import lamina.distributed as dist
from lamina import nn
from tests.oracle import torch


@pytest.fixture
def world_of_one():
    dist.init_process_group("mpi")
    yield
    dist.destroy_process_group()


def test_import_lamina_loads_no_mpi():
    """mpi4py is imported by init_process_group under a launcher, never by import lamina."""
    import os
    import subprocess

    from tests.distributed.mpi import ROOT

    code = "import lamina, lamina.nn, lamina.distributed, sys; print('mpi4py' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("fn", ["get_rank", "get_world_size", "get_backend", "barrier"])
def test_before_init_raises_torch_error(fn):
    with pytest.raises(ValueError) as want:
        getattr(torch.distributed, fn)()
    with pytest.raises(ValueError) as got:
        getattr(dist, fn)()
    assert str(got.value) == str(want.value)


def test_world_of_one_without_a_launcher(world_of_one):
    assert dist.is_available() and dist.is_initialized()
    assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "mpi")
    with pytest.raises(ValueError, match="twice"):
        dist.init_process_group()
    x = lamina.tensor([1.0, -2.0, 3.0])
    for op in (dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.MAX, dist.ReduceOp.MIN):
        dist.all_reduce(x, op)
        assert x.tolist() == [1.0, -2.0, 3.0]
    assert dist.all_reduce(x, async_op=True).wait()
    dist.broadcast(x, src=0)
    out = [lamina.zeros(3)]
    dist.all_gather(out, x)
    assert out[0].tolist() == x.tolist()
    dist.barrier()


def test_bad_arguments_say_what(world_of_one):
    with pytest.raises(ValueError, match="src=1 is not a rank"):
        dist.broadcast(lamina.ones(2), src=1)
    with pytest.raises(TypeError, match="ReduceOp"):
        dist.all_reduce(lamina.ones(2), op="sum")
    with pytest.raises(TypeError, match="BXOR needs an integer"):
        dist.all_reduce(lamina.ones(2), dist.ReduceOp.BXOR)
    with pytest.raises(TypeError, match="AVG needs a floating"):
        dist.all_reduce(lamina.tensor([1, 2]), dist.ReduceOp.AVG)
    with pytest.raises(ValueError, match="list of world_size=1"):
        dist.all_gather([lamina.ones(2)] * 2, lamina.ones(2))


def test_init_refuses_what_mpi_does_not_do():
    with pytest.raises(ValueError, match="'mpi' backend only"):
        dist.init_process_group("nccl")
    with pytest.raises(
        ValueError, match="world_size=2, but this process is rank 0 of a world of 1"
    ):
        dist.init_process_group("mpi", rank=1, world_size=2)
    assert not dist.is_initialized()
    with pytest.raises(AssertionError, match="Process group cannot be None"):
        dist.destroy_process_group()


def test_ddp_needs_a_process_group_and_keeps_torch_keys(world_of_one):
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    ddp = nn.parallel.DistributedDataParallel(model)
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    assert list(ddp.state_dict()) == [f"module.{k}" for k in tmodel.state_dict()]
    x = lamina.randn(4, 3)
    np.testing.assert_array_equal(ddp(x).detach().numpy(), model(x).detach().numpy())
    assert ddp.module is model
    with ddp.no_sync():
        assert not ddp.require_backward_grad_sync
    assert ddp.require_backward_grad_sync


def test_ddp_before_init_raises():
    with pytest.raises(ValueError, match="init_process_group"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2))


@pytest.mark.parametrize("n", [1, 7, 10, 11])
@pytest.mark.parametrize("replicas", [1, 3, 4, 12])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_shards_as_torch(n, replicas, drop_last):
    """Unshuffled: torch's index lists exactly. Shuffled: the same positions of this
    sampler's permutation (the permutation is NumPy's, not torch's)."""
    from lamina.utils.data import DistributedSampler

    TorchSampler = torch.utils.data.DistributedSampler

    for rank in range(replicas):
        kw = dict(num_replicas=replicas, rank=rank, drop_last=drop_last)
        want = list(TorchSampler(range(n), shuffle=False, **kw))
        mine = DistributedSampler(range(n), shuffle=False, **kw)
        assert list(mine) == want and len(mine) == len(want)
        shuffled = DistributedSampler(range(n), seed=3, **kw)
        shuffled.set_epoch(5)
        perm = np.random.default_rng(3 + 5).permutation(n)
        assert list(shuffled) == [int(perm[i]) for i in want]


def test_distributed_sampler_shards_are_disjoint_and_change_with_the_epoch():
    from lamina.utils.data import DistributedSampler

    shards = [DistributedSampler(range(100), num_replicas=4, rank=r) for r in range(4)]
    first = [list(s) for s in shards]
    assert sorted(sum(first, [])) == list(range(100))
    for s in shards:
        s.set_epoch(1)
    assert [list(s) for s in shards] != first
    with pytest.raises(ValueError) as want:
        torch.utils.data.DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError) as got:
        DistributedSampler(range(4), num_replicas=2, rank=2)
    assert str(got.value) == str(want.value)


def test_sync_batchnorm_alone_is_batchnorm_as_torch():
    """Without a group of several ranks SyncBatchNorm is BatchNorm (torch's fallback too)."""
    x = np.random.default_rng(0).standard_normal((4, 3, 5)).astype(np.float32)
    mine, theirs = nn.SyncBatchNorm(3, momentum=None), torch.nn.SyncBatchNorm(3, momentum=None)
    for _ in range(2):
        a, b = lamina.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        (mine(a) ** 3).sum().backward()
        (theirs(b) ** 3).sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-5)
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(mine.state_dict()[k].numpy(), v.numpy(), rtol=1e-5)
    with pytest.raises(ValueError, match=r"expected at least 2D input \(got 1D input\)"):
        mine(lamina.ones(3))


def test_convert_sync_batchnorm_as_torch():
    def build(T):
        return T.nn.Sequential(
            T.nn.Conv2d(3, 4, 3), T.nn.BatchNorm2d(4), T.nn.Sequential(T.nn.BatchNorm1d(5))
        )

    mine, theirs = build(lamina), build(torch)
    mine[1].running_mean._data[:] = 2.0
    mine.eval()
    conv = nn.SyncBatchNorm.convert_sync_batchnorm(mine)
    tconv = torch.nn.SyncBatchNorm.convert_sync_batchnorm(theirs)
    names = [type(m).__name__ for m in conv.modules()]
    assert names == [type(m).__name__ for m in tconv.modules()]
    assert list(conv.state_dict()) == list(tconv.state_dict())
    assert conv[1].running_mean.tolist() == [2.0] * 4 and not conv[1].training
    assert conv[1].weight is mine[1].weight  # the same parameters, as torch


def test_group_is_the_world_or_none(world_of_one):
    t = lamina.ones(2)
    dist.all_reduce(t, group=dist.group.WORLD)
    assert dist.get_rank(group=dist.group.WORLD) == 0
    with pytest.raises(ValueError, match="default \\(world\\) process group only"):
        dist.all_reduce(t, group="another")


def test_srun_without_an_mpi_plugin_is_refused(monkeypatch):
    monkeypatch.setenv("SLURM_STEP_NUM_TASKS", "4")
    with pytest.raises(RuntimeError, match="srun started 4 tasks.*srun --mpi=pmix"):
        dist.init_process_group()
    assert not dist.is_initialized()
