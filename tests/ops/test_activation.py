"""Activation ops: NumPy references, finite-difference gradients, torch parity."""

import math

import numpy as np
import pytest

from lamina.ops import activation as A
from lamina.ops.special import erf
from tests.opcheck import check_op, run_backward, run_forward

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4))
X[0, 0] = 0.3  # keep clear of the kinks at 0 for finite differences
EXTREME = np.array([-1e4, -50.0, -1.0, 0.0, 1.0, 50.0, 1e4], np.float32)

CASES = [
    (A.Sigmoid, {}, "sigmoid", {}),
    (A.Tanh, {}, "tanh", {}),
    (A.ReLU, {}, "relu", {}),
    (A.LeakyReLU, {"negative_slope": 0.2}, "leaky_relu", {"negative_slope": 0.2}),
    (A.ELU, {"alpha": 1.5}, "elu", {"alpha": 1.5}),
    (A.GELU, {}, "gelu", {}),
    (A.GELU, {"approximate": "tanh"}, "gelu", {"approximate": "tanh"}),
    (A.SiLU, {}, "silu", {}),
    (A.Softplus, {}, "softplus", {}),
    (A.Softplus, {"beta": 2.0, "threshold": 1.0}, "softplus", {"beta": 2.0, "threshold": 1.0}),
    (A.Softmax, {"dim": 1}, "softmax", {"dim": 1}),
    (A.Softmax, {"dim": 0}, "softmax", {"dim": 0}),
    (A.LogSoftmax, {"dim": 1}, "log_softmax", {"dim": 1}),
    (A.LogSoftmax, {"dim": -2}, "log_softmax", {"dim": -2}),
]
IDS = [f"{c[0].__name__}-{c[1]}" for c in CASES]


def _fwd(fn, x, **kw):
    return run_forward(fn, x, **kw)[1]


def test_references():
    x = X
    np.testing.assert_allclose(_fwd(A.Sigmoid, x), 1 / (1 + np.exp(-x)), rtol=1e-12)
    np.testing.assert_allclose(_fwd(A.ReLU, x), np.maximum(x, 0))
    np.testing.assert_allclose(
        _fwd(A.LeakyReLU, x, negative_slope=0.1), np.where(x > 0, x, 0.1 * x)
    )
    np.testing.assert_allclose(_fwd(A.ELU, x, alpha=2.0), np.where(x > 0, x, 2 * (np.exp(x) - 1)))
    gelu = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x.ravel()])
    np.testing.assert_allclose(_fwd(A.GELU, x).ravel(), gelu, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(_fwd(A.SiLU, x), x / (1 + np.exp(-x)), rtol=1e-12)
    np.testing.assert_allclose(_fwd(A.Softplus, x), np.log1p(np.exp(x)), rtol=1e-12)
    e = np.exp(x)
    np.testing.assert_allclose(_fwd(A.Softmax, x, dim=1), e / e.sum(1, keepdims=True))
    np.testing.assert_allclose(_fwd(A.LogSoftmax, x, dim=0), np.log(e / e.sum(0, keepdims=True)))


def test_erf_accuracy():
    x = np.linspace(-7, 7, 20001)
    ref = np.array([math.erf(v) for v in x])
    assert np.abs(erf(x) - ref).max() < 1e-14
    x32 = x.astype(np.float32)
    ref32 = np.array([math.erf(float(v)) for v in x32])
    assert erf(x32).dtype == np.float32
    assert np.abs(erf(x32) - ref32).max() < 3e-7
    np.testing.assert_array_equal(erf(np.array([np.inf, -np.inf, 0.0])), [1.0, -1.0, 0.0])


@pytest.mark.parametrize(("fn", "kw", "_name", "_tkw"), CASES, ids=IDS)
def test_gradcheck(fn, kw, _name, _tkw):
    assert check_op(fn, X, **kw)


@pytest.mark.parametrize(("fn", "kw", "_name", "_tkw"), CASES, ids=IDS)
def test_extreme_finite_and_dtype(fn, kw, _name, _tkw):
    x = EXTREME.reshape(1, -1) if "dim" in kw else EXTREME
    kw = {**kw, "dim": -1} if "dim" in kw else kw
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        ctx, y = run_forward(fn, x.copy(), **kw)
        (g,) = run_backward(fn, ctx, [np.ones_like(y)])
    assert y.dtype == np.float32 and g.dtype == np.float32
    assert np.isfinite(y).all() and np.isfinite(g).all()


@pytest.mark.parametrize(("fn", "kw", "name", "tkw"), CASES, ids=IDS)
def test_torch_parity(fn, kw, name, tkw):
    torch = pytest.importorskip("torch")
    x = (RNG.standard_normal((5, 6)) * 3).astype(np.float32)
    x[0, :3] = [1e4, -1e4, 25.0]
    gy = RNG.standard_normal(x.shape).astype(np.float32)
    ctx, y = run_forward(fn, x.copy(), **kw)
    (gx,) = run_backward(fn, ctx, [gy])
    xt = torch.tensor(x, requires_grad=True)
    yt = getattr(torch.nn.functional, name)(xt, **tkw)
    yt.backward(torch.tensor(gy))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_sigmoid_no_overflow_warning():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = _fwd(A.Sigmoid, np.array([-1e4, 1e4]))
    np.testing.assert_array_equal(y, [0.0, 1.0])


def test_gelu_bad_approximate():
    with pytest.raises(ValueError, match="'sigmoid'"):
        _fwd(A.GELU, X, approximate="sigmoid")


def test_dropout_mask_and_generator():
    x = np.ones((200, 50), np.float32)
    ctx, y = run_forward(A.Dropout, x, p=0.3, generator=np.random.default_rng(1))
    kept = y != 0
    assert y.dtype == np.float32 and abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    (g,) = run_backward(A.Dropout, ctx, [np.ones_like(y)])
    np.testing.assert_array_equal(g, y)
    # same seed, same mask
    _, y2 = run_forward(A.Dropout, x, p=0.3, generator=np.random.default_rng(1))
    np.testing.assert_array_equal(y, y2)


def test_dropout_given_channel_mask_eval_and_edges():
    x = RNG.standard_normal((2, 3, 4, 4))
    mask = np.array([0.0, 2.0, 2.0]).reshape(1, 3, 1, 1)
    y = _fwd(A.Dropout, x, p=0.5, mask=mask)
    np.testing.assert_allclose(y, x * mask)
    assert check_op(A.Dropout, x[:1, :, :2, :2], p=0.5, mask=mask)
    np.testing.assert_array_equal(_fwd(A.Dropout, x, p=0.5, training=False), x)
    np.testing.assert_array_equal(_fwd(A.Dropout, x, p=1.0, generator=RNG), np.zeros_like(x))
    with pytest.raises(ValueError, match="1.5"):
        _fwd(A.Dropout, x, p=1.5, generator=RNG)
    with pytest.raises(ValueError, match="Generator"):
        _fwd(A.Dropout, x, p=0.5)
