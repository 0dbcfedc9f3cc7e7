"""nn pooling layers and functional pooling/interpolate: repr, shapes, torch parity."""

import numpy as np
import pytest

import lamina as L
from lamina import nn
from lamina.nn import functional as F
from tests.oracle import needs_torch, torch

RNG = np.random.default_rng(1)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def check(mine, theirs, x, rtol=1e-5, atol=1e-5):
    xl, xt = L.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yl, yt = mine(xl), theirs(xt)
    if isinstance(yt, tuple):
        np.testing.assert_array_equal(yl[1].detach().numpy(), yt[1].numpy())
        assert not yl[1].requires_grad
        yl, yt = yl[0], yt[0]
    assert tuple(yl.shape) == tuple(yt.shape)
    np.testing.assert_allclose(yl.detach().numpy(), yt.detach().numpy(), rtol=rtol, atol=atol)
    g = rand(*yl.shape)
    (yl * L.tensor(g)).sum().backward()
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xl.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=atol)


LAYERS_2D = [
    ("MaxPool2d", dict(kernel_size=2)),
    ("MaxPool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, return_indices=True)),
    ("MaxPool2d", dict(kernel_size=(2, 3), stride=1, dilation=2)),
    ("AvgPool2d", dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ("AvgPool2d", dict(kernel_size=2, ceil_mode=True, divisor_override=3)),
    ("AdaptiveAvgPool2d", dict(output_size=(3, 2))),
    ("AdaptiveAvgPool2d", dict(output_size=1)),
    ("AdaptiveMaxPool2d", dict(output_size=(4, 3), return_indices=True)),
    ("Upsample", dict(scale_factor=2)),
    ("Upsample", dict(size=(5, 11), mode="bilinear", align_corners=True)),
    ("Upsample", dict(scale_factor=(1.5, 2), mode="bilinear")),
]


@needs_torch
@pytest.mark.parametrize("name,kw", LAYERS_2D)
def test_2d_layers_match_torch(name, kw):
    mine, theirs = getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw)
    assert repr(mine) == repr(theirs)
    assert mine.state_dict() == {} and list(mine.parameters()) == []
    check(mine, theirs, rand(2, 3, 9, 7))


LAYERS_1D = [
    ("MaxPool1d", dict(kernel_size=3, stride=2, padding=1, return_indices=True)),
    ("MaxPool1d", dict(kernel_size=2, ceil_mode=True)),
    ("AvgPool1d", dict(kernel_size=3, stride=2, padding=1)),
    ("AvgPool1d", dict(kernel_size=2, ceil_mode=True, count_include_pad=False)),
    ("AdaptiveAvgPool1d", dict(output_size=4)),
    ("Upsample", dict(scale_factor=3, mode="linear")),
    ("Upsample", dict(size=4, mode="nearest")),
]


@needs_torch
@pytest.mark.parametrize("name,kw", LAYERS_1D)
def test_1d_layers_match_torch(name, kw):
    mine, theirs = getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw)
    assert repr(mine) == repr(theirs)
    check(mine, theirs, rand(2, 3, 9))


@needs_torch
def test_functional_interpolate_and_indices():
    x = rand(2, 3, 4, 5)
    tx = torch.tensor(x)
    for kw in [
        dict(scale_factor=2, mode="nearest-exact"),
        dict(size=(3, 9), mode="bilinear"),
        dict(scale_factor=0.5, mode="bilinear", recompute_scale_factor=True),
    ]:
        out = F.interpolate(L.tensor(x), **kw)
        np.testing.assert_allclose(
            out.detach().numpy(),
            torch.nn.functional.interpolate(tx, **kw).numpy(),
            rtol=1e-5,
            atol=1e-6,
        )
    out, idx = F.max_pool2d(L.tensor(x), 2, return_indices=True)
    assert idx.dtype == np.int64 and idx.shape == out.shape
    mx, _ = F.adaptive_max_pool2d(L.tensor(x), 1, return_indices=True)
    np.testing.assert_array_equal(mx.detach().numpy()[..., 0, 0], x.max(axis=(2, 3)))


def test_pooling_errors():
    with pytest.raises(
        ValueError, match=r"expected input \(N, C, H, W\).*\(5,\)\nin layer MaxPool2d"
    ):
        nn.MaxPool2d(2)(L.randn(5))
    with pytest.raises(ValueError, match=r"expected input \(N, C, L\)(.|\n)*in layer AvgPool1d"):
        nn.AvgPool1d(2)(L.randn(1, 2, 3, 4))
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        F.interpolate(L.randn(1, 1, 4, 4))
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(L.randn(1, 1, 4, 4), scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="mode 'bilinear' does not take"):
        F.interpolate(L.randn(1, 1, 4), scale_factor=2, mode="bilinear")
