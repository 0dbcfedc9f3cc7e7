"""Activation and dropout modules/functionals vs torch: values, grads, reprs."""

import numpy as np
import pytest

import lamina
import lamina.nn as nn
import lamina.nn.functional as F
from tests.oracle import needs_torch, torch

RNG = np.random.default_rng(0)

MODULES = [
    ("ReLU", {}),
    ("ReLU", {"inplace": True}),
    ("LeakyReLU", {"negative_slope": 0.2}),
    ("ELU", {"alpha": 0.5}),
    ("GELU", {}),
    ("GELU", {"approximate": "tanh"}),
    ("SiLU", {}),
    ("Sigmoid", {}),
    ("Tanh", {}),
    ("Softplus", {"beta": 2.0, "threshold": 5.0}),
    ("Softmax", {"dim": 1}),
    ("LogSoftmax", {"dim": -1}),
]


@needs_torch
@pytest.mark.parametrize(("name", "kw"), MODULES)
def test_module_matches_torch(name, kw):
    x = (RNG.standard_normal((3, 4, 2)) * 3).astype(np.float32)
    gy = RNG.standard_normal(x.shape).astype(np.float32)
    m, tm = getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw)
    assert repr(m) == repr(tm)
    xl = lamina.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    y, yt = m(xl), tm(xt * 1.0)  # torch's inplace modules need a non-leaf
    (y * lamina.tensor(gy)).sum().backward()
    yt.backward(torch.tensor(gy))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(xl.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-5)
    assert list(m.state_dict()) == []


@needs_torch
def test_softmax_implicit_dim_warns_like_torch():
    x = lamina.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = F.softmax(x)
    np.testing.assert_allclose(y.detach().numpy().sum(1), 1.0, rtol=1e-6)


def test_functional_accepts_arrays_and_dtype():
    y = F.log_softmax(np.zeros((2, 4), np.float32), dim=1, dtype=np.float64)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y.detach().numpy(), np.log(0.25))


@needs_torch
def test_dropout_module_train_eval_and_seed():
    m = nn.Dropout(0.25)
    assert repr(m) == repr(torch.nn.Dropout(0.25))
    x = lamina.ones(100, 80, requires_grad=True)
    lamina.manual_seed(3)
    y = m(x)
    lamina.manual_seed(3)
    np.testing.assert_array_equal(m(x).detach().numpy(), y.detach().numpy())
    assert abs((y.detach().numpy() == 0).mean() - 0.25) < 0.02
    np.testing.assert_allclose(y.detach().numpy()[y.detach().numpy() != 0], 1 / 0.75, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())
    m.eval()
    np.testing.assert_array_equal(m(x).detach().numpy(), x.detach().numpy())


def test_dropout2d_zeroes_whole_channels():
    m = nn.Dropout2d(0.5)
    y = m(lamina.ones(8, 16, 3, 3)).detach().numpy()
    per_channel = y.reshape(8, 16, 9)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1))
    assert 0 < (per_channel[..., 0] == 0).mean() < 1
    with pytest.raises(ValueError, match="1.5"):
        nn.Dropout2d(1.5)
    with pytest.raises(RuntimeError, match=r"\(3,\)"):
        m(
            lamina.ones(3)
        )  # 2-D input: torch warns and drops elementwise (test_pixelshuffle_dropout)


def test_exports():
    for name in "ReLU LeakyReLU ELU GELU SiLU Sigmoid Tanh Softplus Softmax LogSoftmax".split():
        assert issubclass(getattr(nn, name), nn.Module)
    for name in ("Dropout", "Dropout2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "SSELoss"):
        assert issubclass(getattr(nn, name), nn.Module)
    names = (
        "sigmoid relu leaky_relu elu gelu silu softplus tanh softmax log_softmax dropout "
        "dropout2d mse_loss sse_loss l1_loss huber_loss smooth_l1_loss cross_entropy nll_loss "
        "binary_cross_entropy binary_cross_entropy_with_logits kl_div batch_norm layer_norm"
    )
    for name in names.split():
        assert callable(getattr(F, name)), name


@needs_torch
def test_dropout_identity_returns_input_itself_as_torch():
    x, xt = lamina.randn(4, requires_grad=True), torch.randn(4, requires_grad=True)
    for p, training in ((0.0, True), (0.5, False)):
        y, yt = F.dropout(x, p, training), torch.nn.functional.dropout(xt, p, training)
        assert yt is xt
        assert y is x
