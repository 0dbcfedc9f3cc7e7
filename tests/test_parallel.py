"""Threads: lamina.set_num_threads/get_num_threads (+ the inter-op pair) with torch's rules,
the pool helper (``lamina.ops._parallel``), and every parallel kernel against its
one-thread run (bit for bit) and against torch (float32 tolerance).

"split" runs set the thresholds to 0 so that even small test inputs take the parallel
path, with odd batch sizes and batch 1; "real" runs keep the measured thresholds, with
sizes on both sides of them. Bit for bit: the data movement (im2col, col2im, padding,
pooling), products split over their batch (each chunk the same per-sample product) and the
optimizer updates (elementwise). Within float32 rounding: a single product split over its
rows or columns, where the BLAS may pick another kernel for a chunk's shape (measured: a
(9, 700) @ (700, 300) product split in column chunks differed by 9e-5 in OpenBLAS).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import lamina
import lamina.ops._parallel as par
from lamina import _state, nn, optim
from lamina.ops import fast
from lamina.ops._select import select
from tests.opcheck import run_backward, run_forward
from tests.oracle import torch

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")


@pytest.fixture
def threads():
    """Set thread counts (and thresholds) inside a test; everything restored after it."""
    saved = _state.threads["intra"]
    limits = par.MIN_PARALLEL_BYTES, par.MIN_PARALLEL_FLOPS, par.MAX_BACKOFF

    def use(n, split=False):
        """split: False (measured thresholds), "copies" (every copy split, no product) or
        True (every copy and every product split)."""
        lamina.set_num_threads(n)
        _state.threads["groups"] = {}
        par.MIN_PARALLEL_BYTES, par.MIN_PARALLEL_FLOPS, par.MAX_BACKOFF = limits
        if split:  # and no back-off on this busy machine: the split paths must run
            par.MIN_PARALLEL_BYTES, par.MAX_BACKOFF = 0, 0
            par.MIN_PARALLEL_FLOPS = 0 if split is True else 1 << 62

    yield use
    par.MIN_PARALLEL_BYTES, par.MIN_PARALLEL_FLOPS, par.MAX_BACKOFF = limits
    lamina.set_num_threads(saved or par.default_threads())


def _fresh(code: str, **env) -> str:
    """Run ``code`` in a fresh interpreter with the thread variables replaced by ``env``."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    }
    base.update(env, PYTHONPATH=SRC)
    out = subprocess.run(
        [sys.executable, "-c", code], env=base, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


# ---- set/get semantics ----------------------------------------------------------------
def test_default_is_usable_cores_or_the_environment():
    cores = len(os.sched_getaffinity(0))
    code = "import lamina; print(lamina.get_num_threads(), lamina.get_num_interop_threads())"
    assert _fresh(code) == f"{cores} {cores}"
    assert _fresh(code, OMP_NUM_THREADS="3") == f"3 {cores}"
    assert _fresh(code, OPENBLAS_NUM_THREADS="1") == f"1 {cores}"
    assert _fresh(code, OMP_NUM_THREADS="junk") == f"{cores} {cores}"  # ignored, as OpenBLAS


def test_set_and_get(threads):
    threads(3)
    assert lamina.get_num_threads() == 3
    threads(np.int64(1))  # NumPy ints pass, as in torch
    assert lamina.get_num_threads() == 1


@pytest.mark.parametrize("bad", [0, -1, 2.5, "2", True, None, 2**40])
def test_set_num_threads_errors_are_torchs(bad, threads):
    with pytest.raises(Exception) as want:
        torch.set_num_threads(bad)
    threads(2)
    with pytest.raises(want.type):
        lamina.set_num_threads(bad)
    assert lamina.get_num_threads() == 2  # unchanged


def test_set_num_threads_pins_the_blas_to_one_thread(threads):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    threads(2)
    blas = threadpoolctl.threadpool_info()
    assert blas and all(lib["num_threads"] == 1 for lib in blas if lib["user_api"] == "blas")


def test_interop_once_before_use_with_torchs_errors():
    code = """
import lamina
for bad in (0, 2.5, True):
    try:
        lamina.set_num_interop_threads(bad)
    except RuntimeError:
        pass
    else:
        raise SystemExit("accepted " + repr(bad))
lamina.set_num_interop_threads(3)
print(lamina.get_num_interop_threads())
try:
    lamina.set_num_interop_threads(2)
except RuntimeError as e:
    print("second call:", e)
"""
    out = _fresh(code).splitlines()
    assert out[0] == "3" and out[1].startswith("second call: Error: cannot set")


# ---- the pool -------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 3, 7, 64])
def test_parallel_for_covers_every_item_once(n, threads):
    threads(3, split=True)
    hits = np.zeros(n, int)
    seen = set()

    def fn(a, b):
        hits[a:b] += 1
        seen.add(threading.get_ident())

    par.parallel_for(n, fn, work=1 << 30)
    assert hits.tolist() == [1] * n


def test_parallel_for_inline_below_threshold_and_when_nested(threads):
    threads(2)
    caller = threading.get_ident()
    idents = []
    par.parallel_for(8, lambda a, b: idents.append(threading.get_ident()), work=10)
    assert idents == [caller]  # under MIN_PARALLEL_BYTES: one inline call

    inner = []

    def outer(a, b):
        par.parallel_for(4, lambda c, d: inner.append((c, d)), work=1 << 30)

    par.parallel_for(2, outer, work=1 << 30)
    assert sorted(inner) == [(0, 4), (0, 4)]  # a chunk's own loop runs inline


def test_parallel_for_reraises_in_the_caller(threads):
    threads(2, split=True)

    def fn(a, b):
        if a > 0:
            raise ValueError(f"chunk {a}")
        fn.ran = True

    with pytest.raises(ValueError, match="chunk"):
        par.parallel_for(4, fn, work=1 << 30)


def test_back_off_when_splits_of_a_size_keep_being_late_then_recovers(threads):
    threads(2, split=True)
    par.MAX_BACKOFF = 1024
    big, small = (True, (1 << 30).bit_length()), (True, (1 << 22).bit_length())
    group = par._group(big)
    par._observe(big, 1.2)  # one slow wake-up on a quiet machine: the average stays under 1
    assert group[1] == group[2] == 0
    for _ in range(3):  # a competing process: call after call late
        par._observe(big, 3.0)
    assert group[1] >= 8 and group[2] == group[1]
    before = group[1]
    par._observe(big, 3.0)
    assert group[1] == 2 * before  # doubling while it stays late
    assert par._group(small)[2] == 0  # another size is judged on its own
    skip, calls = group[2], []
    par.parallel_for(4, lambda a, b: calls.append((a, b)), work=1 << 30)
    assert calls == [(0, 4)] and group[2] == skip - 1  # inline while backing off
    for _ in range(10):  # the competitor is gone: probes pay again
        par._observe(big, 0.55)
    assert group[1] == 0


# ---- kernels: N threads vs one thread, bit for bit -------------------------------------
def _run(threads, n, split, fn):
    threads(n, split=split)
    return fn()


def _same_bits(a, b):
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and x.shape == y.shape
        assert x.tobytes() == y.tobytes()


def _close(a, b):
    """Equal within float32 rounding (products split inside may round differently)."""
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_allclose(y, x, rtol=1e-5, atol=1e-5 * float(np.abs(x).max()))


MATMUL_SHAPES = [  # (a, b, split over the batch: bit for bit)
    ((32, 288), (7, 1, 288, 100), True),  # conv's batched product, odd batch
    ((3, 1, 16, 24), (4, 24, 16), True),  # broadcast batch
    ((1, 64, 80), (80, 90), False),  # batch 1 -> split inside the product
    ((200, 70), (70, 20), False),  # more rows than columns
    ((5, 70), (70, 301), False),  # more columns
    ((130, 30), (30, 129), False),  # 3 chunks of 64 columns, the last one short
    ((2, 3), (3, 1), True),  # too small to split
    ((9,), (9, 40), True),  # a vector
]


@pytest.mark.parametrize("sa,sb,exact", MATMUL_SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_split_matches_one_call(sa, sb, exact, dtype, threads):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(sa).astype(dtype), rng.standard_normal(sb).astype(dtype)
    one = _run(threads, 1, False, lambda: par.matmul(a, b))
    many = _run(threads, 3, True, lambda: par.matmul(a, b))
    if exact:
        _same_bits([one], [many])
    else:
        np.testing.assert_allclose(many, one, rtol=1e-5 if dtype == np.float32 else 1e-12)
    np.testing.assert_allclose(many, np.matmul(a.astype(np.float64), b), rtol=1e-4, atol=1e-4)
    out = np.empty_like(one)
    assert par.matmul(a, b, out=out) is out
    np.testing.assert_array_equal(out, many)


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "broadcast"])
@pytest.mark.parametrize("out_kind", [None, "contiguous", "strided"])
def test_stacked_times_matrix_folds_into_one_product(layout, out_kind, threads):
    """(..., m, k) @ (k, n) runs as one (prod * m, k) product: same values as np.matmul."""
    rng = np.random.default_rng(1)
    b = rng.standard_normal((40, 24)).astype(np.float32)
    if layout == "contiguous":
        a = rng.standard_normal((3, 2, 17, 40)).astype(np.float32)
    elif layout == "transposed":  # not reshapeable as a view: one copy
        a = rng.standard_normal((3, 40, 2, 17)).astype(np.float32).transpose(0, 2, 3, 1)
    else:  # a stride-0 batch axis
        a = np.broadcast_to(rng.standard_normal((1, 2, 17, 40)).astype(np.float32), (3, 2, 17, 40))
    want = np.matmul(a.astype(np.float64), b.astype(np.float64))
    threads(2, split=True)
    if out_kind is None:
        got = par.matmul(a, b)
    else:
        out = np.empty((3, 2, 17, 24) if out_kind == "contiguous" else (3, 2, 24, 17), np.float32)
        out = out if out_kind == "contiguous" else out.transpose(0, 1, 3, 2)
        got = par.matmul(a, b, out=out)
        assert got is out
    assert got.shape == (3, 2, 17, 24) and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_chunks_over_threads_bit_for_bit(compiled, approximate, threads):
    from lamina.ops.gelu import gelu_f32

    x = np.random.default_rng(3).standard_normal((5, 33_000)).astype(np.float32) * 4
    try:
        fast.set_enabled(compiled)
        one = _run(threads, 1, False, lambda: gelu_f32(x, approximate, True))
        many = _run(threads, 3, True, lambda: gelu_f32(x, approximate, True))
    finally:
        fast.set_enabled(True)
    _same_bits(one, many)


@pytest.mark.parametrize("mask", [None, "causal", "bool"])
def test_attention_heads_over_threads_bit_for_bit(mask, threads):
    from lamina.ops.attention import ScaledDotProductAttention as SDPA

    rng = np.random.default_rng(4)
    q, k, v = (rng.standard_normal((5, 3, 16, 8)).astype(np.float32) for _ in range(3))
    g = rng.standard_normal((5, 3, 16, 8)).astype(np.float32)
    kw = {"causal": True} if mask == "causal" else {}
    m = rng.random((3, 16, 16)) < 0.7 if mask == "bool" else None

    def run():
        ctx, y = run_forward(SDPA, q, k, v, m, scale=0.3, **kw)
        return [y, *run_backward(SDPA, ctx, [g])[:3]]

    one = _run(threads, 1, False, run)
    many = _run(threads, 3, True, run)
    _same_bits(one, many)


@pytest.mark.parametrize("spin", [False, True])
def test_pool_workers_with_and_without_the_spin(spin):
    """The pool's workers take every job put on its queue, busy-waiting between jobs with
    numba (the fast extra) or blocking at once without it; shutdown ends them."""
    try:
        fast.set_enabled(spin)
        pool = par._Pool(2)
    finally:
        fast.set_enabled(True)
    assert (pool.spin is not None) == (spin and fast.available())
    seen, lock = [], threading.Lock()

    class Job:
        def __init__(self, i):
            self.i, self.done = i, threading.Event()

        def work(self):
            with lock:
                seen.append(self.i)
            self.done.set()

    jobs = [Job(i) for i in range(20)]
    for j in jobs:
        pool.submit(j)
    assert all(j.done.wait(30) for j in jobs)
    assert sorted(seen) == list(range(20))
    pool.shutdown()


def _conv_step(x, cin, cout, k, stride, pad, transpose=False):
    """Forward + backward of one conv; returns out, dx, dw, db as arrays."""
    lamina.manual_seed(0)
    if transpose:
        m = nn.ConvTranspose2d(cin, cout, k, stride=stride, padding=pad)
    else:
        m = nn.Conv2d(cin, cout, k, stride=stride, padding=pad)
    xt = lamina.tensor(x, requires_grad=True)
    y = m(xt)
    (y * y).sum().backward()
    return [y.detach().numpy(), xt.grad.numpy(), m.weight.grad.numpy(), m.bias.grad.numpy()]


CONVS = [
    # (N, C, H, W), C_out, k, stride, pad: NC layout + correlation dx, CN layout, col2im
    ((3, 4, 17, 17), 6, 3, 1, 1),
    ((1, 3, 16, 16), 8, 3, 1, 1),
    ((5, 6, 7, 7), 5, 3, 2, 1),
    ((7, 2, 9, 11), 3, (3, 2), 2, 0),
    ((2, 8, 6, 6), 4, 1, 1, 0),
]


@pytest.mark.parametrize("shape,cout,k,stride,pad", CONVS)
@pytest.mark.parametrize("kernels", ["numpy", "numba"])
def test_conv_same_bits_on_n_threads(shape, cout, k, stride, pad, kernels, threads):
    if kernels == "numba":
        pytest.importorskip("numba")
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    was = fast.is_enabled()
    fast.set_enabled(kernels == "numba")
    try:
        for transpose in (False, True):

            def step(transpose=transpose):
                return _conv_step(x, shape[1], cout, k, stride, pad, transpose)

            one = _run(threads, 1, False, step)
            _same_bits(one, _run(threads, 3, "copies", step))
            _close(one, _run(threads, 3, True, step))
            _close(one, _run(threads, 2, False, step))
    finally:
        fast.set_enabled(was)


@pytest.mark.parametrize("batch", [1, 2, 3, 8])  # one sample of 8x32x32 im2col is ~0.6 MiB
def test_conv_around_the_threshold_matches_torch(batch, threads):
    x = np.random.default_rng(2).standard_normal((batch, 8, 32, 32)).astype(np.float32)
    one = _run(threads, 1, False, lambda: _conv_step(x, 8, 16, 3, 1, 1))
    two = _run(threads, 2, False, lambda: _conv_step(x, 8, 16, 3, 1, 1))
    _close(one, two)
    torch.manual_seed(0)
    m = torch.nn.Conv2d(8, 16, 3, padding=1)
    with torch.no_grad():
        lamina.manual_seed(0)
        ref = nn.Conv2d(8, 16, 3, padding=1)
        m.weight.copy_(torch.from_numpy(ref.weight.detach().numpy()))
        m.bias.copy_(torch.from_numpy(ref.bias.detach().numpy()))
    xt = torch.tensor(x, requires_grad=True)
    y = m(xt)
    (y * y).sum().backward()
    want = [y.detach().numpy(), xt.grad.numpy(), m.weight.grad.numpy(), m.bias.grad.numpy()]
    for got, ref_ in zip(two, want):
        np.testing.assert_allclose(got, ref_, rtol=2e-4, atol=2e-3)


def _pool_step(x, kind):
    xt = lamina.tensor(x, requires_grad=True)
    if kind == "max":
        y = nn.functional.max_pool2d(xt, 3, stride=2, padding=1)
    else:
        y = nn.functional.avg_pool2d(xt, 2)
    (y * y).sum().backward()
    return [y.detach().numpy(), xt.grad.numpy()]


@pytest.mark.parametrize("batch", [1, 2, 5])
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("kernels", ["numpy", "numba"])
def test_pooling_same_bits_on_n_threads_and_torch(batch, kind, kernels, threads):
    if kernels == "numba":
        pytest.importorskip("numba")
    x = np.random.default_rng(3).standard_normal((batch, 3, 9, 10)).astype(np.float32)
    was = fast.is_enabled()
    fast.set_enabled(kernels == "numba")
    try:
        one = _run(threads, 1, False, lambda: _pool_step(x, kind))
        many = _run(threads, 3, "copies", lambda: _pool_step(x, kind))
    finally:
        fast.set_enabled(was)
    _same_bits(one, many)
    xt = torch.tensor(x, requires_grad=True)
    f = torch.nn.functional
    y = f.max_pool2d(xt, 3, stride=2, padding=1) if kind == "max" else f.avg_pool2d(xt, 2)
    (y * y).sum().backward()
    np.testing.assert_allclose(many[0], y.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(many[1], xt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_lstm_and_linear_on_n_threads(threads):
    x = np.random.default_rng(4).standard_normal((5, 7, 12)).astype(np.float32)

    def step():
        lamina.manual_seed(0)
        lstm, fc = nn.LSTM(12, 40, batch_first=True), nn.Linear(40, 30)
        xt = lamina.tensor(x, requires_grad=True)
        y = fc(lstm(xt)[0])
        (y * y).sum().backward()
        return [y.detach().numpy(), xt.grad.numpy(), lstm.weight_hh_l0.grad.numpy()]

    _close(_run(threads, 1, False, step), _run(threads, 3, True, step))


# ---- optimizers: one thread vs N, bit for bit ------------------------------------------
OPTIMIZERS = {
    "adam": lambda p: optim.Adam(p, lr=1e-2, weight_decay=1e-3, amsgrad=True),
    "adamw": lambda p: optim.AdamW(p, lr=1e-2),
    "sgd": lambda p: optim.SGD(p, lr=1e-2),
    "sgd_momentum": lambda p: optim.SGD(p, lr=1e-2, momentum=0.9, nesterov=True),
    "rmsprop": lambda p: optim.RMSprop(p, lr=1e-3, momentum=0.5, centered=True),
}


def _train(make_opt, steps=3):
    """A few steps on fixed random gradients: the update alone, no product involved."""
    rng = np.random.default_rng(5)
    shapes = [(300, 700), (300,), (3, 300), (7,)]  # the 300x700 one is cut into pieces
    params = [
        nn.Parameter(lamina.tensor(rng.standard_normal(s).astype(np.float32))) for s in shapes
    ]
    opt = make_opt(params)
    for _ in range(steps):
        for p in params:
            p.grad = lamina.tensor(rng.standard_normal(p.shape).astype(np.float32))
        opt.step()
    return [p.detach().numpy() for p in params]


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_updates_same_bits_on_n_threads(name, threads):
    one = _run(threads, 1, False, lambda: _train(OPTIMIZERS[name]))
    _same_bits(one, _run(threads, 3, True, lambda: _train(OPTIMIZERS[name])))
    _same_bits(one, _run(threads, 2, False, lambda: _train(OPTIMIZERS[name])))


# ---- the select behind ReLU's backward --------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_select_is_np_where_bit_for_bit(dtype):
    x = np.array([1.0, -1.0, np.nan, np.inf, -0.0, 0.0, 3.0, -np.inf], dtype)
    g = np.array([np.inf, np.inf, np.nan, 1.0, 2.0, np.nan, -0.0, 5.0], dtype)
    cond = x > 0
    assert select(cond, g).tobytes() == np.where(cond, g, dtype(0)).tobytes()
    b = x * dtype(0.2)
    assert select(cond, g, b).tobytes() == np.where(cond, g, b).tobytes()
    ints = np.arange(8)
    assert np.array_equal(select(cond, ints), np.where(cond, ints, 0))  # falls back
