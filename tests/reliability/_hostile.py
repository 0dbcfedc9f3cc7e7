"""Hostile inputs for the adversarial suite, each built from scratch by a function.

Every builder writes its input under ``folder`` and returns ``(path, action)``: the action is
what the child process (``_child.py``) does with the path. The pickles are assembled opcode
by opcode with the helpers of ``tests/io/_pthcraft.py``; nothing here imports torch.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

from tests.io._pthcraft import (
    PROTO2,
    dict_pickle,
    glob,
    make_legacy,
    make_zip,
    sample_zip,
    tensor,
    uni,
)

MiB = 1 << 20


def _write(folder: Path, name: str, data: bytes) -> str:
    path = folder / name
    path.write_bytes(data)
    return str(path)


def _claim(opcode: bytes, width: int, n: int) -> bytes:
    return PROTO2 + opcode + n.to_bytes(width, "little") + b"."


# ---- pickle opcodes that allocate from a claimed length ----------------------------------
def bytearray8_zip(folder: Path):
    """142-byte .pth whose data.pkl claims a 1.5 GiB BYTEARRAY8."""
    return _write(folder, "ba8.pth", make_zip(_claim(b"\x96", 8, 3 << 29), {})), "load"


def bytearray8_legacy(folder: Path):
    """The same 12 bytes as a legacy file."""
    return _write(folder, "ba8_legacy.pth", _claim(b"\x96", 8, 3 << 29)), "load"


def binbytes_legacy(folder: Path):
    """A 16-byte legacy file claiming 2 GiB of BINBYTES (buffered read would allocate it)."""
    data = _claim(b"B", 4, (2 << 30) - 1) + b"pad"
    return _write(folder, "binbytes.pth", data), "load"


def binbytes8_zip(folder: Path):
    return _write(folder, "bb8.pth", make_zip(_claim(b"\x8e", 8, 1 << 40), {})), "load"


def binunicode8_zip(folder: Path):
    return _write(folder, "bu8.pth", make_zip(_claim(b"\x8d", 8, 1 << 40), {})), "load"


def frame_legacy(folder: Path):
    """Protocol-4 FRAME claiming 2**60 bytes."""
    data = b"\x80\x04\x95" + (1 << 60).to_bytes(8, "little") + b"N."
    return _write(folder, "frame.pth", data), "load"


# ---- memo amplification ------------------------------------------------------------------
def codecs_memo(folder: Path):
    """A 1 MB str memoised once, then ``_codecs.encode(s, 'latin1')`` 1,000 times in a list."""
    text = "a" * MiB
    body = uni(text) + b"q\x00" + b"]q\x01("  # str in memo 0; list in memo 1, MARK
    call = glob("_codecs", "encode") + b"h\x00" + uni("latin1") + b"\x86R"
    pkl = PROTO2 + body + call * 1000 + b"e."
    return _write(folder, "codecs.pth", make_zip(pkl, {})), "load"


def ordereddict_memo(folder: Path):
    """A 50,000-item dict memoised once, then copied by ``OrderedDict(d)`` 1,000 times."""
    items = b"".join(b"J" + struct.pack("<i", i) + b"N" for i in range(50_000))
    base = b"}q\x00(" + items + b"u"
    call = glob("collections", "OrderedDict") + b"h\x00\x85R"
    pkl = PROTO2 + base + b"]q\x01(" + call * 1000 + b"e."
    return _write(folder, "odict.pth", make_zip(pkl, {})), "load"


def dup_appends(folder: Path):
    """1 MB of DUP opcodes under one list: 16 bytes of stack per byte of file (loads)."""
    pkl = PROTO2 + b"](N" + b"2" * MiB + b"e."
    return _write(folder, "dup.pth", make_zip(pkl, {})), "load"


# ---- zip members -------------------------------------------------------------------------
def _zip_with(member: bytes, name: str, method: int, declared: int | None = None) -> bytes:
    ok, _ = sample_zip()
    src = zipfile.ZipFile(io.BytesIO(ok))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for info in src.infolist():
            zf.writestr(info, src.read(info))
        zf.writestr(zipfile.ZipInfo(name), member, compress_type=method)
    data = bytearray(buf.getvalue())
    if declared is not None:  # rewrite the member's uncompressed size in both headers
        for sig, off in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
            pos = data.rfind(sig)
            while pos >= 0:
                nlen = int.from_bytes(
                    data[pos + (26 if sig == b"PK\x03\x04" else 28) :][:2], "little"
                )
                start = pos + (30 if sig == b"PK\x03\x04" else 46)
                if data[start : start + nlen] == name.encode():
                    data[pos + off : pos + off + 4] = declared.to_bytes(4, "little")
                pos = data.rfind(sig, 0, pos)
    return bytes(data)


def deflate_bomb(folder: Path):
    """A deflated storage member declaring 512 MiB (its true size; the bytes are cut short)."""
    data = _zip_with(bytes(MiB), "archive/dXta/0", zipfile.ZIP_DEFLATED, declared=512 * MiB)
    data = data.replace(b"archive/data/0", b"archive/data/_").replace(b"dXta/0", b"data/0")
    return _write(folder, "deflate_bomb.pth", data), "load"


def deflate_bomb_lying(folder: Path):
    """128 MiB of zeros deflated (130 KB) as data.pkl, declaring 64 bytes."""
    data = _zip_with(bytes(128 * MiB), "archive/dXta.pkl", zipfile.ZIP_DEFLATED, declared=64)
    data = data.replace(b"archive/data.pkl", b"archive/data.pk_")  # hand data.pkl to the bomb
    data = data.replace(b"archive/dXta.pkl", b"archive/data.pkl")
    return _write(folder, "deflate_lying.pth", data), "load"


def bzip2_bomb_lying(folder: Path):
    """A bzip2 data.pkl of 80 MiB of zeros (under 1 KB) declaring 64 bytes."""
    data = _zip_with(bytes(80 * MiB), "archive/dXta.pkl", zipfile.ZIP_BZIP2, declared=64)
    data = data.replace(b"archive/data.pkl", b"archive/data.pk_")
    data = data.replace(b"archive/dXta.pkl", b"archive/data.pkl")
    return _write(folder, "bzip2_lying.pth", data), "load"


def crc_flip(folder: Path):
    """A valid file with one bit flipped in a storage: the CRC-32 catches it."""
    data = bytearray(sample_zip()[0])
    store = np.arange(8, dtype=np.float32).tobytes()
    pos = bytes(data).find(store)
    data[pos + 5] ^= 0x10
    return _write(folder, "crc.pth", bytes(data)), "load"


def zip_entry_count(folder: Path):
    """A 22-byte end record claiming 65,535 entries and a 4 GiB directory."""
    end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 65535, 65535, 0xFFFFFFF0, 0, 0)
    return _write(folder, "entries.pth", b"PK\x03\x04" + end), "load"


# ---- legacy format -------------------------------------------------------------------------
def legacy_storage_claim(folder: Path):
    """A valid legacy header whose one storage claims 2**28 floats, with 8 bytes present."""
    pkl = dict_pickle({"w": tensor("0", 1 << 28, 0, (1 << 28,), (1,), legacy=True)})
    head = make_legacy(pkl, {})[: -len(pickle.dumps([], protocol=2))]
    data = head + pickle.dumps(["0"], protocol=2) + struct.pack("<q", 1 << 28) + bytes(8)
    return _write(folder, "legacy_claim.pth", data), "load"


# ---- self-reference ------------------------------------------------------------------------
def self_reference(folder: Path):
    """``d = {}; d["state_dict"] = d`` (torch.save writes it, torch's loader accepts it)."""
    pkl = PROTO2 + b"}q\x00" + uni("state_dict") + b"h\x00s."
    return _write(folder, "selfref.pth", make_zip(pkl, {})), "load"


def self_reference_extract(folder: Path):
    return self_reference(folder)[0], "extract"


def self_reference_model(folder: Path):
    return self_reference(folder)[0], "model"


def self_reference_list(folder: Path):
    """A list inside a dict that holds the dict: ``d = {"a": [d]}``."""
    pkl = PROTO2 + b"}q\x00" + uni("a") + b"]q\x01h\x00as."
    return _write(folder, "selfref_list.pth", make_zip(pkl, {})), "load"


# ---- safetensors -------------------------------------------------------------------------
def safetensors_empty_tensors(folder: Path):
    """200,000 empty tensors in a 13 MB header (took 288 MiB)."""
    hdr = {
        f"t{i:06d}": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]} for i in range(200_000)
    }
    raw = json.dumps(hdr).encode()
    return _write(folder, "many.safetensors", struct.pack("<Q", len(raw)) + raw), "load"


def safetensors_nested_lists(folder: Path):
    """A 12 MB header of 4 M empty lists side by side (21 x its size as Python lists)."""
    raw = b'{"x":[' + b"[]," * (4 * MiB) + b"[]]}"
    return _write(folder, "lists.safetensors", struct.pack("<Q", len(raw)) + raw), "load"


def checkpoint_skeleton(folder: Path):
    """A lamina checkpoint whose skeleton is 8 MB of empty dicts."""
    skel = "[" + ",".join(['{"$":"dict","items":[]}'] * 350_000) + "]"
    meta = {"format": "lamina.checkpoint/1", "lamina.checkpoint": skel}
    raw = json.dumps({"__metadata__": meta}).encode()
    return _write(folder, "skel.safetensors", struct.pack("<Q", len(raw)) + raw), "load"


# ---- images ------------------------------------------------------------------------------
def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(width: int, height: int, rows: int | None = None) -> bytes:
    """A grey PNG written by hand; ``rows`` image rows of zeros in IDAT (default: all)."""
    raw = zlib.compress((b"\x00" + bytes(width)) * (height if rows is None else rows), 9)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", raw) + _chunk(b"IEND", b"")
    )


def png_thin_loader(folder: Path):
    """A 1 x 5000 PNG (~100 bytes): Resize(256) made it 256 x 1,280,000."""
    return _write(folder, "thin.png", _png(1, 5000)), "image"


def png_thin_preprocess(folder: Path):
    return png_thin_loader(folder)[0], "preprocess"


def png_thin_transform(folder: Path):
    return png_thin_loader(folder)[0], "transform"


def png_bomb_header(folder: Path):
    """A PNG of ~70 bytes whose header claims 100,000 x 100,000 pixels."""
    data = _png(100_000, 100_000, rows=0)
    return _write(folder, "bomb.png", data), "image"


def png_bomb_real(folder: Path):
    """A real 12,000 x 12,000 grey PNG (~150 KB) over the pixel limit."""
    return _write(folder, "bomb_real.png", _png(12_000, 12_000)), "preprocess"


# ---- no hangs ------------------------------------------------------------------------------
def imagefolder_loops(folder: Path):
    """One image and two symlinks back up the tree (``loop -> .``, ``up -> ..``)."""
    root = folder / "root"
    (root / "cat" / "sub").mkdir(parents=True)
    (root / "cat" / "a.png").write_bytes(_png(4, 4))
    os.symlink(".", root / "cat" / "loop")
    os.symlink("..", root / "cat" / "sub" / "up")
    os.symlink("../cat", root / "cat" / "sub" / "again")
    return str(root), "imagefolder"


def tokenizer_duplicates(folder: Path):
    """40,000 distinct words, the last one repeated (23 s to reject with a quadratic check)."""
    itos = [f"w{i}" for i in range(40_000)] + ["w39999"]
    cfg = {"kind": "word", "itos": itos, "unk_token": None, "lower": True}
    return _write(folder, "tok.json", json.dumps(cfg).encode()), "tokenizer"


CASES = {
    name: fn
    for name, fn in globals().items()
    if callable(fn) and not name.startswith("_") and getattr(fn, "__module__", "") == __name__
}


def tokenizer_nested_lists(folder: Path):
    """A 9 MB tokenizer file of 3 M empty lists side by side (21 x its size in Python)."""
    raw = b'{"kind": "word", "itos": [' + b"[]," * (3 * MiB) + b"[]]}"
    return _write(folder, "tok_lists.json", raw), "tokenizer"


CASES["tokenizer_nested_lists"] = tokenizer_nested_lists
