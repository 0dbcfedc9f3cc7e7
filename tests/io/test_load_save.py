"""lamina.io.load / save: format dispatch, tensor-like inputs, interop, fuzzing."""

import os
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lamina.io import LaminaFileError, load, load_file, save, save_file

from . import _pthcraft as pc


class _Tensorish:
    """Stands in for a lamina Tensor: an ndarray in ``.data``."""

    def __init__(self, data):
        self.data = data


class _Numpyish:
    """Stands in for a torch tensor: ``.numpy()``."""

    def __init__(self, data):
        self._a = data

    def numpy(self):
        return self._a


class _Module:
    def state_dict(self):
        return OrderedDict(weight=_Tensorish(np.ones((2, 2), np.float32)))


def test_save_flat_state_dict_of_tensor_likes(tmp_path):
    path = tmp_path / "m.safetensors"
    save({"a": _Tensorish(np.arange(3.0)), "b": _Numpyish(np.ones(2, np.int64))}, path)
    out = load(path)
    np.testing.assert_array_equal(out["a"], np.arange(3.0))
    np.testing.assert_array_equal(out["b"], np.ones(2, np.int64))
    assert set(load_file(path)) == {"a", "b"}  # a plain safetensors file


def test_save_module_uses_its_state_dict(tmp_path):
    save(_Module(), tmp_path / "mod.safetensors")
    np.testing.assert_array_equal(load(tmp_path / "mod.safetensors")["weight"], np.ones((2, 2)))


def test_save_nested_becomes_checkpoint(tmp_path):
    state = {"model": {"w": np.ones(2)}, "epoch": 4}
    save(state, tmp_path / "c.safetensors")
    out = load(tmp_path / "c.safetensors")
    assert out["epoch"] == 4 and out["model"]["w"].tolist() == [1.0, 1.0]


def test_save_rejects_non_dict(tmp_path):
    with pytest.raises(TypeError, match="expected a state dict or Module, got list"):
        save([np.ones(1)], tmp_path / "x.safetensors")


def test_load_dispatches_on_content_not_extension(tmp_path):
    arr = np.arange(4, dtype=np.float32)
    save_file({"x": arr}, tmp_path / "weights.bin")  # safetensors under a torch-ish name
    np.testing.assert_array_equal(load(tmp_path / "weights.bin")["x"], arr)
    zdata, w = pc.sample_zip()
    (tmp_path / "z.safetensors").write_bytes(zdata)  # a torch zip under a safetensors name
    np.testing.assert_array_equal(load(tmp_path / "z.safetensors")["w"], w)
    ldata, _ = pc.sample_legacy()
    (tmp_path / "legacy.pt").write_bytes(ldata)
    np.testing.assert_array_equal(load(tmp_path / "legacy.pt")["w"], w)


def test_load_header_length_starting_with_0x80_is_safetensors(tmp_path):
    # a header of 0x80 bytes puts 0x80 first, like a pickle's PROTO opcode; written by hand
    # (the format pads a header with spaces) so the case is certain whatever safetensors pads
    header = b'{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}'.ljust(0x80)
    path = tmp_path / "h.safetensors"
    path.write_bytes(len(header).to_bytes(8, "little") + header + b"\x07")
    assert path.read_bytes()[0] == 0x80
    got = load(path)
    assert list(got) == ["w"] and got["w"].tolist() == [7]


@pytest.mark.parametrize("data", [b"", b"hello", b"\x00" * 16, b"GIF89a" + b"\x00" * 10])
def test_load_unknown_or_broken_raises(tmp_path, data):
    path = tmp_path / "f.dat"
    path.write_bytes(data)
    with pytest.raises(LaminaFileError, match=str(path)):
        load(path)


def test_load_missing_file(tmp_path):
    with pytest.raises(LaminaFileError, match="cannot read"):
        load(tmp_path / "missing.pth")


def test_torch_reads_what_lamina_saves_and_vice_versa(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file as torch_load

    sd = torch.nn.Linear(3, 2).state_dict()
    torch.save(sd, tmp_path / "lin.pth")
    ours = load(tmp_path / "lin.pth")
    save(ours, tmp_path / "lin.safetensors")
    back = torch_load(str(tmp_path / "lin.safetensors"))
    assert set(back) == set(sd) and all(torch.equal(back[k], sd[k]) for k in sd)
    save({k: v for k, v in sd.items()}, tmp_path / "direct.safetensors")  # torch tensors
    assert torch.equal(torch_load(str(tmp_path / "direct.safetensors"))["weight"], sd["weight"])


def test_import_is_light():
    import lamina.io

    src = str(Path(lamina.io.__file__).parents[2])
    code = "import sys, lamina.io; print('safetensors' in sys.modules, 'torch' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": src}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.split() == ["False", "False"]


def test_fuzz_load_random_bytes(tmp_path):
    count = 0
    prefixes = st.sampled_from([b"", b"PK\x03\x04", b"\x80\x02", b"\x10\x00\x00\x00" + b"\0" * 4])

    @settings(
        max_examples=200,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(prefixes, st.binary(max_size=200), st.sampled_from([".pth", ".safetensors", ".x"]))
    def case(prefix, body, ext):
        nonlocal count
        count += 1
        path = tmp_path / f"r{ext}"
        path.write_bytes(prefix + body)
        try:
            load(path)
        except LaminaFileError:
            pass

    case()
    print(f"\nfuzz load() random-bytes cases: {count}")
    assert count >= 100
