"""nn conv layers and functional wrappers: shapes, parameters, repr, init, torch parity."""

import math

import numpy as np
import pytest

import lamina as L
from lamina import nn
from lamina.nn import functional as F
from tests.oracle import needs_torch, torch

RNG = np.random.default_rng(0)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def copy_from_torch(mine, theirs):
    mine.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})


def parity(mine, theirs, x, rtol=1e-4, atol=1e-4):
    """Same output and same input/parameter gradients for one random cotangent."""
    xl, xt = L.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yl, yt = mine(xl), theirs(xt)
    assert tuple(yl.shape) == tuple(yt.shape)
    np.testing.assert_allclose(yl.detach().numpy(), yt.detach().numpy(), rtol=rtol, atol=atol)
    g = rand(*yl.shape)
    (yl * L.tensor(g)).sum().backward()
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xl.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=atol)
    for (name, p), (_, q) in zip(mine.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(
            p.grad.numpy(), q.grad.numpy(), rtol=rtol, atol=atol, err_msg=name
        )


CONV2D = [
    dict(in_channels=3, out_channels=8, kernel_size=3, padding=1),
    dict(
        in_channels=4,
        out_channels=6,
        kernel_size=(3, 2),
        stride=(2, 1),
        dilation=(1, 2),
        groups=2,
        bias=False,
    ),
    dict(in_channels=4, out_channels=4, kernel_size=3, padding="same", groups=4),
    dict(in_channels=3, out_channels=5, kernel_size=4, padding="same", dilation=1),
    dict(in_channels=3, out_channels=5, kernel_size=3, padding="valid"),
    dict(in_channels=3, out_channels=4, kernel_size=3, padding=2, padding_mode="reflect"),
    dict(in_channels=3, out_channels=4, kernel_size=3, padding=(1, 2), padding_mode="replicate"),
    dict(in_channels=3, out_channels=4, kernel_size=3, padding="same", padding_mode="circular"),
]


@needs_torch
@pytest.mark.parametrize("kw", CONV2D)
def test_conv2d_matches_torch(kw):
    mine, theirs = nn.Conv2d(**kw), torch.nn.Conv2d(**kw)
    assert repr(mine) == repr(theirs)
    assert [(k, v.shape) for k, v in mine.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in theirs.state_dict().items()
    ]
    assert sum(p.detach().numpy().size for p in mine.parameters()) == sum(
        p.numel() for p in theirs.parameters()
    )
    copy_from_torch(mine, theirs)
    parity(mine, theirs, rand(2, kw["in_channels"], 9, 8))


CONV1D = [
    dict(in_channels=3, out_channels=5, kernel_size=3, padding=1),
    dict(in_channels=4, out_channels=8, kernel_size=4, stride=2, dilation=2, groups=4),
    dict(in_channels=3, out_channels=2, kernel_size=4, padding="same"),
    dict(in_channels=3, out_channels=2, kernel_size=3, padding=2, padding_mode="circular"),
]


@needs_torch
@pytest.mark.parametrize("kw", CONV1D)
def test_conv1d_matches_torch(kw):
    mine, theirs = nn.Conv1d(**kw), torch.nn.Conv1d(**kw)
    assert repr(mine) == repr(theirs)
    assert list(mine.state_dict()) == list(theirs.state_dict())
    copy_from_torch(mine, theirs)
    parity(mine, theirs, rand(2, kw["in_channels"], 11))


TCONV = [
    dict(in_channels=4, out_channels=3, kernel_size=4, stride=2, padding=1),
    dict(
        in_channels=4,
        out_channels=6,
        kernel_size=3,
        stride=2,
        padding=1,
        output_padding=1,
        groups=2,
        bias=False,
    ),
    dict(in_channels=2, out_channels=3, kernel_size=(3, 2), stride=(1, 3), dilation=2),
]


@needs_torch
@pytest.mark.parametrize("kw", TCONV)
def test_conv_transpose2d_matches_torch(kw):
    mine, theirs = nn.ConvTranspose2d(**kw), torch.nn.ConvTranspose2d(**kw)
    assert repr(mine) == repr(theirs)
    assert [(k, v.shape) for k, v in mine.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in theirs.state_dict().items()
    ]
    copy_from_torch(mine, theirs)
    parity(mine, theirs, rand(2, kw["in_channels"], 5, 6))


@needs_torch
def test_conv_transpose2d_output_size():
    mine = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    theirs = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    copy_from_torch(mine, theirs)
    x = rand(1, 3, 4, 4)
    out = mine(L.tensor(x), output_size=(8, 8))
    ref = theirs(torch.tensor(x), output_size=(8, 8))
    assert out.shape == (1, 2, 8, 8)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="output_size"):
        mine(L.tensor(x), output_size=(10, 10))


@needs_torch
def test_unbatched_input():
    mine = nn.Conv2d(3, 4, 3)
    theirs = torch.nn.Conv2d(3, 4, 3)
    copy_from_torch(mine, theirs)
    x = rand(3, 7, 6)
    out = mine(L.tensor(x))
    np.testing.assert_allclose(
        out.detach().numpy(), theirs(torch.tensor(x)).detach().numpy(), atol=1e-5
    )
    assert out.shape == (4, 5, 4)
    assert F.max_pool2d(L.tensor(x), 2).shape == (3, 3, 3)


@needs_torch
def test_default_init_bounds_and_seed():
    L.manual_seed(0)
    m = nn.Conv2d(16, 32, 3)
    bound = 1 / math.sqrt(16 * 9)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert w.dtype == np.float32 and np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound  # uniform's std
    L.manual_seed(0)
    np.testing.assert_array_equal(nn.Conv2d(16, 32, 3).weight.detach().numpy(), w)
    t = nn.ConvTranspose2d(8, 4, 3)  # torch's fan_in reads weight dim 1: out/groups * k * k
    assert np.abs(t.bias.detach().numpy()).max() <= 1 / math.sqrt(4 * 9)


def test_state_dict_round_trip():
    a, b = nn.Conv2d(3, 4, 3, padding=1), nn.Conv2d(3, 4, 3, padding=1)
    b.load_state_dict(a.state_dict())
    x = L.tensor(rand(2, 3, 5, 5))
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())
    assert list(a.state_dict()) == ["weight", "bias"]
    assert list(nn.Conv2d(3, 4, 3, bias=False).state_dict()) == ["weight"]


def test_bad_input_names_layer_and_shapes():
    with pytest.raises(
        ValueError, match=r"expected input \(N, 3, H, W\).*\(2, 4, 8, 8\)\nin layer Conv2d"
    ):
        nn.Conv2d(3, 4, 3)(L.randn(2, 4, 8, 8))
    with pytest.raises(ValueError, match=r"expected input \(N, 3, L\).*\(2, 3\)\nin layer Conv1d"):
        nn.Conv1d(3, 4, 3)(L.randn(2, 3))
    with pytest.raises(
        ValueError, match=r"\(N, 4, H, W\).*\(1, 3, 5, 5\)\nin layer ConvTranspose2d"
    ):
        nn.ConvTranspose2d(4, 2, 3)(L.randn(1, 3, 5, 5))
    seq = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(5, 2, 3))
    with pytest.raises(
        ValueError, match=r"expected input \(N, 5, H, W\)(.|\n)*in layer 2 \(Conv2d\)"
    ):
        seq(L.randn(1, 3, 8, 8))
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="stride 1"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode 'mirror'"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="conv2d: padding 'full'"):
        F.conv2d(L.randn(1, 3, 5, 5), L.randn(2, 3, 3, 3), padding="full")


@needs_torch
def test_functional_conv1d_and_conv2d_match_torch():
    x, w, b = rand(2, 4, 9), rand(6, 2, 3), rand(6)
    out = F.conv1d(L.tensor(x), L.tensor(w), L.tensor(b), stride=2, padding=1, groups=2)
    ref = torch.nn.functional.conv1d(torch.tensor(x), torch.tensor(w), torch.tensor(b), 2, 1, 1, 2)
    np.testing.assert_allclose(out.detach().numpy(), ref.numpy(), rtol=1e-4, atol=1e-5)
    x2, w2 = rand(1, 3, 6, 7), rand(2, 3, 2, 3)
    out = F.conv2d(L.tensor(x2), L.tensor(w2), padding="same", dilation=2)
    ref = torch.nn.functional.conv2d(torch.tensor(x2), torch.tensor(w2), padding="same", dilation=2)
    np.testing.assert_allclose(out.detach().numpy(), ref.numpy(), rtol=1e-4, atol=1e-5)


@needs_torch
def test_lenet_like_stack_trains_one_step_like_torch():
    def build(mod):
        return mod.Sequential(
            mod.Conv2d(1, 6, 5, padding=2),
            mod.ReLU(),
            mod.MaxPool2d(2),
            mod.Conv2d(6, 16, 5),
            mod.ReLU(),
            mod.AvgPool2d(2),
            mod.Flatten(),
            mod.Linear(16 * 5 * 5, 10),
        )

    mine, theirs = build(nn), build(torch.nn)
    copy_from_torch(mine, theirs)
    parity(mine, theirs, rand(4, 1, 28, 28), rtol=1e-3, atol=1e-4)
