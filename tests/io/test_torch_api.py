"""lamina.save / lamina.load with torch.save / torch.load's interface (no pickle)."""

import io

import numpy as np
import pytest

import lamina as L
from tests.oracle import torch


def _same(got, want):
    """Structures equal, every array leaf a lamina Tensor with want's values and dtype."""
    if isinstance(want, np.ndarray):
        assert isinstance(got, L.Tensor)
        assert got.dtype == want.dtype and np.array_equal(got.numpy(), want)
    elif isinstance(want, dict):
        assert isinstance(got, dict) and list(got) == list(want)
        for k in want:
            _same(got[k], want[k])
    elif isinstance(want, (list, tuple)):
        assert type(got) is type(want) and len(got) == len(want)
        for g, w in zip(got, want):
            _same(g, w)
    else:
        assert got == want and type(got) is type(want)


@pytest.mark.parametrize(
    "obj",
    [
        np.arange(6, dtype=np.float32).reshape(2, 3),
        np.arange(4),
        {"weight": np.ones((2, 2), np.float32), "bias": np.zeros(2, np.float32)},
        {"epoch": 3, "model": {"w": np.ones(3)}, "hist": [0.5, 0.25], "t": (1, "a", None)},
        [np.ones(2, np.float32), {"x": True, "y": b"raw"}],
    ],
)
def test_round_trip_gives_tensors(tmp_path, obj):
    def tensors(o):
        if isinstance(o, np.ndarray):
            return L.tensor(o)
        if isinstance(o, dict):
            return {k: tensors(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return type(o)(tensors(v) for v in o)
        return o

    L.save(tensors(obj), tmp_path / "f.pt")
    _same(L.load(tmp_path / "f.pt"), obj)


def test_file_objects_and_map_location(tmp_path):
    buf = io.BytesIO()
    L.save({"w": L.ones(2, 3)}, buf)
    buf.seek(0)
    got = L.load(buf, map_location="cpu")
    assert np.array_equal(got["w"].numpy(), np.ones((2, 3), np.float32))
    buf.seek(0)
    with pytest.raises(RuntimeError, match="CPU"):
        L.load(buf, map_location="cuda")


def test_a_state_dict_loads_back_into_the_model(tmp_path):
    L.manual_seed(0)
    a, b = L.nn.Linear(3, 2), L.nn.Linear(3, 2)
    L.save(a.state_dict(), tmp_path / "a.pt")
    b.load_state_dict(L.load(tmp_path / "a.pt"))
    x = L.randn(4, 3)
    assert np.array_equal(a(x).detach().numpy(), b(x).detach().numpy())


def test_a_module_that_cannot_be_described_is_refused_and_nothing_written(tmp_path):
    """Whole modules save (tests/io/test_whole_module.py); one holding a value lamina cannot
    write as data raises TypeError naming it and pointing to state_dict(), writing no file."""
    m = L.nn.Linear(2, 2)
    m.opened = open(tmp_path / "other.txt", "w")
    with pytest.raises(TypeError, match=r"Linear\.opened.*state_dict\(\)"):
        L.save(m, tmp_path / "m.pt")
    m.opened.close()
    assert not (tmp_path / "m.pt").exists()


def test_reads_what_torch_save_wrote(tmp_path):
    state = {"w": torch.arange(6.0).reshape(2, 3), "n": torch.tensor([1, 2])}
    torch.save(state, tmp_path / "t.pth")
    got = L.load(tmp_path / "t.pth")
    for k, v in state.items():
        assert isinstance(got[k], L.Tensor)
        assert np.array_equal(got[k].numpy(), v.numpy()) and got[k].dtype == v.numpy().dtype


def test_ndarrays_come_back_as_ndarrays_tensors_as_tensors(tmp_path):
    """As torch.save/torch.load (weights_only=False): the kind of each leaf is kept."""
    obj = {"a": np.arange(3), "t": L.ones(2), "mix": [np.zeros(2, np.float32), L.zeros(1)]}
    L.save(obj, tmp_path / "m.pt")
    got = L.load(tmp_path / "m.pt")
    assert type(got["a"]) is np.ndarray and np.array_equal(got["a"], np.arange(3))
    assert isinstance(got["t"], L.Tensor) and isinstance(got["mix"][1], L.Tensor)
    assert type(got["mix"][0]) is np.ndarray
    L.save({"w": np.ones(2), "b": L.ones(1)}, tmp_path / "flat.pt")  # a plain safetensors file
    got = L.load(tmp_path / "flat.pt")
    assert list(got) == ["w", "b"]
    assert type(got["w"]) is np.ndarray and isinstance(got["b"], L.Tensor)
    L.save(np.arange(4), tmp_path / "one.pt")
    assert type(L.load(tmp_path / "one.pt")) is np.ndarray
