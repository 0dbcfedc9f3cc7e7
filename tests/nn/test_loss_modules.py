"""Loss modules and functionals vs torch: values, grads, warnings, errors, state dicts."""

import numpy as np
import pytest

import lamina
import lamina.nn as nn
import lamina.nn.functional as F
from tests.oracle import needs_torch, torch

RNG = np.random.default_rng(0)
pytestmark = pytest.mark.filterwarnings("ignore:size_average and reduce")


def _pair(a, grad=True):
    return lamina.tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad)


def _compare(m, tm, x, t, target_grad=False, int_target=False):
    xl, xt = _pair(x)
    tl, tt = (t, torch.tensor(t)) if int_target else _pair(t, target_grad)
    y, yt = m(xl, tl), tm(xt, tt)
    cot = RNG.standard_normal(yt.shape).astype(np.float32)
    (y * lamina.tensor(cot)).sum().backward()
    yt.backward(torch.tensor(cot))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(xl.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    if target_grad:
        np.testing.assert_allclose(tl.grad.numpy(), tt.grad.numpy(), rtol=1e-5, atol=1e-6)


REGRESSION = [
    ("MSELoss", {}),
    ("MSELoss", {"reduction": "sum"}),
    ("L1Loss", {"reduction": "none"}),
    ("HuberLoss", {"delta": 0.5}),
    ("SmoothL1Loss", {"beta": 0.3, "reduction": "sum"}),
    ("MSELoss", {"size_average": False}),
    ("L1Loss", {"reduce": False}),
]


@needs_torch
@pytest.mark.parametrize(("name", "kw"), REGRESSION)
def test_regression_losses(name, kw):
    x = RNG.standard_normal((5, 3)).astype(np.float32)
    t = RNG.standard_normal((5, 3)).astype(np.float32)
    m, tm = getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw)
    assert m.reduction == tm.reduction and repr(m) == repr(tm)
    _compare(m, tm, x, t, target_grad=True)


def test_sse_loss():
    x, t = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))
    np.testing.assert_allclose(
        nn.SSELoss()(lamina.tensor(x), t).item(), ((x - t) ** 2).sum(), rtol=1e-6
    )
    np.testing.assert_allclose(F.sse_loss(x, t).item(), ((x - t) ** 2).sum(), rtol=1e-6)


def test_broadcast_target_warns_and_bad_batch_raises():
    x = lamina.randn(4, 1, requires_grad=True)
    for fn in (F.mse_loss, F.l1_loss, F.huber_loss, F.smooth_l1_loss):
        with pytest.warns(UserWarning, match=r"Using a target size \(\(4,\)\)"):
            fn(x, lamina.randn(4))
        with pytest.raises(RuntimeError, match=r"\(3, 1\).*\(4, 1\)"):  # torch's type
            fn(x, lamina.randn(3, 1))
    with pytest.raises(ValueError, match="different to the input size"):
        F.binary_cross_entropy(x.sigmoid(), lamina.rand(4))
    with pytest.raises(ValueError, match="must be the same as input size"):
        F.binary_cross_entropy_with_logits(x, lamina.rand(4))


@needs_torch
@pytest.mark.parametrize("fn", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_weighted_regression(fn, reduction):
    x = RNG.standard_normal((4, 3)).astype(np.float32)
    t = RNG.standard_normal((4, 3)).astype(np.float32)
    w = RNG.uniform(0.1, 2, (4, 3)).astype(np.float32)
    y = getattr(F, fn)(lamina.tensor(x), lamina.tensor(t), reduction=reduction, weight=w)
    yt = getattr(torch.nn.functional, fn)(
        torch.tensor(x), torch.tensor(t), reduction=reduction, weight=torch.tensor(w)
    )
    np.testing.assert_allclose(y.detach().numpy(), yt.numpy(), rtol=1e-5, atol=1e-6)


CLASS = [
    {},
    {"weight": True, "ignore_index": 2},
    {"label_smoothing": 0.1, "weight": True},
    {"reduction": "none", "label_smoothing": 0.2},
    {"reduction": "sum", "ignore_index": 0},
]


def _wkw(kw, c):
    kw = dict(kw)
    if kw.pop("weight", False):
        w = np.linspace(0.5, 1.5, c).astype(np.float32)
        return {**kw, "weight": lamina.tensor(w)}, {**kw, "weight": torch.tensor(w)}
    return kw, kw


@needs_torch
@pytest.mark.parametrize("kw", CLASS)
@pytest.mark.parametrize("shape", [(6, 4), (2, 4, 3, 3)])
def test_cross_entropy_and_nll_modules(kw, shape):
    x = (RNG.standard_normal(shape) * 2).astype(np.float32)
    t = RNG.integers(0, shape[1], (shape[0],) + shape[2:])
    lkw, tkw = _wkw(kw, shape[1])
    m, tm = nn.CrossEntropyLoss(**lkw), torch.nn.CrossEntropyLoss(**tkw)
    assert list(m.state_dict()) == list(tm.state_dict())
    _compare(m, tm, x, t, int_target=True)
    lkw.pop("label_smoothing", None), tkw.pop("label_smoothing", None)
    _compare(nn.NLLLoss(**lkw), torch.nn.NLLLoss(**tkw), x, t, int_target=True)


@needs_torch
def test_cross_entropy_probability_target_grad():
    x = RNG.standard_normal((3, 5)).astype(np.float32)
    p = RNG.dirichlet(np.ones(5), 3).astype(np.float32)
    m, tm = nn.CrossEntropyLoss(label_smoothing=0.1), torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    _compare(m, tm, x, p, target_grad=True)


def test_cross_entropy_bad_targets():
    x = lamina.randn(3, 4)
    with pytest.raises(IndexError, match=r"Target 4 .* 4 classes"):  # torch's types
        F.cross_entropy(x, lamina.tensor([0, 4, 1]))
    with pytest.raises(RuntimeError, match="integer"):
        F.cross_entropy(x, lamina.tensor([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match=r"\(2,\)"):
        F.nll_loss(x, np.array([0, 1]))


@needs_torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_modules(reduction):
    x = RNG.standard_normal((4, 3)).astype(np.float32)
    t = RNG.random((4, 3)).astype(np.float32)
    w = RNG.uniform(0.5, 2, (3,)).astype(np.float32)
    pw = RNG.uniform(0.5, 2, (3,)).astype(np.float32)
    m = nn.BCEWithLogitsLoss(weight=w, reduction=reduction, pos_weight=pw)
    tm = torch.nn.BCEWithLogitsLoss(
        weight=torch.tensor(w), reduction=reduction, pos_weight=torch.tensor(pw)
    )
    assert list(m.state_dict()) == list(tm.state_dict()) == ["weight", "pos_weight"]
    _compare(m, tm, x, t, target_grad=True)
    p = 1 / (1 + np.exp(-x))
    m, tm = nn.BCELoss(reduction=reduction), torch.nn.BCELoss(reduction=reduction)
    assert list(m.state_dict()) == list(tm.state_dict()) == []
    _compare(m, tm, p, t)


@needs_torch
@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_module(reduction, log_target):
    x = np.log(RNG.dirichlet(np.ones(4), 3)).astype(np.float32)
    q = RNG.dirichlet(np.ones(4), 3).astype(np.float32)
    t = np.log(q) if log_target else q
    kw = {"reduction": reduction, "log_target": log_target}
    _compare(nn.KLDivLoss(**kw), torch.nn.KLDivLoss(**kw), x, t, target_grad=True)


def test_kl_div_mean_warns():
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(lamina.zeros(2, 2), lamina.ones(2, 2) / 2)
