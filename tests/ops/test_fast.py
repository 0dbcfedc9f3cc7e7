"""lamina.ops.fast: the numba kernels give the NumPy path's results on the same inputs."""

import numpy as np
import pytest

from lamina.ops import conv as C
from lamina.ops import fast
from lamina.ops import pool as P
from tests.opcheck import run_backward, run_forward

RNG = np.random.default_rng(7)


@pytest.fixture
def both():
    """Run f with the kernels on and off; return both results (skipped without numba)."""
    pytest.importorskip("numba")

    def run(f):
        try:
            fast.set_enabled(True)
            on = f()
            fast.set_enabled(False)
            off = f()
        finally:
            fast.set_enabled(True)
        return on, off

    return run


def test_switch_and_dispatch_rules():
    with pytest.raises(TypeError, match="expected a bool"):
        fast.set_enabled(1)
    x32 = np.zeros(3, np.float32)
    try:
        fast.set_enabled(False)
        assert not fast.is_enabled() and not fast.use(x32)
    finally:
        fast.set_enabled(True)
    assert fast.is_enabled() == fast.available()
    assert not fast.use(np.zeros(3, np.int64))  # other dtypes keep the NumPy path
    assert fast.use(x32) == fast.available()


POOLS = [  # (shape, kernel, stride, padding, dilation, ceil_mode)
    ((2, 3, 8, 8), 2, None, 0, 1, False),
    ((1, 2, 9, 7), 3, 2, 1, 1, True),
    ((2, 1, 10, 11), (3, 2), (2, 1), (1, 0), (2, 1), False),
]


@pytest.mark.parametrize("case", POOLS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_same_values_indices_and_grad(both, case, dtype):
    shape, k, s, p, d, ceil = case
    x = np.round(RNG.standard_normal(shape) * 2).astype(dtype)  # many ties
    x[0, 0, 1, 1] = np.nan

    def f():
        ctx, (out, idx) = run_forward(P.MaxPool2d, x, k, s, p, d, ceil)
        g = np.arange(out.size, dtype=dtype).reshape(out.shape)
        return out, idx, run_backward(P.MaxPool2d, ctx, [g, None])[0]

    on, off = both(f)
    for a, b in zip(on, off):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_max_pool_matches_torch_with_kernels(both):
    torch = pytest.importorskip("torch")
    x = np.round(RNG.standard_normal((2, 3, 9, 9)) * 2).astype(np.float32)
    out, idx = both(lambda: run_forward(P.MaxPool2d, x, 3, 2, 1, 1, True)[1])[0]
    tout, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), 3, 2, 1, 1, True, True)
    np.testing.assert_array_equal(out, tout.numpy())
    np.testing.assert_array_equal(idx, tidx.numpy())


CONVS = [  # (x shape, weight shape, stride, padding, dilation, groups): dx through col2im
    ((2, 3, 7, 6), (4, 3, 3, 3), 2, 1, 1, 1),
    ((1, 4, 9, 8), (6, 2, 3, 2), (2, 3), (2, 0, 1, 1), (2, 1), 2),
    ((2, 2, 5, 5), (3, 2, 3, 3), 1, 1, 1, 1),
]


@pytest.mark.parametrize("case", CONVS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_col2im_same_grads(both, case, dtype):
    xs, ws, s, p, d, g = case
    x, w = RNG.standard_normal(xs).astype(dtype), RNG.standard_normal(ws).astype(dtype)

    def f():
        ctx, out = run_forward(C.Conv2d, x, w, None, s, p, d, g)
        return run_backward(C.Conv2d, ctx, [np.ones_like(out)])[0]

    on, off = both(f)
    assert on.dtype == dtype
    np.testing.assert_allclose(on, off, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_conv_transpose_forward_same(both):
    x = RNG.standard_normal((2, 4, 5, 5)).astype(np.float32)
    w = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)
    on, off = both(lambda: run_forward(C.ConvTranspose2d, x, w, None, 2, 1, 1)[1])
    np.testing.assert_allclose(on, off, rtol=1e-5, atol=1e-5)


def test_gelu_kernel_matches_the_numpy_path_and_float64(both):
    """The one-pass compiled GELU: within a few ulp of the NumPy path and of math.erfc."""
    import math

    from lamina.ops import gelu as G

    x = np.concatenate(
        [
            np.linspace(-16.0, 16.0, 70_001),  # several chunks and a short last one
            [0.0, -0.0, 1e-30, -1e-30, -13.3, -14.2, 1e19, -1e19, 3e38, -3e38],
        ]
    ).astype(np.float32)
    on, off = both(lambda: G.gelu_f32(x, "none", True))
    xd = x.astype(np.float64)
    erfc = np.array([math.erfc(-v / math.sqrt(2.0)) for v in xd])
    ry = xd * 0.5 * erfc
    rd = 0.5 * erfc + xd * np.exp(-0.5 * xd * xd) / math.sqrt(2.0 * math.pi)
    for y, d in (on, off):
        assert y.dtype == d.dtype == np.float32
        small = np.abs(xd) < 1e18
        assert np.abs(y - ry)[small].max() < 3e-7  # a few ulp of values near 1..16
        np.testing.assert_array_equal(y[~small], np.maximum(x[~small], 0))
        assert np.abs(d - rd)[small].max() < 5e-7
        tail = np.abs(ry) > 1e-37  # the negative tail keeps its relative accuracy
        assert (np.abs(y - ry)[tail] / np.abs(ry[tail])).max() < 1e-5
    np.testing.assert_allclose(on[0], off[0], rtol=2e-6, atol=1e-37)
    np.testing.assert_allclose(on[1], off[1], rtol=0, atol=6e-7)  # <= 5 ulp of ~1
    value_only, none = G.gelu_f32(x, "none", False)
    assert none is None
    np.testing.assert_array_equal(value_only, on[0] if fast.is_enabled() else off[0])
    special = np.array([np.inf, -np.inf, np.nan], np.float32)
    (sy, sd), (ny, nd) = both(lambda: G.gelu_f32(special, "none", True))
    np.testing.assert_array_equal(sy, ny)  # both paths give NaN there, as before
    np.testing.assert_array_equal(sd, nd)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_rows_match_the_numpy_path(both, dtype, affine):
    from lamina.ops.norm import LayerNorm

    x = (RNG.standard_normal((4, 37, 24)) * 3 + 5).astype(dtype)
    x[0, 0] = 7.0  # a constant row: variance 0, rstd = 1/sqrt(eps)
    w = RNG.standard_normal((37, 24)).astype(dtype) if affine else None
    b = RNG.standard_normal((37, 24)).astype(dtype) if affine else None
    g = RNG.standard_normal(x.shape).astype(dtype)

    def run():
        ctx, y = run_forward(LayerNorm, x, w, b, normalized_shape=(37, 24), eps=1e-5)
        return (y, ctx.mean, ctx.rstd, *run_backward(LayerNorm, ctx, [g])[: 3 if affine else 1])

    on, off = both(run)
    tol = 2e-5 if dtype == np.float32 else 1e-12
    for a, c in zip(on, off):
        assert a.dtype == c.dtype == dtype and a.shape == c.shape
        np.testing.assert_allclose(a, c, rtol=tol, atol=tol * float(np.abs(c).max()))
    nan = x.copy()
    nan[1, 3, 5] = np.nan  # NaN stays NaN in its row only (no fast-math nnan)
    ons, offs = both(lambda: run_forward(LayerNorm, nan, w, b, normalized_shape=(37, 24))[1])
    np.testing.assert_array_equal(np.isnan(ons), np.isnan(offs))
    assert np.isnan(ons[1]).all() and not np.isnan(ons[0]).any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "opts",
    [
        {"weight_decay": 0.0, "amsgrad": False, "maximize": False, "decoupled_weight_decay": False},
        {"weight_decay": 0.1, "amsgrad": False, "maximize": False, "decoupled_weight_decay": True},
        {"weight_decay": 0.05, "amsgrad": True, "maximize": True, "decoupled_weight_decay": False},
        {"weight_decay": 0.01, "amsgrad": True, "maximize": False, "decoupled_weight_decay": True},
    ],
)
def test_adam_update_kernel_is_the_numpy_path_bit_for_bit(both, dtype, opts):
    from lamina.optim.adam import adam_update

    shape = (33, 17)
    start = [RNG.standard_normal(shape).astype(dtype) for _ in range(3)]
    start.append(np.abs(RNG.standard_normal(shape)).astype(dtype))  # exp_avg_sq
    start.append(np.abs(RNG.standard_normal(shape)).astype(dtype))  # max_exp_avg_sq
    start[1][0, :3] = [np.nan, np.inf, -0.0]  # a NaN, an inf and a signed zero in the grad
    start[4][1, 0] = np.nan  # a NaN already in max_exp_avg_sq

    def run():
        p, g, m, v, vmax = (a.copy() for a in start)
        for step in (1, 2, 3):
            adam_update(
                p, g, m, v, vmax if opts["amsgrad"] else None, step,
                lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, **opts,
            )  # fmt: skip
        return p, m, v, vmax

    with np.errstate(invalid="ignore"):  # the NaN and inf in the grad
        on, off = both(run)
    for a, b in zip(on, off):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        assert np.isnan(a).any() and np.isnan(a).sum() < a.size / 4
        ok = ~np.isnan(a)  # equal bits everywhere else (a NaN's sign bit may differ)
        assert a[ok].tobytes() == b[ok].tobytes()


def test_spin_until_returns_on_a_new_count_or_after_its_budget():
    pytest.importorskip("numba")
    import threading
    import time

    spin = fast.kernels().spin_until
    counter = np.zeros(1, np.int64)
    assert spin(counter, 0, 1000) == 0  # nothing moved: the budget ran out
    counter[0] = 3
    assert spin(counter, 0, 1) == 3  # moved before it started
    counter[0] = 0
    bump = threading.Timer(0.05, lambda: counter.__setitem__(0, 7))
    bump.start()
    t0 = time.perf_counter()
    assert spin(counter, 0, 1 << 62) == 7  # an endless budget ends when another thread bumps
    bump.join()
    assert time.perf_counter() - t0 < 60
