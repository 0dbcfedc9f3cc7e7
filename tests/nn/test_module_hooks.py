"""nn.Module hooks, buffers, parameter containers, modes, device/dtype arguments vs torch."""

import numpy as np
import pytest

import lamina
from lamina import nn
from tests.oracle import torch


def _pair(seed=0):
    """A lamina and a torch MLP with the same weights."""
    lamina.manual_seed(seed)
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    t.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in m.state_dict().items()})
    return m, t


def test_forward_hooks_see_and_replace_like_torch():
    m, t = _pair()
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    logs = {"lamina": [], "torch": []}
    for mod, key in ((m, "lamina"), (t, "torch")):

        def pre(module, args, key=key):
            logs[key].append(("pre", type(module).__name__, tuple(args[0].shape)))
            return (args[0] * 2,)  # replaces the input

        def post(module, args, out, key=key):
            logs[key].append(("post", type(module).__name__, tuple(out.shape)))
            return out + 1  # replaces the output

        h1 = mod[0].register_forward_pre_hook(pre)
        h2 = mod[2].register_forward_hook(post)
        out_with = np.asarray(
            mod(type(mod[0].weight)(x) if key == "lamina" else torch.tensor(x)).detach()
        )
        h1.remove()
        h2.remove()
        out_without = np.asarray(
            mod(lamina.tensor(x) if key == "lamina" else torch.tensor(x)).detach()
        )
        logs[key + "_out"] = (out_with, out_without)
    assert logs["lamina"] == logs["torch"]
    np.testing.assert_allclose(logs["lamina_out"][0], logs["torch_out"][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(logs["lamina_out"][1], logs["torch_out"][1], rtol=1e-5, atol=1e-6)


def test_hook_order_prepend_kwargs_and_handle_context():
    calls = []
    lin = nn.Linear(2, 2)
    lin.register_forward_hook(lambda m, a, o: calls.append("a"))
    lin.register_forward_hook(lambda m, a, o: calls.append("b"), prepend=True)
    lin.register_forward_pre_hook(
        lambda m, a, k: calls.append(("kw", sorted(k))) or None, with_kwargs=True
    )
    with lin.register_forward_hook(lambda m, a, o: calls.append("ctx")):
        lin(lamina.zeros(1, 2))
    lin(lamina.zeros(1, 2))
    assert calls == [("kw", []), "b", "a", "ctx", ("kw", []), "b", "a"]


def test_always_call_hook_runs_when_forward_raises():
    seen = []
    lin = nn.Linear(2, 2)
    lin.register_forward_hook(lambda m, a, o: seen.append(o), always_call=True)
    with pytest.raises(ValueError):
        lin(lamina.zeros(1, 3))
    assert seen == [None]


def _WithBuffers(mod):
    """The same module class written against lamina.nn or torch.nn."""
    make = lamina.tensor if mod is nn else torch.tensor

    class WithBuffers(mod.Module):
        def __init__(self):
            super().__init__()
            self.kept = mod.Buffer(make([1.0, 2.0]))
            self.scratch = mod.Buffer(make([3.0]), persistent=False)
            self.register_buffer("temp", make([4.0]), persistent=False)

    return WithBuffers()


def test_buffer_assignment_and_non_persistent_match_torch():
    a, b = _WithBuffers(nn), _WithBuffers(torch.nn)
    assert list(a.state_dict()) == list(b.state_dict()) == ["kept"]
    assert [n for n, _ in a.named_buffers()] == [n for n, _ in b.named_buffers()]
    assert type(a.kept) is lamina.Tensor
    a.kept = lamina.tensor([5.0, 6.0])  # reassigning a buffer keeps it a buffer
    assert "kept" in a._buffers
    with pytest.raises(TypeError, match="buffer"):
        a.register_buffer("bad", np.zeros(2))


def test_parameter_list_and_dict_match_torch_names():
    lamina.manual_seed(0)
    pl = nn.ParameterList([nn.Parameter(lamina.zeros(2)), lamina.ones(3)])
    pl.append(nn.Parameter(lamina.zeros(1)))
    tl = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(2)), torch.ones(3)])
    tl.append(torch.nn.Parameter(torch.zeros(1)))
    assert [n for n, _ in pl.named_parameters()] == [n for n, _ in tl.named_parameters()]
    assert all(isinstance(p, nn.Parameter) for p in pl) and len(pl) == 3
    pd = nn.ParameterDict({"w": nn.Parameter(lamina.zeros(2)), "b": lamina.zeros(1)})
    td = torch.nn.ParameterDict({"w": torch.nn.Parameter(torch.zeros(2)), "b": torch.zeros(1)})
    assert list(pd.state_dict()) == list(td.state_dict())
    assert "w" in pd and isinstance(pd["b"], nn.Parameter)


def test_training_mode_restores_each_flag_even_on_error():
    m = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    m[1].eval()  # a half-eval model comes back exactly as it was
    with pytest.raises(RuntimeError), nn.utils.training_mode(m, False):
        assert not m.training and not m[0].training
        raise RuntimeError("boom")
    assert m.training and m[0].training and not m[1].training


class _Blocks(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(3, 4)])
        self.heads = nn.ModuleDict({"out": nn.Linear(5, 1)})

    def forward(self, x, skip_blocks=False):
        if not skip_blocks:
            for block in self.blocks:
                x = block(x)
        return self.heads["out"](x)


def test_errors_from_module_list_loops_name_the_path():
    with pytest.raises(ValueError) as info:
        nn.Sequential(_Blocks())(lamina.zeros(2, 4))
    assert info.value.__notes__ == ["in layer 0.blocks.2 (Linear)"]
    assert "in_features=3" in str(info.value)
    with pytest.raises(ValueError) as info:
        _Blocks()(lamina.zeros(2, 4), skip_blocks=True)
    assert info.value.__notes__ == ["in layer heads.out (Linear)"]


def test_device_and_dtype_keywords_on_layers():
    lin = nn.Linear(3, 2, True, "cpu", None)  # torch's positional order
    assert lin.weight.dtype == np.float32
    lin64 = nn.Linear(3, 2, False, lamina.device("cpu"), lamina.float64)
    assert lin64.weight.dtype == np.float64 and lin64.bias is None
    assert nn.Conv2d(1, 2, 3, device="cpu", dtype=lamina.float64).weight.dtype == np.float64
    for make in (
        lambda **k: nn.LSTM(2, 3, **k),
        lambda **k: nn.LSTMCell(2, 3, **k),
        lambda **k: nn.GRUCell(2, 3, **k),
        lambda **k: nn.BatchNorm2d(3, **k),
        lambda **k: nn.LayerNorm(3, **k),
        lambda **k: nn.Embedding(4, 3, **k),
        lambda **k: nn.ConvTranspose2d(2, 3, 3, **k),
    ):
        layer = make(device="cpu", dtype=None)
        assert {p.dtype for p in layer.parameters()} == {np.dtype(np.float32)}
        assert {p.dtype for p in make(dtype=np.float64).parameters()} == {np.dtype(np.float64)}
        with pytest.raises(RuntimeError, match="CPU only"):
            make(device="cuda")
    with pytest.raises(TypeError, match="floating point"):
        nn.Linear(2, 2, dtype=lamina.int64)


def test_module_to_type_float_double_and_cuda():
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    w = m[0].weight
    assert m.to(lamina.float64) is m and m[0].weight is w and w.dtype == np.float64
    assert m[1].num_batches_tracked.dtype == np.int64  # .to(dtype) casts floating tensors only
    m.to("cpu", lamina.float32)
    assert w.dtype == np.float32
    assert m.to(lamina.device("cpu")) is m and w.dtype == np.float32
    m.double()
    assert w.dtype == np.float64
    m.to(lamina.zeros(1))  # to(other_tensor) takes its dtype
    assert w.dtype == np.float32
    m.type(lamina.float64)
    assert m[1].num_batches_tracked.dtype == np.float64  # type() casts everything, as torch
    for bad in (lambda: m.cuda(), lambda: m.to("cuda"), lambda: m.to("cuda:0")):
        with pytest.raises(RuntimeError, match="CPU only"):
            bad()
    tm = torch.nn.BatchNorm1d(2).type(torch.float64)
    assert tm.num_batches_tracked.dtype == torch.float64


def test_state_dict_values_are_detached_tensors_sharing_memory_as_torch():
    m, t = _pair()
    sd, tsd = m.state_dict(), t.state_dict()
    assert all(type(v) is lamina.Tensor and not v.requires_grad for v in sd.values())
    assert all(not v.requires_grad for v in tsd.values())
    with lamina.no_grad():
        m[0].weight.mul_(2.0)
    with torch.no_grad():
        t[0].weight.mul_(2.0)
    # both see the in-place update through the earlier state dict
    np.testing.assert_allclose(np.asarray(sd["0.weight"]), tsd["0.weight"].numpy(), rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(sd["0.weight"]), np.asarray(m[0].weight))


def test_load_state_dict_takes_tensors_arrays_and_torch_tensors():
    m, t = _pair(seed=1)
    src = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    for convert in (
        lambda v: v,
        lambda v: np.asarray(v).copy(),
        lambda v: torch.tensor(np.asarray(v)),
    ):
        m.load_state_dict({k: convert(v) for k, v in src.state_dict().items()})
        for k, v in src.state_dict().items():
            np.testing.assert_array_equal(np.asarray(m.state_dict()[k]), np.asarray(v))
    with pytest.raises(RuntimeError, match="size mismatch for 0.weight"):
        m.load_state_dict({**src.state_dict(), "0.weight": np.zeros((2, 2), np.float32)})
