"""Every reader refuses a file whose header claims ~10^12 elements before allocating.

Each hostile file is a few hundred bytes whose header claims a tensor of 10^12 elements
(4 TB); the reader must raise its documented error (LaminaFileError / DatasetFileError,
both ValueErrors) while tracemalloc sees a peak below 1 MiB. The readers' hypothesis
fuzzers live beside them in tests/io and tests/data (counts in docs/reliability.md).
"""

import gzip
import json
import struct
import tracemalloc

import numpy as np
import pytest

from lamina.data.datasets import DatasetFileError, read_idx
from lamina.data.datasets.cifar import read_cifar_binary
from lamina.io import LaminaFileError, load_checkpoint, load_file, load_pth
from lamina.io.checkpoint import FORMAT
from tests.io import _pthcraft as pc

TERA = 10**12
LIMIT = 2**20  # bytes a reader may allocate for a file of a few hundred bytes


def _peak(fn, exc) -> int:
    """Run fn expecting exc; return tracemalloc's peak (NumPy reports to it) in bytes."""
    tracemalloc.start()
    try:
        with pytest.raises(exc) as info:
            fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(info.value), "the error has a message"
    return peak


def _safetensors(header: dict, data: bytes = b"\0" * 16) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def _huge_safetensors(meta=None) -> bytes:
    entry = {"dtype": "F32", "shape": [10**6, 10**6], "data_offsets": [0, 4 * TERA]}
    return _safetensors({"x": entry, **({"__metadata__": meta} if meta else {})})


HOSTILE = {
    "safetensors-1e12-elements": (_huge_safetensors(), load_file, LaminaFileError, "outside"),
    "safetensors-header-length-2^63": (
        struct.pack("<Q", 2**63) + b"{}",
        load_file,
        LaminaFileError,
        "header length",
    ),
    "checkpoint-1e12-elements": (
        _huge_safetensors({"format": FORMAT, "lamina.checkpoint": '{"$":"dict","items":[]}'}),
        load_checkpoint,
        LaminaFileError,
        "outside",
    ),
    "pth-zip-storage-1e12": (
        pc.make_zip(
            pc.dict_pickle({"w": pc.tensor("0", TERA, 0, (TERA,), (1,))}), {"0": b"\0" * 8}
        ),
        load_pth,
        LaminaFileError,
        "needs 4000000000000 bytes",
    ),
    "pth-legacy-storage-1e12": (
        pc.make_legacy(
            pc.dict_pickle({"w": pc.tensor("0", TERA, 0, (TERA,), (1,), legacy=True)}),
            {"0": np.zeros(2, np.float32)},
        ),
        load_pth,
        LaminaFileError,
        "1000000000000 recorded",
    ),
    "idx-1e12-elements": (
        bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 10**4, 10**4, 10**4) + b"\0" * 16,
        read_idx,
        DatasetFileError,
        "needs 1000000000016",
    ),
    "idx-gzip-1e12-elements": (
        gzip.compress(
            bytes([0, 0, 0x0D, 3]) + struct.pack(">3I", 10**4, 10**4, 10**4) + b"\0" * 64
        ),
        read_idx,
        DatasetFileError,
        "truncated",
    ),
    "cifar-ragged-size": (
        b"\0" * 3073 * 2 + b"\1",
        read_cifar_binary,
        DatasetFileError,
        "multiple of 3073",
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_oversized_header_refused_before_allocating(tmp_path, name):
    data, reader, exc, match = HOSTILE[name]
    path = tmp_path / name
    path.write_bytes(data)
    peak = _peak(lambda: reader(path), exc)
    assert peak < LIMIT, f"{name}: {peak} bytes allocated for a {len(data)}-byte file"
    with pytest.raises(exc, match=match):
        reader(path)
    with pytest.raises(ValueError):  # both documented errors are ValueErrors
        reader(path)


ARRAYS = {
    "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
    "s": {"dtype": "I64", "shape": [], "data_offsets": [24, 32]},
}
DATA = np.arange(6, dtype="<f4").tobytes() + np.array(3, "<i8").tobytes()


def test_unhashable_json_values_are_refused(tmp_path):
    """Regressions found by the fuzzers: a JSON list where a string key/dtype belongs."""
    path = tmp_path / "x.safetensors"
    path.write_bytes(_safetensors({"x": {"dtype": [], "shape": [], "data_offsets": [0, 0]}}, b""))
    with pytest.raises(LaminaFileError, match="dtype"):
        load_file(path)
    meta = {"format": FORMAT, "lamina.checkpoint": '{"$":"array","key":["a"]}'}
    path.write_bytes(_safetensors({**ARRAYS, "__metadata__": meta}, DATA))
    with pytest.raises(LaminaFileError, match="array key"):
        load_checkpoint(path)
