"""Under mpiexec -n 2: every collective against a NumPy reference, DDP's wrap-time broadcast,
its gradient mean, no_sync, find_unused_parameters. Exits 0 when every check holds."""

import numpy as np

import lamina
import lamina.distributed as dist
from lamina import nn

dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()
assert dist.is_initialized() and dist.get_backend() == "mpi" and size == 2
base = np.arange(6, dtype=np.float32).reshape(2, 3)
mine = base + 10 * rank  # rank r holds base + 10 r
every = [base + 10 * r for r in range(size)]

for op, ref in [
    (dist.ReduceOp.SUM, sum(every)),
    (dist.ReduceOp.AVG, sum(every) / size),
    (dist.ReduceOp.PRODUCT, np.prod(every, axis=0)),
    (dist.ReduceOp.MIN, np.min(every, axis=0)),
    (dist.ReduceOp.MAX, np.max(every, axis=0)),
]:
    t = lamina.tensor(mine)
    v0 = t._version[0]
    dist.all_reduce(t, op)
    np.testing.assert_allclose(t.numpy(), ref, err_msg=str(op))
    assert t._version[0] > v0, "all_reduce is an in-place op: the version moves"
    t = lamina.tensor(mine)
    work = dist.all_reduce(t, op, async_op=True)
    work.wait()
    np.testing.assert_allclose(t.numpy(), ref, err_msg=f"async {op}")

# a non-contiguous tensor (a transposed view) is reduced in place through a copy
t = lamina.tensor(mine.T.copy()).t()
dist.all_reduce(t)
np.testing.assert_allclose(t.numpy(), sum(every))
ints = lamina.tensor(np.array([rank + 1, 7], np.int64))
dist.all_reduce(ints, dist.ReduceOp.MAX)
assert ints.tolist() == [size, 7] and ints.dtype == lamina.int64
for op, fn in [(dist.ReduceOp.BAND, np.bitwise_and), (dist.ReduceOp.BOR, np.bitwise_or),
               (dist.ReduceOp.BXOR, np.bitwise_xor)]:  # fmt: skip
    bits = lamina.tensor(np.array([6 + rank, 12], np.int32))
    dist.all_reduce(bits, op)
    assert bits.tolist() == fn.reduce([[6 + r, 12] for r in range(size)], axis=0).tolist(), op

t = lamina.tensor(mine)
dist.broadcast(t, src=1)
np.testing.assert_array_equal(t.numpy(), every[1])
t = lamina.tensor(mine)
dist.broadcast(t, src=0, async_op=True).wait()
np.testing.assert_array_equal(t.numpy(), every[0])

outs = [lamina.zeros(2, 3) for _ in range(size)]
dist.all_gather(outs, lamina.tensor(mine))
for o, want in zip(outs, every):
    np.testing.assert_array_equal(o.numpy(), want)
out = lamina.zeros(4, 3)
dist.all_gather_into_tensor(out, lamina.tensor(mine))
np.testing.assert_array_equal(out.numpy(), np.concatenate(every))
t = lamina.tensor(mine)
dist.reduce(t, dst=1)
np.testing.assert_array_equal(t.numpy(), sum(every) if rank == 1 else mine)
dist.barrier()

# DDP: rank 0's parameters and buffers everywhere at wrap time
lamina.manual_seed(100 + rank)  # different initial weights per rank
model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
model[1].running_mean._data[:] = rank + 1.0
ddp = nn.parallel.DistributedDataParallel(model, bucket_cap_mb=0.00001)  # a bucket per tensor
assert len(ddp.reducer.buckets) > 1
for name, arr in list(model.state_dict().items()):
    got = [lamina.zeros(*arr.shape, dtype=arr.dtype) for _ in range(size)]
    dist.all_gather(got, arr.clone())
    np.testing.assert_array_equal(got[0].numpy(), got[1].numpy(), err_msg=name)
np.testing.assert_array_equal(model[1].running_mean.numpy(), np.ones(4, np.float32))
assert list(ddp.state_dict())[0] == "module.0.weight"


def local_grads(x):
    """The gradients this rank's batch gives, without DDP (a replica of the module)."""
    import copy

    replica = copy.deepcopy(model)  # keeps the mode
    for p in replica.parameters():
        p.grad = None
    replica(x).pow(2).mean().backward()
    return {n: p.grad.numpy().copy() for n, p in replica.named_parameters()}


def mean_over_ranks(grads):
    out = {}
    for n, g in grads.items():
        t = lamina.tensor(g)
        dist.all_reduce(t, dist.ReduceOp.AVG)
        out[n] = t.numpy()
    return out


rng = np.random.default_rng(rank)
xa, xb = (lamina.tensor(rng.standard_normal((5, 3)).astype(np.float32)) for _ in range(2))
model.eval()  # BatchNorm on running stats: each rank's gradient is its own batch's
ga, gb = local_grads(xa), local_grads(xb)
want_a = mean_over_ranks(ga)
ddp(xa).pow(2).mean().backward()
for n, p in model.named_parameters():
    np.testing.assert_allclose(p.grad.numpy(), want_a[n], rtol=1e-5, atol=1e-7, err_msg=n)

# no_sync: the first backward stays local, the next averages the accumulated sum
for p in model.parameters():
    p.grad = None
with ddp.no_sync():
    ddp(xa).pow(2).mean().backward()
for n, p in model.named_parameters():
    np.testing.assert_allclose(p.grad.numpy(), ga[n], rtol=1e-5, atol=1e-7, err_msg=n)
ddp(xb).pow(2).mean().backward()
want_ab = mean_over_ranks({n: ga[n] + gb[n] for n in ga})
for n, p in model.named_parameters():
    np.testing.assert_allclose(p.grad.numpy(), want_ab[n], rtol=1e-5, atol=1e-7, err_msg=n)

# an unused parameter: an error naming it, or a zero share with find_unused_parameters
two = nn.ModuleDict({"used": nn.Linear(3, 1), "spare": nn.Linear(3, 1)})


class Partial(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = two

    def forward(self, x):
        return self.body["used"](x)


strict = nn.parallel.DistributedDataParallel(Partial())
try:
    strict(xa).sum().backward()
    raise AssertionError("an unused parameter must raise")
except RuntimeError as e:
    assert "body.spare.weight" in str(e) and "find_unused_parameters" in str(e), e
strict.reducer.remove()
loose = nn.parallel.DistributedDataParallel(Partial(), find_unused_parameters=True)
for p in two.parameters():
    p.grad = None
loose(xa).sum().backward()
assert two["spare"].weight.grad is not None
np.testing.assert_array_equal(two["spare"].weight.grad.numpy(), 0)
used = lamina.tensor(xa.numpy().sum(0, keepdims=True))
dist.all_reduce(used, dist.ReduceOp.AVG)
np.testing.assert_allclose(two["used"].weight.grad.numpy(), used.numpy(), rtol=1e-6)

dist.destroy_process_group()
assert not dist.is_initialized()
print(f"rank {rank}: ok")
