"""Reading torch.save files without torch: real files, hostile files, fuzzing."""

import os
import pickle
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lamina.io import LaminaFileError, extract_state_dict, load_pth

from . import _pthcraft as pc

FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FORMATS = pytest.mark.parametrize("zipfmt", [True, False], ids=["zip", "legacy"])


def _torch():
    return pytest.importorskip("torch")


def _save(torch, obj, path, zipfmt=True):
    torch.save(obj, path, _use_new_zipfile_serialization=zipfmt)
    return path


def _tiny_resnet(torch):
    """A torchvision-shaped nest: conv1/bn1/layer1.0.{conv1,bn1,downsample.0}/fc."""
    nn = torch.nn
    block = nn.Module()
    block.conv1 = nn.Conv2d(4, 4, 3, padding=1, bias=False)
    block.bn1 = nn.BatchNorm2d(4)
    block.downsample = nn.Sequential(nn.Conv2d(4, 4, 1, bias=False), nn.BatchNorm2d(4))
    model = nn.Module()
    model.conv1 = nn.Conv2d(3, 4, 7, stride=2, padding=3, bias=False)
    model.bn1 = nn.BatchNorm2d(4)
    model.layer1 = nn.Sequential(block)
    model.fc = nn.Linear(4, 10)
    model.bn1(torch.randn(2, 4, 3, 3))  # non-trivial running stats, num_batches_tracked=1
    return model


@FORMATS
def test_torchvision_like_state_dict(tmp_path, zipfmt):
    torch = _torch()
    sd = _tiny_resnet(torch).state_dict()
    out = load_pth(_save(torch, sd, tmp_path / "r.pth", zipfmt))
    assert isinstance(out, OrderedDict)
    assert list(out) == list(sd)  # same keys, same order
    assert "layer1.0.downsample.1.running_var" in out
    for k, v in sd.items():
        assert out[k].dtype == v.numpy().dtype and out[k].shape == tuple(v.shape), k
        np.testing.assert_array_equal(out[k], v.numpy(), err_msg=k)
    assert out["bn1.num_batches_tracked"] == 1


@FORMATS
def test_dtypes_views_offsets_and_shared_storage(tmp_path, zipfmt):
    torch = _torch()
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    src = {
        "slice": base[1:3, 2:5],
        "transposed": base.t(),
        "row": base[2],
        "strided": base[::2, ::3],
        "whole": base,  # shares storage with the views above
        "expanded": torch.ones(1).expand(5),
        "scalar": torch.tensor(3.5, dtype=torch.float64),
        "empty": torch.zeros(0, 3),
        "f16": torch.tensor([1.5, -2.0], dtype=torch.float16),
        "bf16": torch.tensor([1.5, -2.0, 3.0e38], dtype=torch.bfloat16),
        "i64": torch.arange(-2, 3),
        "i32": torch.arange(3, dtype=torch.int32),
        "i16": torch.arange(3, dtype=torch.int16),
        "i8": torch.tensor([-128, 127], dtype=torch.int8),
        "u8": torch.tensor([0, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False]),
    }
    out = load_pth(_save(torch, src, tmp_path / "v.pth", zipfmt))
    for k, v in src.items():
        ref = v.float().numpy() if v.dtype == torch.bfloat16 else v.numpy()
        assert out[k].dtype == ref.dtype and out[k].shape == ref.shape, k
        np.testing.assert_array_equal(out[k], ref, err_msg=k)
        assert out[k].flags.c_contiguous and out[k].flags.writeable, k
    out["slice"][0, 0] = -1  # copies: writing one does not change another
    assert out["whole"][1, 2] == 8


@FORMATS
def test_parameters(tmp_path, zipfmt):
    torch = _torch()
    model = _tiny_resnet(torch)
    params = dict(model.named_parameters())
    assert isinstance(params["fc.weight"], torch.nn.Parameter)
    out = load_pth(_save(torch, params, tmp_path / "p.pth", zipfmt))
    np.testing.assert_array_equal(out["fc.weight"], params["fc.weight"].detach().numpy())
    single = load_pth(_save(torch, params["fc.bias"], tmp_path / "b.pth", zipfmt))
    np.testing.assert_array_equal(single, params["fc.bias"].detach().numpy())


@FORMATS
def test_pickle_protocol_4_and_requires_grad(tmp_path, zipfmt):
    torch = _torch()
    src = {"a": torch.randn(3, requires_grad=True), "b": torch.arange(4).reshape(2, 2).t()}
    path = tmp_path / "p4.pth"
    torch.save(src, path, pickle_protocol=4, _use_new_zipfile_serialization=zipfmt)
    out = load_pth(path)
    np.testing.assert_array_equal(out["a"], src["a"].detach().numpy())
    np.testing.assert_array_equal(out["b"], src["b"].numpy())


def test_unsupported_tensor_kind_is_named(tmp_path):
    torch = _torch()
    path = _save(torch, {"u": torch.tensor([1, 2]).to(torch.uint16)}, tmp_path / "u.pth")
    with pytest.raises(LaminaFileError, match="_rebuild_tensor_v3 is not supported: only dense"):
        load_pth(path)


@FORMATS
def test_whole_pickled_model_is_refused(tmp_path, zipfmt):
    torch = _torch()
    path = _save(torch, torch.nn.Linear(2, 3), tmp_path / "m.pth", zipfmt)
    with pytest.raises(LaminaFileError, match=r"torch\.nn\.modules\.linear\.Linear is not allowed"):
        load_pth(path)


def test_training_checkpoint_and_extract_state_dict(tmp_path):
    torch = _torch()
    model = _tiny_resnet(torch)
    # what torch.optim.Adam(...).state_dict() holds (building a real one imports torch._dynamo)
    optim = {
        "state": {0: {"step": torch.tensor(1.0), "exp_avg": torch.zeros(4, 3, 7, 7)}},
        "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "amsgrad": False, "params": [0]}],
    }
    wrapped = {f"module.{k}": v for k, v in model.state_dict().items()}  # DataParallel keys
    ckpt = {"epoch": 3, "state_dict": wrapped, "optimizer": optim, "best": 0.5}
    out = load_pth(_save(torch, ckpt, tmp_path / "c.pth"))
    assert out["epoch"] == 3 and out["best"] == 0.5
    assert out["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert out["optimizer"]["state"][0]["exp_avg"].shape == (4, 3, 7, 7)
    sd = extract_state_dict(out)
    assert list(sd) == list(model.state_dict())
    np.testing.assert_array_equal(sd["fc.weight"], model.fc.weight.detach().numpy())


def test_extract_state_dict_unwraps_and_rejects():
    w = np.ones(2)
    assert extract_state_dict({"model": {"a": w}, "epoch": 1}) == {"a": w}
    nested = extract_state_dict({"state_dict": {"enc": {"w": w}, "dec.w": w}})
    assert set(nested) == {"enc.w", "dec.w"}
    assert list(extract_state_dict({"module.a": w}, strip_prefix="")) == ["module.a"]
    with pytest.raises(TypeError, match="'epoch' is int"):
        extract_state_dict({"a": w, "epoch": 1})
    with pytest.raises(TypeError, match="expected a dict, got list"):
        extract_state_dict([w])


# --- hostile files (no torch needed) -----------------------------------------------------


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def _evil_pickle(marker) -> bytes:
    data = pickle.dumps({"weight": _Evil(marker)}, protocol=2)
    assert f"{os.system.__module__}\nsystem".encode() in data  # the payload is real
    return data


@pytest.mark.parametrize("container", ["raw", "zip", "legacy"])
def test_malicious_pickle_is_refused_and_not_run(tmp_path, container):
    marker = tmp_path / "PWNED"
    evil = _evil_pickle(marker)
    data = {"raw": evil, "zip": pc.make_zip(evil, {}), "legacy": pc.make_legacy(evil, {})}
    path = tmp_path / "evil.pth"
    path.write_bytes(data[container])
    with pytest.raises(LaminaFileError, match=r"(posix|os)\.system is not allowed") as info:
        load_pth(path)
    assert str(path) in str(info.value)
    assert not marker.exists()


@pytest.mark.parametrize(
    "module, name",
    [
        ("builtins", "eval"),
        ("builtins", "getattr"),
        ("torch.storage", "_load_from_bytes"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("subprocess", "Popen"),
    ],
)
def test_other_globals_are_refused(tmp_path, module, name):
    pkl = pc.dict_pickle({"x": pc.glob(module, name) + pc.tup(pc.uni("1")) + b"R"})
    path = tmp_path / "g.pth"
    path.write_bytes(pc.make_zip(pkl, {}))
    with pytest.raises(LaminaFileError, match=rf"{module}\.{name} is not allowed"):
        load_pth(path)


F4 = np.arange(2, dtype=np.float32).tobytes()  # an 8-byte storage of 2 floats
CRAFTED = {
    "huge_numel": (pc.tensor("0", 10**12, 0, (10**12,), (1,)), "needs 4000000000000 bytes"),
    "stride_out_of_bounds": (pc.tensor("0", 2, 0, (2,), (5,)), "reaches element 5"),
    "offset_out_of_bounds": (pc.tensor("0", 2, 9, (1,), (1,)), "reaches element 9"),
    "huge_expand": (pc.tensor("0", 2, 0, (10**6, 10**6), (0, 0)), "more than the"),
    "negative_stride": (pc.tensor("0", 2, 1, (2,), (-1,)), "non-negative"),
    "missing_storage": (pc.tensor("7", 2, 0, (2,), (1,)), "member missing"),
    "not_a_storage_record": (pc.tup(pc.uni("x")) + b"Q", "not a storage record"),
    "build_on_array": (pc.tensor("0", 2, 0, (2,), (1,)) + b"}b", "BUILD on ndarray"),
    "size_not_tuple": (
        pc.glob("torch._utils", "_rebuild_tensor_v2")
        + pc.tup(pc.storage_pid("0", 2), pc.num(0), pc.num(2), pc.tup(pc.num(1)))
        + b"R",
        "expected int offset, tuple size",
    ),
}


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_crafted_tensor_records_are_refused(tmp_path, name):
    obj, match = CRAFTED[name]
    path = tmp_path / f"{name}.pth"
    path.write_bytes(pc.make_zip(pc.dict_pickle({"x": obj}), {"0": F4}))
    with pytest.raises(LaminaFileError, match=match):
        load_pth(path)


def _legacy_view_file(view_offset: int, view_size: int) -> bytes:
    """Legacy (torch < 0.4 style) storage view: pid ends in (view_key, offset, size)."""
    view = pc.tup(pc.uni("v"), pc.num(view_offset), pc.num(view_size))
    pid = (
        pc.tup(
            pc.uni("storage"),
            pc.glob("torch", "FloatStorage"),
            pc.uni("0"),
            pc.uni("cpu"),
            pc.num(8),
            view,
        )
        + b"Q"
    )
    t = (
        pc.glob("torch._utils", "_rebuild_tensor")
        + pc.tup(pid, pc.num(0), pc.tup(pc.num(3)), pc.tup(pc.num(1)))
        + b"R"
    )
    return pc.make_legacy(pc.dict_pickle({"x": t}), {"0": np.arange(8, dtype=np.float32)})


def test_legacy_storage_views(tmp_path):
    path = tmp_path / "view.pth"
    path.write_bytes(_legacy_view_file(2, 3))
    np.testing.assert_array_equal(load_pth(path)["x"], [2.0, 3.0, 4.0])
    path.write_bytes(_legacy_view_file(6, 3))
    with pytest.raises(LaminaFileError, match="outside 8 elements"):
        load_pth(path)


def test_huge_memo_index_allocates_nothing(tmp_path):
    # LONG_BINPUT 2**31-1: C pickle would grow its memo array to ~2**32 slots (32 GB).
    pkl = pc.PROTO2 + pc.num(5) + b"r\xff\xff\xff\x7f" + b"."
    path = tmp_path / "memo.pth"
    path.write_bytes(pc.make_zip(pkl, {}))
    assert load_pth(path) == 5


def test_big_endian_zip(tmp_path):
    pkl = pc.dict_pickle({"x": pc.tensor("0", 3, 0, (3,), (1,), "DoubleStorage")})
    data = np.array([1.5, -2.0, 1e300], dtype=">f8").tobytes()
    path = tmp_path / "be.pth"
    path.write_bytes(pc.make_zip(pkl, {"0": data}, order=b"big"))
    np.testing.assert_array_equal(load_pth(path)["x"], [1.5, -2.0, 1e300])


@pytest.mark.parametrize("fmt", ["zip", "legacy"])
def test_truncated_files_raise(tmp_path, fmt):
    data, _ = pc.sample_zip() if fmt == "zip" else pc.sample_legacy()
    path = tmp_path / "t.pth"
    for cut in (0, 1, 10, len(data) // 3, len(data) // 2, len(data) - 8, len(data) - 1):
        path.write_bytes(data[:cut])
        with pytest.raises(LaminaFileError):
            load_pth(path)


def test_short_storage_member_raises(tmp_path):
    pkl = pc.dict_pickle({"x": pc.tensor("0", 4, 0, (4,), (1,))})
    path = tmp_path / "short.pth"
    path.write_bytes(pc.make_zip(pkl, {"0": F4}))  # 8 bytes for 4 floats
    with pytest.raises(LaminaFileError, match="needs 16 bytes, member 8 bytes"):
        load_pth(path)


def test_not_a_torch_file(tmp_path):
    path = tmp_path / "n.pth"
    path.write_bytes(pickle.dumps([1, 2], protocol=2))
    with pytest.raises(LaminaFileError, match="magic number mismatch"):
        load_pth(path)
    path.write_bytes(b"hello world")
    with pytest.raises(LaminaFileError, match="not a readable torch file"):
        load_pth(path)


# --- fuzzing: the readers raise LaminaFileError or return, nothing else -------------------


def _check(path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        load_pth(path)
    except LaminaFileError:
        pass


def _mutate(data: bytes, edits, cut) -> bytes:
    out = bytearray(data)
    for pos, val in edits:
        out[pos % len(out)] = val
    return bytes(out if cut is None else out[: cut % (len(out) + 1)])


EDITS = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=6)
CUTS = st.none() | st.integers(0, 10**6)


def _run_fuzz(name, strategy, build) -> int:
    count = 0

    @FUZZ
    @given(strategy)
    def case(args):
        nonlocal count
        count += 1
        build(args)

    case()
    print(f"\nfuzz pth {name} cases: {count}")
    return count


def test_fuzz_mutated_zip_file(tmp_path):
    valid, _ = pc.sample_zip()
    build = lambda a: _check(tmp_path / "z.pth", _mutate(valid, *a))  # noqa: E731
    assert _run_fuzz("zip-bytes", st.tuples(EDITS, CUTS), build) >= 100


def test_fuzz_mutated_data_pkl_in_zip(tmp_path):
    pkl = pc.dict_pickle({"w": pc.tensor("0", 2, 0, (2, 1), (1, 1)), "n": pc.num(3)})
    build = lambda a: _check(tmp_path / "p.pth", pc.make_zip(_mutate(pkl, *a), {"0": F4}))  # noqa: E731
    assert _run_fuzz("data.pkl", st.tuples(EDITS, CUTS), build) >= 100


def test_fuzz_mutated_legacy_file(tmp_path):
    valid, _ = pc.sample_legacy()
    build = lambda a: _check(tmp_path / "l.pth", _mutate(valid, *a))  # noqa: E731
    assert _run_fuzz("legacy", st.tuples(EDITS, CUTS), build) >= 100


_PIECES = [
    pc.tensor("0", 2, 0, (2,), (1,)),
    pc.storage_pid("0", 2),
    pc.storage_pid("0", 10**15),
    pc.glob("torch._utils", "_rebuild_tensor_v2"),
    pc.glob("torch._utils", "_rebuild_parameter"),
    pc.glob("collections", "OrderedDict"),
    pc.glob("torch", "Size"),
    pc.glob("_codecs", "encode"),
    pc.glob("torch", "BFloat16Storage"),
    pc.uni("storage"),
    pc.num(0),
    pc.num(2),
    pc.num(-1),
    pc.num(10**18),
    b"(",
    b"t",
    b")",
    b"]",
    b"}",
    b"R",
    b"Q",
    b"b",
    b"s",
    b"u",
    b"a",
    b"e",
    b"0",
    b"2",
    b"N",
    b"\x88",
    b"\x85",
    b"\x86",
    b"\x87",
    b"\x81",
    b"q\x01",
    b"h\x01",
    b"r\xff\xff\xff\x7f",
    b"j\xff\xff\xff\x7f",
    b"\x94",
    b"\x93",
    b"\x95\xff\xff\xff\xff\xff\xff\xff\x7f",
    b"B\xff\xff\xff\x7f",
]


def test_fuzz_opcode_soup(tmp_path):
    def build(pieces):
        pkl = pc.PROTO2 + b"".join(_PIECES[i] for i in pieces) + b"."
        _check(tmp_path / "s.pth", pc.make_zip(pkl, {"0": F4}))

    strategy = st.lists(st.integers(0, len(_PIECES) - 1), max_size=24)
    assert _run_fuzz("opcode-soup", strategy, build) >= 100
