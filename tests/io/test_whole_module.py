"""Whole modules through lamina.save / lamina.load, as torch 2.6+ saves and loads them:
rebuilt only from lamina's classes and allow-listed ones, never importing or running code."""

import io
import pickle
import sys

import numpy as np
import pytest

import lamina as L
from lamina.io import LaminaFileError
from lamina.io.checkpoint import save_checkpoint
from lamina.models.gpt import GPT, GPTConfig
from lamina.models.resnet import resnet18
from tests.oracle import torch


class Net(L.nn.Module):  # a script's own model class, as in pytorch/examples
    def __init__(self, n=3):
        super().__init__()
        self.n, self.act, self.names = n, L.nn.functional.relu, ("a", "b")
        self.body = L.nn.Sequential(L.nn.Linear(n, 4), L.nn.ReLU(), L.nn.Linear(4, 2))
        self.register_buffer("scale", L.ones(2) * 2)
        self.register_buffer("cache", L.zeros(1), persistent=False)

    def forward(self, x):
        return self.act(self.body(x)) * self.scale


def _round_trip(obj, tmp_path, **load_kwargs):
    L.save(obj, tmp_path / "m.pt")
    return L.load(tmp_path / "m.pt", **load_kwargs)


@pytest.mark.parametrize(
    "make, x",
    [
        (lambda: L.nn.Sequential(L.nn.Linear(3, 4), L.nn.Tanh(), L.nn.Linear(4, 2)),
         lambda: L.randn(5, 3)),
        (lambda: L.nn.LSTM(3, 5, 2, batch_first=True), lambda: L.randn(2, 4, 3)),
        (lambda: L.nn.TransformerEncoder(
            L.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, activation="gelu"), 2),
         lambda: L.randn(2, 5, 8)),
        (lambda: resnet18(num_classes=7), lambda: L.randn(1, 3, 32, 32)),
        (lambda: GPT(GPTConfig(n_layer=1, n_head=2, n_embd=8, block_size=8, vocab_size=11)),
         lambda: L.randint(0, 11, (2, 5))),
    ],
)  # fmt: skip
def test_lamina_models_round_trip_with_equal_outputs(make, x, tmp_path):
    model = make().eval()
    loaded = _round_trip(model, tmp_path)
    assert type(loaded) is type(model) and not loaded.training
    assert list(loaded.state_dict()) == list(model.state_dict())
    inp = x()
    a, b = model(inp), loaded(inp)
    a, b = (a[0], b[0]) if isinstance(a, tuple) else (a, b)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    for p, q in zip(model.parameters(), loaded.parameters()):
        assert (
            type(q) is L.nn.Parameter and q.requires_grad and not np.shares_memory(p._data, q._data)
        )


def test_tied_weights_stay_tied_and_flags_survive(tmp_path):
    gpt = GPT(GPTConfig(n_layer=1, n_head=2, n_embd=8, block_size=8, vocab_size=11))
    gpt.transformer.wpe.weight.requires_grad_(False)
    loaded = _round_trip({"model": gpt, "epoch": 3}, tmp_path)
    assert loaded["epoch"] == 3
    m = loaded["model"]
    assert m.lm_head.weight is m.transformer.wte.weight
    assert not m.transformer.wpe.weight.requires_grad and m.training


def test_a_scripts_class_needs_the_allow_list_as_in_torch(tmp_path):
    net = Net()
    L.save(net, tmp_path / "net.pt")
    with pytest.raises(pickle.UnpicklingError, match=r"safe_globals\(\[Net\]\)") as e:
        L.load(tmp_path / "net.pt")
    assert isinstance(e.value, LaminaFileError) and "Net" in str(e.value)
    with L.serialization.safe_globals([Net]):
        loaded = L.load(tmp_path / "net.pt")
    assert L.serialization.get_safe_globals() == []
    x = L.randn(4, 3)
    np.testing.assert_array_equal(loaded(x).detach().numpy(), net(x).detach().numpy())
    assert loaded.n == 3 and loaded.names == ("a", "b") and loaded.act is L.nn.functional.relu
    assert "cache" not in loaded.state_dict() and "scale" in loaded.state_dict()
    again = L.load(tmp_path / "net.pt", weights_only=False)  # its module is imported
    assert type(again) is Net


def test_torch_refuses_the_same_way():
    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(2, 2)

    TorchNet.__module__, TorchNet.__qualname__ = __name__, "TorchNet"
    globals()["TorchNet"] = TorchNet
    buf = io.BytesIO()
    torch.save(TorchNet(), buf)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(buf)


def test_file_objects_work(tmp_path):
    model = L.nn.Sequential(L.nn.Linear(2, 2))
    buf = io.BytesIO()
    L.save(model, buf)
    buf.seek(0)
    loaded = L.load(buf)
    np.testing.assert_array_equal(
        loaded[0].weight.detach().numpy(), model[0].weight.detach().numpy()
    )


def test_what_cannot_be_described_is_refused_at_save_naming_it(tmp_path):
    import threading

    net = Net()
    net.lock = threading.Lock()
    with pytest.raises(TypeError, match=r"Net\.lock, a lock"):
        L.save(net, tmp_path / "x.pt")
    del net.lock
    handle = net.body.register_forward_hook(lambda *a: None)
    with pytest.raises(TypeError, match="Net.body .*forward_hooks"):
        L.save(net, tmp_path / "x.pt")
    handle.remove()
    L.save(net, tmp_path / "x.pt")


def _hostile(tmp_path, root):
    path = tmp_path / "hostile.pt"
    save_checkpoint({"__lamina_object__": root, "lamina.ndarrays": [], "lamina.modules": 1}, path)
    return path


def _mod(cls="lamina.nn.modules.linear:Linear", **over):
    entry = {"$module": cls, "training": True, "parameters": {}, "buffers": {},
             "non_persistent": [], "modules": {}, "attrs": {}}  # fmt: skip
    entry.update(over)
    return entry


@pytest.mark.parametrize(
    "root, match",
    [
        (_mod("os:system"), "os.system, which lamina.load may not rebuild"),
        (_mod("builtins:eval"), "builtins.eval"),
        (_mod("antigravity:geohash"), "antigravity.geohash"),  # never imported
        (_mod("lamina.nn.functional:relu"), "may not rebuild"),  # not a Module class
        (_mod("lamina.nn.modules.linear:Linear.__init__.__globals__"), "may not rebuild"),
        (_mod(attrs={"act": {"$global": "os:system"}}), "os.system"),
        (_mod(attrs={"_parameters": 1}), "attribute '_parameters' not allowed"),
        (_mod(attrs={"__class__": 1}), "attribute '__class__' not allowed"),
        (_mod(parameters={"w": {"$tensor": 0}}), "reference 0 before its definition"),
        (_mod(parameters=[1, 2]), "malformed module entry"),
        (_mod("no colon"), "malformed class name"),
    ],
)
def test_hostile_module_files_are_refused(tmp_path, root, match):
    with pytest.raises(LaminaFileError, match=match):
        L.load(_hostile(tmp_path, root), weights_only=False)
    assert "antigravity" not in sys.modules


def test_a_hostile_file_cannot_reach_a_class_outside_lamina_without_the_allow_list(tmp_path):
    path = _hostile(tmp_path, _mod(f"{__name__}:Net"))
    with pytest.raises(LaminaFileError, match="Net"):
        L.load(path)  # weights_only=True: this module's Net is not allow-listed
    assert type(L.load(path, weights_only=False)) is Net  # made without running __init__


@pytest.mark.parametrize(
    "name",
    [
        "lamina.io.torch_api:os.system",  # a module's import, not defined there
        "lamina.io.torch_api:save",  # lamina's, but not an activation
        "lamina.io.errors:LaminaFileError",  # a lamina class that is not a Module
    ],
)
def test_only_lamina_activations_and_configs_may_be_named_as_attributes(tmp_path, name):
    with pytest.raises(LaminaFileError, match="may not rebuild"):
        L.load(_hostile(tmp_path, _mod(attrs={"activation": {"$global": name}})))
