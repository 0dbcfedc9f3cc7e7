"""PixelShuffle/PixelUnshuffle against torch (values, gradients, errors); Dropout2d ranks."""

import numpy as np
import pytest

import lamina
from lamina import nn
from tests.oracle import torch


@pytest.mark.parametrize("shape,r", [((2, 8, 3, 5), 2), ((18, 2, 3), 3), ((2, 1, 4, 4, 2), 2)])
def test_pixel_shuffle_matches_torch(shape, r):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    xl, xt = lamina.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yl, yt = nn.PixelShuffle(r)(xl), torch.nn.PixelShuffle(r)(xt)
    np.testing.assert_array_equal(yl.detach().numpy(), yt.detach().numpy())
    g = np.random.default_rng(1).standard_normal(yt.shape).astype(np.float32)
    (yl * lamina.tensor(g)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    np.testing.assert_array_equal(xl.grad.numpy(), xt.grad.numpy())
    back = nn.PixelUnshuffle(r)(yl)
    np.testing.assert_array_equal(
        back.detach().numpy(), torch.nn.PixelUnshuffle(r)(yt).detach().numpy()
    )
    np.testing.assert_array_equal(back.detach().numpy(), x)


def test_pixel_shuffle_errors_like_torch():
    for fn, x in (
        (nn.PixelShuffle(2), np.zeros((1, 5, 2, 2), np.float32)),
        (nn.PixelShuffle(2), np.zeros((4, 2), np.float32)),
        (nn.PixelUnshuffle(2), np.zeros((1, 1, 3, 4), np.float32)),
    ):
        tfn = getattr(torch.nn, type(fn).__name__)(2)
        with pytest.raises(RuntimeError):
            tfn(torch.tensor(x))
        with pytest.raises(RuntimeError, match="divisible|at least 3"):
            fn(lamina.tensor(x))
    assert repr(nn.PixelShuffle(3)) == repr(torch.nn.PixelShuffle(3))


def test_dropout2d_on_2d_input_warns_and_drops_elementwise():
    lamina.manual_seed(0)
    x = lamina.ones(64, 50)
    with pytest.warns(UserWarning, match="2-D input to dropout2d"):
        y = nn.Dropout2d(0.5)(x).numpy()
    with pytest.warns(UserWarning, match="2-D input to dropout2d"):
        t = torch.nn.Dropout2d(0.5)(torch.ones(64, 50)).numpy()
    for out in (y, t):  # elementwise: rows are neither all kept nor all dropped
        assert set(np.unique(out)) == {0.0, 2.0}
        kept_per_row = (out > 0).sum(axis=1)
        assert 0 < kept_per_row.min() and kept_per_row.max() < 50
    assert abs((y > 0).mean() - 0.5) < 0.03


def test_dropout2d_channelwise_on_3d_4d_5d():
    lamina.manual_seed(1)
    for shape in ((8, 6, 5), (4, 6, 3, 3), (2, 6, 2, 2, 2)):
        with pytest.warns(UserWarning) if len(shape) != 4 else _no_warning():
            y = nn.Dropout2d(0.5)(lamina.ones(*shape)).numpy()
        per_channel = y.reshape(shape[0], shape[1], -1)
        assert np.all(per_channel.min(axis=2) == per_channel.max(axis=2))  # whole channels
    with pytest.raises(RuntimeError):
        nn.Dropout2d(0.5)(lamina.ones(5))
    with pytest.raises(RuntimeError):
        torch.nn.Dropout2d(0.5)(torch.ones(5))


class _no_warning:
    def __enter__(self):
        import warnings

        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("error")

    def __exit__(self, *exc):
        self._cm.__exit__(*exc)
