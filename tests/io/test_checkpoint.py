"""Pickle-free checkpoints: exact round trips, hostile skeletons, atomic writes, fuzzing."""

import json
import math
import os
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lamina.io import (
    LaminaFileError,
    atomic_write_bytes,
    is_checkpoint,
    load_checkpoint,
    load_file,
    save_checkpoint,
    save_file,
)
from lamina.io.checkpoint import FORMAT


def _state():
    rng = np.random.default_rng(0)
    return {
        "model": OrderedDict(
            [
                ("conv.weight", rng.standard_normal((2, 1, 3, 3)).astype(np.float32)),
                ("bn.num_batches_tracked", np.array(5)),
            ]
        ),
        "optimizer": {
            "state": {0: {"step": np.float32(3.0), "exp_avg": np.zeros(3)}, 1: {}},
            "param_groups": [
                {
                    "lr": 0.1,
                    "betas": (0.9, 0.999),
                    "params": [0, 1],
                    "nesterov": False,
                    "foreach": None,
                }
            ],
        },
        "epoch": 7,
        "big": 2**80,
        "history": {"loss": [1.5, 0.25, float("nan")], "neg_zero": -0.0, "inf": float("inf")},
        "name": 'résnet "quoted" \n',
        "raw": b"\x00\xffbytes",
        (1, "tuple key"): True,
        0: "int key",
        "0": "str key colliding with the int key's tensor name",
        "arrays_in_list": [np.arange(3), (np.ones(2, np.float16),)],
        "nested": {"0": {"x": np.array([2])}},
        "nested.0": {"x": np.array([3])},  # same dotted name as nested -> 0 -> x
    }


def _assert_same(a, b, where="root"):
    assert type(a) is type(b), f"{where}: {type(a)} vs {type(b)}"
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, np.generic):
        assert a.dtype == b.dtype and a == b, where
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            _assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), where
    else:
        assert a == b and repr(a) == repr(b), where  # repr: -0.0 vs 0.0


def test_round_trip_is_exact(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    state = _state()
    save_checkpoint(state, path)
    assert is_checkpoint(path)
    _assert_same(state, load_checkpoint(path))


def test_checkpoint_is_plain_safetensors_with_dotted_keys(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    save_checkpoint(_state(), path)
    keys = set(load_file(path))
    assert {"model.conv.weight", "optimizer.state.0.exp_avg", "arrays_in_list.1.0"} <= keys
    assert "nested.0.x" in keys and "nested.0.x#1" in keys  # collision resolved, both stored


def test_tensor_like_leaves_are_saved_as_arrays(tmp_path):
    class FakeTensor:
        def __init__(self, a):
            self.data = a

    path = tmp_path / "t.safetensors"
    save_checkpoint({"w": FakeTensor(np.ones(2, np.float32))}, path)
    np.testing.assert_array_equal(load_checkpoint(path)["w"], np.ones(2, np.float32))


@pytest.mark.parametrize(
    "state, match",
    [
        ({"f": lambda: 0}, "'f' is function"),
        ({"a": {"b": object()}}, "'a.b' is object"),
        ({"a": {frozenset(): 1}}, "dict key frozenset"),
        ({"c": np.ones(2, complex)}, "complex128"),
        ([1], "state must be a dict"),
    ],
)
def test_unsupported_values_raise_type_error(tmp_path, state, match):
    with pytest.raises(TypeError, match=match):
        save_checkpoint(state, tmp_path / "x.safetensors")
    assert not os.listdir(tmp_path)  # nothing half-written


def _write_skeleton(path, skeleton_text, arrays=None):
    meta = {"format": FORMAT, "lamina.checkpoint": skeleton_text}
    save_file(arrays or {}, path, metadata=meta)


@pytest.mark.parametrize(
    "text, match",
    [
        ("{not json", "not JSON"),
        ('{"$": "exec", "items": []}', "unknown node"),
        ('{"$": "array", "key": "missing"}', "not in the file"),
        ('{"$": "dict", "items": [[[1], 2]]}', "unhashable dict key"),
        ('{"$": "dict", "items": [1]}', "not a \\[key, value\\] pair"),
        ('{"$": "bytes", "hex": "zz"}', "not hex"),
        ('{"$": "scalar", "key": "a"}', "expected \\(\\)"),
        ("[1, 2]", "root is list"),
        ("[" * 5000 + "]" * 5000, "deeper than|not JSON"),
    ],
)
def test_hostile_skeletons_raise_lamina_error(tmp_path, text, match):
    path = tmp_path / "h.safetensors"
    _write_skeleton(path, text, {"a": np.ones(2)})
    with pytest.raises(LaminaFileError, match=match):
        load_checkpoint(path)


def test_plain_safetensors_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "p.safetensors"
    save_file({"a": np.ones(1)}, path)
    assert not is_checkpoint(path)
    with pytest.raises(LaminaFileError, match="expected 'lamina.checkpoint/1'"):
        load_checkpoint(path)


def test_atomic_write_bytes(tmp_path):
    path = tmp_path / "f.bin"
    atomic_write_bytes(path, b"one")
    atomic_write_bytes(path, b"two")
    assert path.read_bytes() == b"two"
    assert os.listdir(tmp_path) == ["f.bin"]
    umask = os.umask(0o022)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask  # as open() would, not mkstemp's 0600
    with pytest.raises(TypeError, match="must be bytes, got str"):
        atomic_write_bytes(path, "three")
    assert path.read_bytes() == b"two"


def test_fuzz_skeletons(tmp_path):
    leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4)
    tags = st.sampled_from(["array", "scalar", "tuple", "dict", "odict", "bytes", "x"])
    nodes = st.recursive(
        leaves | st.sampled_from(["a", "0", "zz", "00ff"]),
        lambda kids: (
            st.lists(kids, max_size=3)
            | st.fixed_dictionaries({"$": tags}, optional={"key": kids, "items": kids, "hex": kids})
        ),
        max_leaves=10,
    )
    count = 0

    @settings(
        max_examples=200,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(nodes)
    def case(node):
        nonlocal count
        count += 1
        path = tmp_path / "f.safetensors"
        _write_skeleton(path, json.dumps(node), {"a": np.ones(2), "s": np.array(1.0)})
        try:
            load_checkpoint(path)
        except LaminaFileError:
            pass

    case()
    print(f"\nfuzz checkpoint skeleton cases: {count}")
    assert count >= 100
