"""Hand-assembled torch-format files (no torch needed) for hostile-input tests and fuzzing."""

import io
import pickle
import struct
import zipfile

import numpy as np

from lamina.io.pth import LEGACY_MAGIC

PROTO2 = b"\x80\x02"


def uni(s: str) -> bytes:
    """BINUNICODE."""
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def num(n: int) -> bytes:
    """LONG1 (any int)."""
    enc = pickle.encode_long(n)
    return b"\x8a" + bytes([len(enc)]) + enc


def glob(module: str, name: str) -> bytes:
    """GLOBAL."""
    return b"c" + f"{module}\n{name}\n".encode()


def tup(*parts: bytes) -> bytes:
    return b"(" + b"".join(parts) + b"t"


def storage_pid(key: str, numel: int, stype: str = "FloatStorage", legacy: bool = False) -> bytes:
    fields = [uni("storage"), glob("torch", stype), uni(key), uni("cpu"), num(numel)]
    if legacy:
        fields.append(b"N")  # view_metadata None
    return tup(*fields) + b"Q"  # BINPERSID


def tensor(key, numel, offset, size, stride, stype="FloatStorage", legacy=False) -> bytes:
    """``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())``."""
    args = tup(
        storage_pid(key, numel, stype, legacy),
        num(offset),
        tup(*map(num, size)),
        tup(*map(num, stride)),
        b"\x89",
        glob("collections", "OrderedDict") + b")R",
    )
    return glob("torch._utils", "_rebuild_tensor_v2") + args + b"R"


def dict_pickle(items: dict[str, bytes]) -> bytes:
    """A protocol-2 pickle of {name: <object opcodes>}."""
    body = b"".join(uni(k) + v for k, v in items.items())
    return PROTO2 + b"}(" + body + b"u."


def make_zip(pkl: bytes, storages: dict[str, bytes], prefix: str = "archive", order=b"little"):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(f"{prefix}/data.pkl", pkl)
        if order is not None:
            zf.writestr(f"{prefix}/byteorder", order)
        for key, data in storages.items():
            zf.writestr(f"{prefix}/data/{key}", data)
        zf.writestr(f"{prefix}/version", b"3\n")
    return buf.getvalue()


def make_legacy(obj_pkl: bytes, storages: dict[str, np.ndarray]) -> bytes:
    """The legacy stream: magic, protocol, sys_info, object, keys, then each storage."""
    parts = [
        pickle.dumps(LEGACY_MAGIC, protocol=2),
        pickle.dumps(1001, protocol=2),
        pickle.dumps({"protocol_version": 1001, "little_endian": True}, protocol=2),
        obj_pkl,
        pickle.dumps(list(storages), protocol=2),
    ]
    for arr in storages.values():
        parts.append(struct.pack("<q", arr.size) + arr.tobytes())
    return b"".join(parts)


def sample_zip() -> tuple[bytes, np.ndarray]:
    """A small valid zip file: w = storage[1:7].reshape(2, 3) (offset view), b = w.T."""
    store = np.arange(8, dtype=np.float32)
    pkl = dict_pickle(
        {"w": tensor("0", 8, 1, (2, 3), (3, 1)), "b": tensor("0", 8, 1, (3, 2), (1, 3))}
    )
    return make_zip(pkl, {"0": store.tobytes()}), store[1:7].reshape(2, 3)


def sample_legacy() -> tuple[bytes, np.ndarray]:
    """The same state dict as ``sample_zip`` in the legacy format."""
    store = np.arange(8, dtype=np.float32)
    pkl = dict_pickle(
        {
            "w": tensor("0", 8, 1, (2, 3), (3, 1), legacy=True),
            "b": tensor("0", 8, 1, (3, 2), (1, 3), legacy=True),
        }
    )
    return make_legacy(pkl, {"0": store}), store[1:7].reshape(2, 3)
