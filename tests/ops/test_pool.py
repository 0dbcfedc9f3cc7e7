"""Tests of ops.pool and ops.interpolate: NumPy references, finite differences, torch parity."""

import numpy as np
import pytest

from lamina.ops.interpolate import Interpolate
from lamina.ops.pool import (
    AdaptiveAvgPool2d,
    AdaptiveMaxPool2d,
    AvgPool2d,
    MaxPool2d,
    pool_out_size,
)
from tests.opcheck import check_op, run_backward, run_forward

RNG = np.random.default_rng(0)


def rand(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def distinct(*shape):
    """float64 values with no ties, so max pooling is differentiable for finite differences."""
    return RNG.permutation(int(np.prod(shape))).reshape(shape).astype(np.float64) / 7.0


def ref_max_pool(x, k, s, p):
    """Loop over output pixels; windows clipped to the input (the same as -inf padding)."""
    n, c, h, w = x.shape
    ho, wo = pool_out_size(h, k, s, p), pool_out_size(w, k, s, p)
    out = np.empty((n, c, ho, wo), x.dtype)
    for i in range(ho):
        for j in range(wo):
            h0, w0 = max(i * s - p, 0), max(j * s - p, 0)
            out[:, :, i, j] = x[:, :, h0 : i * s - p + k, w0 : j * s - p + k].max(axis=(2, 3))
    return out


def ref_avg_pool_exclude_pad(x, k, s, p):
    n, c, h, w = x.shape
    ho, wo = pool_out_size(h, k, s, p), pool_out_size(w, k, s, p)
    out = np.empty((n, c, ho, wo), x.dtype)
    for i in range(ho):
        for j in range(wo):
            h0, w0 = max(i * s - p, 0), max(j * s - p, 0)
            out[:, :, i, j] = x[:, :, h0 : i * s - p + k, w0 : j * s - p + k].mean(axis=(2, 3))
    return out


def test_pool_forward_matches_reference():
    x = rand(2, 3, 9, 7)
    for k, s, p in [(2, 2, 0), (3, 2, 1), (3, 1, 1), (1, 3, 0), (3, 3, 1)]:
        _, (out, idx) = run_forward(MaxPool2d, x, k, s, p)
        np.testing.assert_array_equal(out, ref_max_pool(x, k, s, p))
        flat = x.reshape(2, 3, -1)
        np.testing.assert_array_equal(
            np.take_along_axis(flat, idx.reshape(2, 3, -1), 2), out.reshape(2, 3, -1)
        )  # indices point at the maxima
        _, avg = run_forward(AvgPool2d, x, k, s, p, False, False)
        np.testing.assert_allclose(avg, ref_avg_pool_exclude_pad(x, k, s, p), rtol=1e-5, atol=1e-6)


def test_adaptive_and_interpolate_references():
    x = rand(2, 3, 8, 6)
    _, out = run_forward(AdaptiveAvgPool2d, x, (4, 3))  # divisible: plain 2x2 mean
    np.testing.assert_allclose(out, x.reshape(2, 3, 4, 2, 3, 2).mean(axis=(3, 5)), rtol=1e-5)
    _, (mx, _) = run_forward(AdaptiveMaxPool2d, x, 1)
    np.testing.assert_array_equal(mx[..., 0, 0], x.max(axis=(2, 3)))
    _, up = run_forward(Interpolate, x, (16, 18), "nearest")
    np.testing.assert_array_equal(up, x.repeat(2, axis=2).repeat(3, axis=3))
    _, same = run_forward(Interpolate, x, (8, 6), "bilinear", False)
    np.testing.assert_allclose(same, x, rtol=1e-6)


POOL_GRID = [  # (shape, kernel, stride, padding, dilation, ceil_mode)
    ((2, 3, 8, 8), 2, 2, 0, 1, False),
    ((2, 3, 9, 7), 3, 2, 1, 1, True),  # odd sizes, ceil_mode
    ((1, 2, 7, 9), 3, 1, 1, 2, False),  # dilation, batch 1
    ((2, 2, 10, 8), (2, 3), (3, 1), (1, 1), 1, True),  # rectangular, stride > kernel
    ((1, 1, 7, 7), 1, 3, 0, 1, True),  # 1x1 kernel
    ((2, 2, 6, 6), 3, 3, 1, 1, True),  # ceil_mode window past the right padding
]


@pytest.mark.parametrize("case", POOL_GRID[:5])
def test_pool_gradcheck(case):
    shape, k, s, p, d, c = case
    small = (1, 2, *shape[2:])
    check_op(MaxPool2d, distinct(*small), k, s, p, d, c)
    check_op(AvgPool2d, rand(*small, dtype=np.float64), k, s, p, c, False)
    check_op(AvgPool2d, rand(*small, dtype=np.float64), k, s, p, c, True, 5)


def test_resample_gradcheck():
    x = rand(1, 2, 5, 4, dtype=np.float64)
    check_op(AdaptiveAvgPool2d, x, (3, 2))
    check_op(AdaptiveMaxPool2d, distinct(1, 2, 5, 4), (3, 2))
    check_op(Interpolate, x, (7, 9), "bilinear", False)
    check_op(Interpolate, x, (3, 6), "bilinear", True)
    check_op(Interpolate, x, (10, 3), "nearest")  # dense matrices
    check_op(Interpolate, x, (10, 12), "nearest")  # whole factors: the repeat path


def _torch_compare(fn, tfn, x, args, multi=False):
    torch = pytest.importorskip("torch")
    ctx, out = run_forward(fn, x, *args)
    xt = torch.tensor(x, requires_grad=True)
    tout = tfn(xt)
    if multi:
        (out, idx), (tout, tidx) = out, tout
        np.testing.assert_array_equal(idx, tidx.numpy())
        assert idx.dtype == np.int64
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = RNG.standard_normal(out.shape).astype(np.float32)
    tout.backward(torch.tensor(g))
    (dx,) = run_backward(fn, ctx, [g, np.zeros(out.shape, np.int64)] if multi else [g])
    assert dx.dtype == np.float32
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("case", POOL_GRID)
def test_max_pool_matches_torch(case):
    torch = pytest.importorskip("torch")
    shape, k, s, p, d, c = case

    def tpool(xt):
        return torch.nn.functional.max_pool2d(xt, k, s, p, d, c, return_indices=True)

    _torch_compare(MaxPool2d, tpool, rand(*shape), (k, s, p, d, c), multi=True)
    ties = np.round(rand(*shape))  # many equal maxima: the first one takes the gradient
    _torch_compare(MaxPool2d, tpool, ties, (k, s, p, d, c), multi=True)


def test_max_pool_nan_propagates_like_torch():
    torch = pytest.importorskip("torch")
    x = rand(1, 1, 4, 4)
    x[0, 0, 1, 2] = np.nan
    _, (out, idx) = run_forward(MaxPool2d, x, 2, 2)
    tout, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), 2, 2, return_indices=True)
    np.testing.assert_array_equal(out, tout.numpy())  # NaN where torch has NaN
    np.testing.assert_array_equal(idx, tidx.numpy())


@pytest.mark.parametrize("case", POOL_GRID)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool_matches_torch(case, count_include_pad):
    torch = pytest.importorskip("torch")
    shape, k, s, p, _, c = case
    for div in (None, 3):

        def tpool(xt, div=div):
            return torch.nn.functional.avg_pool2d(xt, k, s, p, c, count_include_pad, div)

        _torch_compare(AvgPool2d, tpool, rand(*shape), (k, s, p, c, count_include_pad, div))


@pytest.mark.parametrize(
    "shape,size",
    [
        ((2, 3, 8, 7), (3, 2)),
        ((2, 3, 5, 5), 1),
        ((1, 2, 7, 9), (4, 5)),
        ((1, 1, 5, 5), (7, 7)),
        ((2, 2, 6, 6), (None, 4)),
    ],
)
def test_adaptive_pools_match_torch(shape, size):
    torch = pytest.importorskip("torch")
    f = torch.nn.functional
    x = rand(*shape)
    _torch_compare(AdaptiveAvgPool2d, lambda t: f.adaptive_avg_pool2d(t, size), x, (size,))
    _torch_compare(
        AdaptiveMaxPool2d, lambda t: f.adaptive_max_pool2d(t, size, True), x, (size,), multi=True
    )


MODES = [("nearest", None), ("nearest-exact", None), ("bilinear", False), ("bilinear", True)]


@pytest.mark.parametrize("mode,align", MODES)
def test_interpolate_matches_torch(mode, align):
    torch = pytest.importorskip("torch")
    f = torch.nn.functional
    x = rand(2, 3, 5, 7)
    for size in [(10, 14), (7, 3), (1, 1), (5, 7)]:
        _torch_compare(
            Interpolate,
            lambda t, size=size: f.interpolate(t, size=size, mode=mode, align_corners=align),
            x,
            (size, mode, align),
        )
    for sf in [2, 1.7, 0.5]:
        size = (int(5 * sf), int(7 * sf))
        _torch_compare(
            Interpolate,
            lambda t, sf=sf: f.interpolate(t, scale_factor=sf, mode=mode, align_corners=align),
            x,
            (size, mode, align, (sf, sf)),
        )


def test_pool_errors():
    with pytest.raises(ValueError, match=r"MaxPool2d.*\(N, C, H, W\).*\(3, 4, 4\)"):
        run_forward(MaxPool2d, rand(3, 4, 4), 2)
    with pytest.raises(ValueError, match="at most half"):
        run_forward(AvgPool2d, rand(1, 1, 4, 4), 2, 2, 2)
    with pytest.raises(ValueError, match="too small"):
        run_forward(MaxPool2d, rand(1, 1, 2, 2), 3)
    with pytest.raises(ValueError, match="AvgPool2d: kernel_size must be >= 1"):
        run_forward(AvgPool2d, rand(1, 1, 2, 2), 0)
    with pytest.raises(ValueError, match="mode 'cubic'"):
        run_forward(Interpolate, rand(1, 1, 2, 2), (4, 4), "cubic")
