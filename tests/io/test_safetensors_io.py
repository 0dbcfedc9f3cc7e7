"""Safetensors reading/writing: round trips, torch interop, hostile headers, fuzzing."""

import json
import os
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lamina.io import LaminaFileError, load_file, load_metadata, read_header, save_file

FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _sample() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    base = rng.standard_normal((4, 6)).astype(np.float32)
    return {
        "f32": base,
        "f64": rng.standard_normal(5),
        "f16": base[0].astype(np.float16),
        "i64": np.arange(-3, 3),
        "i32": np.arange(4, dtype=np.int32),
        "i16": np.arange(4, dtype=np.int16),
        "i8": np.array([-128, 127], dtype=np.int8),
        "u8": np.array([0, 255], dtype=np.uint8),
        "bool": np.array([True, False, True]),
        "scalar": np.array(2.5, dtype=np.float32),
        "empty": np.zeros((0, 3), np.float32),
        "strided": base[:, ::2],  # non-contiguous view
        "offset": base[1:3, 2:5],
        "bigendian": np.arange(3.0).astype(">f8"),
    }


def _raw(header: dict, data: bytes = b"") -> bytes:
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


def test_round_trip_dtypes_shapes_views(tmp_path):
    path = tmp_path / "a.safetensors"
    src = _sample()
    save_file(src, path, metadata={"note": "hi"})
    out = load_file(path)
    assert set(out) == set(src)
    for k, v in src.items():
        assert out[k].shape == v.shape, k
        assert out[k].dtype == v.dtype.newbyteorder("="), k
        np.testing.assert_array_equal(out[k], v, err_msg=k)
    assert load_metadata(path) == {"note": "hi"}
    out["f32"][0, 0] = 7.0  # arrays are writable


def test_save_is_atomic_and_leaves_no_temp(tmp_path):
    path = tmp_path / "w.safetensors"
    save_file({"a": np.ones(3)}, path)
    with pytest.raises(TypeError, match="complex128"):
        save_file({"a": np.ones(3, complex)}, path)
    np.testing.assert_array_equal(load_file(path)["a"], np.ones(3))  # old file intact
    save_file({"b": np.zeros(2)}, path)
    assert list(load_file(path)) == ["b"]
    assert os.listdir(tmp_path) == ["w.safetensors"]


@pytest.mark.parametrize(
    "tensors, metadata, match",
    [
        ({1: np.ones(1)}, None, "keys must be str"),
        ({"a": [1.0]}, None, "expected numpy.ndarray"),
        ({"a": np.array(["x"])}, None, "dtype <U1"),
        ({"a": np.ones(1)}, {"k": 1}, "metadata must be str -> str"),
    ],
)
def test_save_rejects_bad_input(tmp_path, tensors, metadata, match):
    with pytest.raises(TypeError, match=match):
        save_file(tensors, tmp_path / "x.safetensors", metadata)


def test_reads_torch_written_file_including_bfloat16(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file as torch_save

    src = {
        "w": torch.randn(3, 4),
        "bf": torch.tensor([1.5, -2.25, 3.0e38], dtype=torch.bfloat16),
        "n": torch.arange(5),
    }
    torch_save(src, str(tmp_path / "t.safetensors"))
    out = load_file(tmp_path / "t.safetensors")
    np.testing.assert_array_equal(out["w"], src["w"].numpy())
    np.testing.assert_array_equal(out["bf"], src["bf"].float().numpy())
    assert out["bf"].dtype == np.float32
    np.testing.assert_array_equal(out["n"], src["n"].numpy())


def test_written_file_loads_in_torch(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file as torch_load

    src = {"a": np.arange(6, dtype=np.float32).reshape(2, 3)[:, 1:]}
    save_file(src, tmp_path / "n.safetensors")
    assert torch.equal(torch_load(str(tmp_path / "n.safetensors"))["a"], torch.from_numpy(src["a"]))


HOSTILE = {
    "too_short": b"\x01\x02",
    "header_past_end": struct.pack("<Q", 10**6) + b"{}",
    "header_over_100MB": struct.pack("<Q", 2**60) + b"{}" + b" " * 64,
    "not_json": struct.pack("<Q", 4) + b"{{{{",
    "not_utf8": struct.pack("<Q", 2) + b"\xff\xfe",
    "json_list": _raw([1, 2]),  # type: ignore[arg-type]
    "huge_claim": _raw({"x": {"dtype": "F32", "shape": [10**6, 10**6], "data_offsets": [0, 8]}})
    + b"\0" * 8,
    "offsets_past_end": _raw({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}) + b"\0",
    "list_dtype": _raw({"x": {"dtype": [], "shape": [0], "data_offsets": [0, 0]}}),
    "bad_dtype": _raw({"x": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}) + b"\0" * 16,
    "negative_dim": _raw({"x": {"dtype": "U8", "shape": [-1], "data_offsets": [0, 0]}}),
    "bool_dim": _raw({"x": {"dtype": "U8", "shape": [True], "data_offsets": [0, 1]}}) + b"\0",
    "overlap": _raw(
        {
            "x": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]},
            "y": {"dtype": "U8", "shape": [2], "data_offsets": [1, 3]},
        }
    )
    + b"\0" * 3,
    "trailing_bytes": _raw({"x": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}) + b"\0\0",
    "bad_metadata": _raw({"__metadata__": {"a": 1}}),
    "deep_json": struct.pack("<Q", 200000) + b"[" * 100000 + b"]" * 100000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_headers_raise_lamina_error(tmp_path, name):
    path = tmp_path / f"{name}.safetensors"
    path.write_bytes(HOSTILE[name])
    with pytest.raises(LaminaFileError) as info:
        load_file(path)
    assert str(path) in str(info.value)


def test_truncated_file_raises(tmp_path):
    path = tmp_path / "t.safetensors"
    save_file(_sample(), path)
    data = path.read_bytes()
    for cut in (0, 7, 8, 50, len(data) // 2, len(data) - 1):
        path.write_bytes(data[:cut])
        with pytest.raises(LaminaFileError):
            load_file(path)


def test_missing_file_raises(tmp_path):
    with pytest.raises(LaminaFileError, match="cannot read"):
        load_file(tmp_path / "nope.safetensors")


def test_read_header_reports_layout(tmp_path):
    save_file({"a": np.ones((2, 3), np.float32)}, tmp_path / "h.safetensors")
    tensors, meta = read_header(tmp_path / "h.safetensors")
    assert tensors == {"a": ("F32", (2, 3), 0, 24)} and meta == {}


def _check_load(path, data: bytes) -> None:
    """The reader may succeed or raise LaminaFileError; anything else fails the test."""
    path.write_bytes(data)
    try:
        out = load_file(path)
    except LaminaFileError:
        return
    assert isinstance(out, dict) and all(isinstance(v, np.ndarray) for v in out.values())


def _valid_bytes() -> bytes:
    import safetensors.numpy

    return safetensors.numpy.save({k: np.ascontiguousarray(v) for k, v in _sample().items()})


def test_fuzz_mutated_valid_file(tmp_path):
    valid, count = _valid_bytes(), 0

    @FUZZ
    @given(
        edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8),
        cut=st.none() | st.integers(0, 10**6),
    )
    def case(edits, cut):
        nonlocal count
        count += 1
        data = bytearray(valid)
        for pos, val in edits:
            data[pos % len(data)] = val
        if cut is not None:
            data = data[: cut % (len(data) + 1)]
        _check_load(tmp_path / "m.safetensors", bytes(data))

    case()
    print(f"\nfuzz safetensors mutated-file cases: {count}")
    assert count >= 100


_LEAF = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.text(max_size=5)
    | st.sampled_from(["F32", "U8", "BF16", "F16", "BOOL"])
)
_KEYS = st.sampled_from(["x", "y", "dtype", "shape", "data_offsets", "__metadata__"])
HEADERS = st.recursive(
    _LEAF,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(_KEYS, kids, max_size=4),
    max_leaves=12,
)


def test_fuzz_random_header(tmp_path):
    count = 0

    @FUZZ
    @given(header=HEADERS, tail=st.binary(max_size=64))
    def case(header, tail):
        nonlocal count
        count += 1
        _check_load(tmp_path / "r.safetensors", _raw(header, tail))

    case()
    print(f"\nfuzz safetensors random-header cases: {count}")
    assert count >= 100
