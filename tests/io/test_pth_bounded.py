"""The bounded .pth reader still reads every honest file: compressed members, big members,
shared memoised objects, legacy files; and refuses what the budget does not allow."""

import io
import zipfile

import numpy as np
import pytest

from lamina.io import LaminaFileError, extract_state_dict
from lamina.io.pth import load_pth
from tests.io._pthcraft import PROTO2, glob, make_zip, uni
from tests.oracle import torch


def _rezip(data: bytes, method: int) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for info in src.infolist():
            zf.writestr(info.filename, src.read(info), compress_type=method)
    return out.getvalue()


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2])
def test_compressed_members_load_exactly(tmp_path, method):
    # 3 MiB of floats: inflated over several 1 MiB steps
    state = {"big": torch.arange(3 * 2**18, dtype=torch.float32), "b": torch.ones(3)}
    path = tmp_path / "w.pth"
    torch.save(state, path)
    path.write_bytes(_rezip(path.read_bytes(), method))
    back = load_pth(path)
    for k, v in state.items():
        np.testing.assert_array_equal(back[k], v.numpy())


def test_legacy_and_zip_torch_files_load(tmp_path):
    g = torch.Generator().manual_seed(0)
    state = {"w": torch.randn(4, 5, generator=g), "h": torch.randn(3, generator=g).half()}
    for kwargs in ({}, {"_use_new_zipfile_serialization": False}):
        path = tmp_path / "t.pth"
        torch.save({"state_dict": state, "epoch": 3, "names": ["a", "b"] * 50}, path, **kwargs)
        back = load_pth(path)
        assert back["epoch"] == 3 and back["names"] == ["a", "b"] * 50
        sd = extract_state_dict(back)
        for k, v in state.items():
            np.testing.assert_array_equal(sd[k], v.numpy())


def test_shared_objects_within_budget_load(tmp_path):
    # one memoised 1 KB string encoded 100 times: 100 KB of copies, well within the budget
    text = "z" * 1024
    call = glob("_codecs", "encode") + b"h\x00" + uni("latin1") + b"\x86R"
    pkl = PROTO2 + uni(text) + b"q\x00]q\x01(" + call * 100 + b"e."
    path = tmp_path / "s.pth"
    path.write_bytes(make_zip(pkl, {}))
    back = load_pth(path)
    assert back == [text.encode("latin1")] * 100


def test_memo_amplification_is_refused_in_process(tmp_path):
    text = "a" * 2**20
    call = glob("_codecs", "encode") + b"h\x00" + uni("latin1") + b"\x86R"
    pkl = PROTO2 + uni(text) + b"q\x00]q\x01(" + call * 200 + b"e."
    path = tmp_path / "amp.pth"
    path.write_bytes(make_zip(pkl, {}))
    with pytest.raises(LaminaFileError, match=r"_codecs\.encode copies needs \d+ bytes"):
        load_pth(path)


def test_self_reference_in_memory_is_refused():
    d = {"w": np.ones(2)}
    d["state_dict"] = d
    with pytest.raises(LaminaFileError, match="contains itself"):
        extract_state_dict(d)
    from lamina.models import resnet18

    with pytest.raises(LaminaFileError, match="contains itself"):
        resnet18(weights=d)


def test_shared_subdicts_are_not_cycles():
    inner = {"a": np.ones(1)}
    sd = extract_state_dict({"x": inner, "y": inner})
    assert sorted(sd) == ["x.a", "y.a"]
