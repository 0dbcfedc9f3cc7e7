"""BatchNorm1d/2d and LayerNorm modules vs torch: outputs, grads, running stats, state dicts."""

import numpy as np
import pytest

import lamina
import lamina.nn as nn
import lamina.nn.functional as F
from tests.oracle import needs_torch, torch

RNG = np.random.default_rng(0)

BN = [
    ("BatchNorm1d", (8, 3), {}),
    ("BatchNorm1d", (4, 3, 5), {"momentum": 0.3}),
    ("BatchNorm2d", (4, 3, 5, 5), {}),
    ("BatchNorm2d", (2, 3, 4, 4), {"momentum": None}),
    ("BatchNorm2d", (2, 3, 4, 4), {"affine": False}),
    ("BatchNorm1d", (6, 3), {"track_running_stats": False}),
    ("BatchNorm1d", (6, 3, 2), {"bias": False}),
    ("BatchNorm2d", (2, 3, 2, 2), {"eps": 1e-3, "momentum": None, "affine": False}),
]


def _step(m, x, gy):
    """One forward/backward; returns output and input gradient as arrays."""
    xl = lamina.tensor(x, requires_grad=True)
    if isinstance(m, torch.nn.Module):
        xl = torch.tensor(x, requires_grad=True)
        y = m(xl)
        y.backward(torch.tensor(gy))
        return y.detach().numpy(), xl.grad.numpy()
    y = m(xl)
    (y * lamina.tensor(gy)).sum().backward()
    return y.detach().numpy(), xl.grad.numpy()


@needs_torch
@pytest.mark.parametrize(("name", "shape", "kw"), BN)
def test_batch_norm_training_steps_then_eval(name, shape, kw):
    m, tm = getattr(nn, name)(shape[1], **kw), getattr(torch.nn, name)(shape[1], **kw)
    assert repr(m) == repr(tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    for _step_i in range(3):
        x = (RNG.standard_normal(shape) * 2 + 1).astype(np.float32)
        gy = RNG.standard_normal(shape).astype(np.float32)
        (y, gx), (yt, gxt) = _step(m, x, gy), _step(tm, x, gy)
        np.testing.assert_allclose(y, yt, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(gx, gxt, rtol=1e-4, atol=1e-5)
    tsd = tm.state_dict()
    for k, v in m.state_dict().items():
        assert v.dtype == tsd[k].numpy().dtype, k
        np.testing.assert_allclose(v, tsd[k].numpy(), rtol=1e-5, atol=1e-6, err_msg=k)
    for k, p in dict(m.named_parameters()).items():
        tp = dict(tm.named_parameters())[k]
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-4)
    m.eval(), tm.eval()
    x = RNG.standard_normal(shape).astype(np.float32)
    gy = RNG.standard_normal(shape).astype(np.float32)
    (y, gx), (yt, gxt) = _step(m, x, gy), _step(tm, x, gy)
    np.testing.assert_allclose(y, yt, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gx, gxt, rtol=1e-4, atol=1e-5)


@needs_torch
def test_batch_norm_loads_torch_state_dict():
    tm = torch.nn.BatchNorm2d(4)
    tm.train()
    for _ in range(2):
        tm(torch.randn(3, 4, 2, 2))
    torch.nn.init.normal_(tm.weight)
    m = nn.BatchNorm2d(4)
    m.load_state_dict({k: v.numpy() for k, v in tm.state_dict().items()})
    m.eval(), tm.eval()
    x = RNG.standard_normal((2, 4, 3, 3)).astype(np.float32)
    np.testing.assert_allclose(
        m(lamina.tensor(x)).detach().numpy(),
        tm(torch.tensor(x)).detach().numpy(),
        rtol=1e-5,
        atol=1e-6,
    )
    assert int(m.num_batches_tracked.item()) == 2


def test_batch_norm_errors():
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D"):
        nn.BatchNorm2d(3)(lamina.randn(2, 3, 4))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D"):
        nn.BatchNorm1d(3)(lamina.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match="num_features=3"):
        nn.BatchNorm1d(3)(lamina.randn(2, 5))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(lamina.randn(1, 3))


def test_functional_batch_norm_updates_running_stats():
    x = RNG.standard_normal((5, 2)).astype(np.float32)
    rm, rv = lamina.zeros(2), lamina.ones(2)
    F.batch_norm(lamina.tensor(x), rm, rv, training=True, momentum=0.5)
    np.testing.assert_allclose(rm.detach().numpy(), 0.5 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(rv.detach().numpy(), 0.5 + 0.5 * x.var(0, ddof=1), rtol=1e-5)


@needs_torch
@pytest.mark.parametrize(
    ("shape", "nshape", "kw"),
    [
        ((4, 6), 6, {}),
        ((2, 3, 4), (3, 4), {"eps": 1e-3}),
        ((2, 5, 4), [4], {"elementwise_affine": False}),
        ((2, 5, 4), 4, {"bias": False}),
    ],
)
def test_layer_norm_module(shape, nshape, kw):
    m, tm = nn.LayerNorm(nshape, **kw), torch.nn.LayerNorm(nshape, **kw)
    assert repr(m) == repr(tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    with torch.no_grad():
        for p in tm.parameters():
            p.normal_()
    m.load_state_dict({k: v.numpy() for k, v in tm.state_dict().items()})
    x = (RNG.standard_normal(shape) * 3).astype(np.float32)
    gy = RNG.standard_normal(shape).astype(np.float32)
    (y, gx), (yt, gxt) = _step(m, x, gy), _step(tm, x, gy)
    np.testing.assert_allclose(y, yt, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gx, gxt, rtol=1e-4, atol=1e-4)
    for k, p in dict(m.named_parameters()).items():
        tp = dict(tm.named_parameters())[k]
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_parameter_counts_and_no_grad_eval():
    assert sum(p.numel() for p in nn.BatchNorm2d(64).parameters()) == 128
    assert sum(p.numel() for p in nn.BatchNorm1d(8, affine=False).parameters()) == 0
    assert sum(p.numel() for p in nn.LayerNorm((3, 4)).parameters()) == 24
    m = nn.BatchNorm2d(2).eval()
    with lamina.no_grad():
        y = m(lamina.randn(1, 2, 3, 3))
    assert y.shape == (1, 2, 3, 3) and not y.requires_grad
    assert int(m.num_batches_tracked.item()) == 0
