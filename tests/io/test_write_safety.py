"""Writes that cannot leave an unreadable file: reserved names, long names, zip CRCs."""

import os

import numpy as np
import pytest

import lamina
from lamina.io import LaminaFileError, load_checkpoint, save_checkpoint, save_file
from lamina.io.pth import load_pth
from tests.io._pthcraft import sample_zip


def test_reserved_name_refused_before_writing(tmp_path):
    path = tmp_path / "good.safetensors"
    lamina.save({"w": np.ones(2, np.float32)}, path)
    before = path.read_bytes()
    for write in (
        lambda: save_file({"__metadata__": np.ones(2, np.float32)}, path),
        lambda: lamina.save({"__metadata__": np.ones(2, np.float32)}, path),
    ):
        with pytest.raises(ValueError, match="'__metadata__' is reserved"):
            write()
        assert path.read_bytes() == before  # the good file is untouched
    assert sorted(os.listdir(tmp_path)) == ["good.safetensors"]  # no temp file left


def test_reserved_name_inside_a_checkpoint_round_trips(tmp_path):
    path = tmp_path / "c.safetensors"
    state = {"__metadata__": np.arange(3.0), "epoch": 2, "model": {"__metadata__": np.ones(1)}}
    save_checkpoint(state, path)
    back = load_checkpoint(path)
    np.testing.assert_array_equal(back["__metadata__"], state["__metadata__"])
    np.testing.assert_array_equal(back["model"]["__metadata__"], np.ones(1))
    assert back["epoch"] == 2


@pytest.mark.parametrize("nbytes", [200, 241, 242, 250, 254, 255])
def test_every_legal_file_name_saves(tmp_path, nbytes):
    # ASCII; and "x" + 2-byte characters, so the temp name's 200-byte cut splits one
    names = ["a" * (nbytes - 3) + ".st", "x" + "é" * ((nbytes - 4) // 2) + ".st"]
    for name in names:
        assert len(os.fsencode(name)) <= 255
        path = tmp_path / name
        lamina.save({"w": np.full(2, nbytes, np.float32)}, path)
        np.testing.assert_array_equal(lamina.load(path)["w"], np.full(2, nbytes, np.float32))
        lamina.save({"w": np.zeros(2, np.float32)}, path)  # replacing works too
        np.testing.assert_array_equal(lamina.load(path)["w"], np.zeros(2, np.float32))
    assert sorted(os.listdir(tmp_path)) == sorted(names)  # no temp file left


def test_zip_member_bit_flip_is_caught(tmp_path):
    data, _ = sample_zip()
    store = np.arange(8, dtype=np.float32).tobytes()
    flipped = bytearray(data)
    flipped[data.find(store) + 9] ^= 1
    path = tmp_path / "f.pth"
    path.write_bytes(bytes(flipped))
    with pytest.raises(LaminaFileError, match=r"'archive/data/0': CRC-32 [0-9a-f]{8}, expected"):
        load_pth(path)
    path.write_bytes(data)  # the unflipped file loads
    assert set(load_pth(path)) == {"w", "b"}
