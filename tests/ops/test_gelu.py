"""float32 GELU kernels (ops.gelu): accuracy against math.erf in float64, torch parity."""

import math

import numpy as np
import pytest

from lamina.ops import gelu as G
from lamina.ops.activation import GELU
from tests.opcheck import run_backward, run_forward

X = np.linspace(-14.0, 14.0, 100_003).astype(np.float32)  # not a multiple of the chunk
K = math.sqrt(2.0 / math.pi)


def _exact(x):
    xd = x.astype(np.float64)
    erfc = np.array([math.erfc(-v / math.sqrt(2.0)) for v in xd])
    y = xd * 0.5 * erfc
    d = 0.5 * erfc + xd * np.exp(-0.5 * xd * xd) / math.sqrt(2.0 * math.pi)
    return y, d


def _tanh(x):
    xd = x.astype(np.float64)
    t = np.tanh(K * (xd + 0.044715 * xd**3))
    d = 0.5 * (1 + t) + 0.5 * xd * (1 - t * t) * K * (1 + 3 * 0.044715 * xd * xd)
    return 0.5 * xd * (1 + t), d


def test_exact_float32_accuracy():
    y, d = G.gelu_f32(X, "none", True)
    ry, rd = _exact(X)
    assert y.dtype == np.float32 and d.dtype == np.float32
    assert np.abs(y - ry).max() < 3e-7  # a few ulp of values near 1..14
    assert np.abs(d - rd).max() < 5e-7
    tail = np.abs(ry) > 1e-37  # the negative tail keeps its relative accuracy
    assert (np.abs(y - ry)[tail] / np.abs(ry[tail])).max() < 1e-5
    y2, none = G.gelu_f32(X, "none", False)
    assert none is None
    np.testing.assert_array_equal(y2, y)


def test_tanh_float32_accuracy():
    y, d = G.gelu_f32(X, "tanh", True)
    ry, rd = _tanh(X)
    assert np.abs(y - ry).max() < 1e-6
    assert np.abs(d - rd).max() < 2e-6


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_float32_op_matches_torch(approximate):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((3, 70_001)) * 4).astype(np.float32)[:, ::2]  # non-contiguous
    x[0, :4] = [1e4, -1e4, 1e30, -1e30]
    g = rng.standard_normal(x.shape).astype(np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        ctx, y = run_forward(GELU, x, approximate=approximate)
        (gx,) = run_backward(GELU, ctx, [g])
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.gelu(xt, approximate=approximate)
    yt.backward(torch.tensor(g))
    assert y.dtype == gx.dtype == np.float32 and y.shape == x.shape
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-5, atol=2e-6)
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_nonfinite_inputs():
    x = np.array([np.inf, -np.inf, np.nan, 0.0], np.float32)
    y, d = G.gelu_f32(x, "none", True)
    assert np.isnan(y[:3]).all() and y[3] == 0.0  # torch: nan for +-inf and nan
    assert d[3] == pytest.approx(0.5, abs=1e-6)
