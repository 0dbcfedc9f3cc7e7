"""Numerics at the edges: logits of +-1e4 stay finite; the float16 policy.

float16 policy: ops compute in their input's dtype (no silent upcast or downcast), with the
clamps expressed in that dtype, so float16 works end to end and stays finite at +-1e4. A
float16 input to a float32 layer follows NumPy's promotion and computes (and returns) float32.
Integer input to a Linear layer is refused with a TypeError naming the layer.
"""

import warnings

import numpy as np
import pytest

import lamina
import lamina.nn.functional as F
from lamina import nn

BIG = 1e4
ROWS = [[BIG, -BIG, 0.0], [-BIG, -BIG, -BIG], [BIG, BIG, -BIG], [BIG, 0.0, 1.0]]
TARGET = np.array([1, 0, 2, 0])

FNS = {
    "softmax": lambda x: F.softmax(x, dim=1),
    "log_softmax": lambda x: F.log_softmax(x, dim=1),
    "sigmoid": lambda x: F.sigmoid(x),
    "softplus": lambda x: F.softplus(x),
    "bce": lambda x: F.binary_cross_entropy(F.sigmoid(x), np.ones(x.shape, x.dtype)),
    "bce_logits": lambda x: F.binary_cross_entropy_with_logits(x, np.ones(x.shape, x.dtype)),
    "cross_entropy": lambda x: F.cross_entropy(x, TARGET),
    "cross_entropy_probs": lambda x: F.cross_entropy(x, np.full(x.shape, 1 / 3, x.dtype)),
    "nll_log_softmax": lambda x: F.nll_loss(F.log_softmax(x, dim=1), TARGET),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("name", list(FNS))
def test_finite_at_1e4(name, dtype):
    x = lamina.tensor(np.array(ROWS, dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow/divide warnings either
        y = FNS[name](x)
        y.backward(np.ones(y.shape, dtype))  # not y.sum(): rows of -2e4 overflow float16's sum
    assert y.dtype == dtype and x.grad.dtype == dtype  # computed in the input's dtype
    assert np.isfinite(y.detach().numpy()).all(), y.detach().numpy()
    assert np.isfinite(x.grad.numpy()).all(), x.grad.numpy()


def _torch_fn(torch, name, x):
    tf = torch.nn.functional
    ones = torch.ones_like(x)
    return {
        "softmax": lambda: tf.softmax(x, dim=1),
        "log_softmax": lambda: tf.log_softmax(x, dim=1),
        "sigmoid": lambda: torch.sigmoid(x),
        "softplus": lambda: tf.softplus(x),
        "bce": lambda: tf.binary_cross_entropy(torch.sigmoid(x), ones),
        "bce_logits": lambda: tf.binary_cross_entropy_with_logits(x, ones),
        "cross_entropy": lambda: tf.cross_entropy(x, torch.tensor(TARGET)),
        "cross_entropy_probs": lambda: tf.cross_entropy(x, torch.full(x.shape, 1 / 3)),
        "nll_log_softmax": lambda: tf.nll_loss(tf.log_softmax(x, 1), torch.tensor(TARGET)),
    }[name]()


@pytest.mark.parametrize("name", list(FNS))
def test_matches_torch_at_1e4(name):
    torch = pytest.importorskip("torch")
    x = lamina.tensor(np.array(ROWS, np.float32), requires_grad=True)
    y = FNS[name](x)
    y.sum().backward()
    tx = torch.tensor(ROWS, dtype=torch.float32, requires_grad=True)
    ty = _torch_fn(torch, name, tx)
    ty.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_float16_model_trains_finite():
    """A float16 MLP + cross-entropy at large logits: loss and every gradient finite."""
    lamina.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8, dtype=np.float16), nn.Tanh())
    model.append(nn.Linear(8, 3, dtype=np.float16))
    x = lamina.tensor(np.array(ROWS, np.float16))
    loss = F.cross_entropy(model(x) * 1000.0, TARGET)
    loss.backward()
    assert loss.dtype == np.float16 and np.isfinite(loss.detach().numpy())
    for name, p in model.named_parameters():
        assert p.grad.dtype == np.float16 and np.isfinite(p.grad.numpy()).all(), name


def test_float16_input_to_float32_layer_computes_in_float32():
    lamina.manual_seed(0)
    layer = nn.Linear(3, 2)
    x16 = np.array(ROWS, np.float16) / 1e4
    y = layer(lamina.tensor(x16))
    assert y.dtype == np.float32
    np.testing.assert_allclose(
        y.detach().numpy(), layer(lamina.tensor(x16.astype(np.float32))).detach().numpy()
    )


def test_integer_input_is_refused_clearly():
    with pytest.raises(TypeError, match=r"floating-point.*got dtype int32.*\nin layer Linear"):
        nn.Linear(3, 2)(lamina.tensor(np.zeros((1, 3), np.int32)))


def test_float16_cnn_trains_finite():
    """Conv2d + BatchNorm2d + MaxPool2d + Linear in float16 (model.to(float16)), inputs x100."""
    lamina.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2))
    model.append(nn.Flatten())
    model.append(nn.Linear(36, 3))
    model.to(np.float16)
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float16) * 100
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.cross_entropy(model(lamina.tensor(x)) * 100.0, np.array([0, 2]))
        loss.backward()
    assert loss.dtype == np.float16 and np.isfinite(loss.detach().numpy())
    for name, p in model.named_parameters():
        assert p.grad.dtype == np.float16 and np.isfinite(p.grad.numpy()).all(), name
