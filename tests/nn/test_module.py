"""nn.Module: registration, traversal, state_dict, errors that name the layer."""

from collections import OrderedDict

import numpy as np
import pytest

import lamina as L
from lamina import nn
from tests.oracle import needs_torch, torch


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.blocks = nn.ModuleList([nn.Linear(3, 3), nn.Linear(3, 2)])
        self.register_buffer("scale", L.ones(2))
        self.register_buffer("tmp", L.zeros(1), persistent=False)
        self.plain = 5

    def forward(self, x):
        x = self.fc1(x)
        for b in self.blocks:
            x = b(x)
        return x * self.scale


def test_registration_and_traversal():
    n = Net()
    names = [k for k, _ in n.named_parameters()]
    assert names == [
        "fc1.weight",
        "fc1.bias",
        "blocks.0.weight",
        "blocks.0.bias",
        "blocks.1.weight",
        "blocks.1.bias",
    ]
    assert [k for k, _ in n.named_buffers()] == ["scale", "tmp"]
    assert [k for k, _ in n.named_modules()] == ["", "fc1", "blocks", "blocks.0", "blocks.1"]
    assert len(list(n.children())) == 2 and n.plain == 5
    # torch order: own parameters and buffers first, then children; no non-persistent buffer
    assert list(n.state_dict()) == ["scale"] + names
    n.eval()
    assert not any(m.training for m in n.modules())
    n.train()
    assert all(m.training for m in n.modules())


def test_zero_grad_requires_grad_apply():
    n = Net()
    n(L.randn(2, 4)).sum().backward()
    assert all(p.grad is not None for p in n.parameters())
    n.zero_grad()
    assert all(p.grad is None for p in n.parameters())
    n.requires_grad_(False)
    assert not any(p.requires_grad for p in n.parameters())
    seen = []
    n.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen.count("Linear") == 3


def test_load_state_dict_strict_and_shape_errors():
    a, b = Net(), Net()
    b.load_state_dict(a.state_dict())
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[k], v)
    sd = a.state_dict()
    sd.pop("fc1.bias")
    sd["extra"] = np.zeros(1)
    with pytest.raises(RuntimeError, match="Missing key.*fc1.bias.*\n.*Unexpected.*extra"):
        b.load_state_dict(sd)
    res = b.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["fc1.bias"] and res.unexpected_keys == ["extra"]
    sd = a.state_dict()
    sd["fc1.weight"] = np.zeros((5, 4))
    with pytest.raises(RuntimeError, match=r"fc1.weight.*\(5, 4\).*\(3, 4\)"):
        b.load_state_dict(sd, strict=False)
    b.load_state_dict({k: v.tolist() for k, v in a.state_dict().items()})  # array-likes


def test_sequential_from_ordered_dict_and_indexing_and_repr():
    s = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.Identity())]))
    assert list(s.state_dict()) == ["fc.weight", "fc.bias"]
    assert isinstance(s[0], nn.Linear) and len(s) == 2 and len(s[:1]) == 1
    assert repr(s) == (
        "Sequential(\n  (fc): Linear(in_features=2, out_features=3, bias=True)"
        "\n  (act): Identity()\n)"
    )
    d = nn.ModuleDict({"a": nn.Linear(1, 1)})
    assert "a" in d and list(d.state_dict()) == ["a.weight", "a.bias"]


def test_errors_name_the_layer_path():
    model = nn.Sequential(nn.Linear(4, 8), nn.Sequential(nn.Linear(8, 3), nn.Linear(2, 2)))
    with pytest.raises(
        ValueError, match=r"^expected .*in_features=2.*\(2, 3\)\nin layer 1\.1 \(Linear\)$"
    ):
        model(L.randn(2, 4))
    with pytest.raises(ValueError, match=r"^expected .*\nin layer Linear$"):
        nn.Linear(3, 1)(L.randn(2, 4))


def test_assigning_wrong_types():
    n = Net()
    with pytest.raises(TypeError, match="fc1"):
        n.fc1 = 3
    with pytest.raises(TypeError, match="buffer 'scale'"):
        n.scale = 3
    n.fc1 = nn.Linear(4, 3)  # replacing a layer (transfer learning) works
    del n.blocks
    assert "blocks.0.weight" not in n.state_dict()


def test_linear_default_init_matches_torch_distribution():
    L.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    w = lin.weight.detach().numpy()
    assert w.dtype == np.float32 and np.abs(w).max() <= bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.01 * bound
    assert np.abs(lin.bias.detach().numpy()).max() <= bound


@needs_torch
def test_linear_and_embedding_match_torch():
    lin = nn.Linear(5, 3)
    tl = torch.nn.Linear(5, 3)
    tl.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in lin.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((2, 7, 5)).astype(np.float32)
    xl, xt = L.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yl, yt = lin(xl), tl(xt)
    np.testing.assert_allclose(yl.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    (yl**2).sum().backward()
    (yt**2).sum().backward()
    np.testing.assert_allclose(xl.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(
        lin.weight.grad.numpy(), tl.weight.grad.numpy(), rtol=1e-4, atol=1e-5
    )
    emb = nn.Embedding(6, 4, padding_idx=0)
    te = torch.nn.Embedding(6, 4, padding_idx=0)
    te.load_state_dict({"weight": torch.from_numpy(emb.weight.detach().numpy())})
    idx = np.array([[0, 2, 2], [5, 1, 0]])
    el, et = emb(L.tensor(idx)), te(torch.from_numpy(idx))
    (el * el).sum().backward()
    (et * et).sum().backward()
    np.testing.assert_allclose(emb.weight.grad.numpy(), te.weight.grad.numpy(), rtol=1e-5)
    assert np.all(emb.weight.detach().numpy()[0] == 0)


def test_init_functions():
    w = nn.Parameter(np.zeros((64, 32), np.float32))
    nn.init.xavier_uniform_(w)
    assert np.abs(w.detach().numpy()).max() <= np.sqrt(6 / 96) + 1e-6
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.detach().numpy().std() - np.sqrt(2 / 64)) < 0.02
    nn.init.orthogonal_(w)
    np.testing.assert_allclose(w.detach().numpy().T @ w.detach().numpy(), np.eye(32), atol=1e-5)
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(np.sqrt(2 / 1.04))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.init.calculate_gain("bogus")
    nn.init.constant_(w, 0.5)
    assert np.all(w.detach().numpy() == 0.5) and w.detach().numpy().dtype == np.float32


def test_clip_grad_and_vectors():
    a = nn.Parameter(np.ones(3, np.float32))
    b = nn.Parameter(np.ones(4, np.float32))
    a.grad, b.grad = L.tensor(np.full(3, 3.0)), L.tensor(np.full(4, 4.0))
    total = nn.utils.clip_grad_norm_([a, b], 1.0)
    assert total.item() == pytest.approx(np.sqrt(27 + 64))
    assert np.sqrt((a.grad.numpy() ** 2).sum() + (b.grad.numpy() ** 2).sum()) == pytest.approx(
        1.0, 1e-4
    )
    nn.utils.clip_grad_value_([a], 0.1)
    assert a.grad.numpy().max() <= 0.1
    v = nn.utils.parameters_to_vector([a, b])
    assert v.shape == (7,)
    nn.utils.vector_to_parameters(L.arange(7).float(), [a, b])
    assert b.detach().numpy().tolist() == [3.0, 4.0, 5.0, 6.0]
