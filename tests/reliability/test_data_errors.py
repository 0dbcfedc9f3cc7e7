"""Data loading faults: a corrupt image is named by path; a dataset's own error keeps its
traceback and gains the index that raised it."""

import traceback

import numpy as np
import pytest

from lamina.data import DataLoader, Dataset
from lamina.data.datasets import DatasetFileError
from lamina.data.datasets.folder import ImageFolder

Image = pytest.importorskip("PIL.Image")


def _folder(tmp_path):
    for cls in ("cat", "dog"):
        (tmp_path / cls).mkdir()
        for k in range(3):
            Image.new("RGB", (4, 4), (k * 40, 0, 0)).save(tmp_path / cls / f"{k}.png")
    bad = tmp_path / "dog" / "1.png"
    bad.write_bytes(bad.read_bytes()[:30])  # a truncated PNG
    (tmp_path / "cat" / "9.jpg").write_bytes(b"not an image at all")
    return tmp_path, bad


def _to_array(img):
    return np.asarray(img, np.float32)


def test_corrupt_image_is_named_and_indexed(tmp_path):
    root, bad = _folder(tmp_path)
    ds = ImageFolder(root, transform=_to_array)
    loader = DataLoader(ds, batch_size=2)
    with pytest.raises(DatasetFileError) as info:
        list(loader)
    assert str(info.value).startswith(str(root / "cat" / "9.jpg"))  # first bad file, sorted
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "ImageFolder[3]" in notes and "index 3" in notes


def test_skip_corrupt_drops_and_warns_with_paths(tmp_path):
    root, bad = _folder(tmp_path)
    with pytest.warns(UserWarning, match="skipped 2 unreadable") as rec:
        ds = ImageFolder(root, transform=_to_array, skip_corrupt=True)
    assert str(bad) in str(rec[0].message) and "9.jpg" in str(rec[0].message)
    images = np.concatenate([x.detach().numpy() for x, _ in DataLoader(ds, batch_size=2)])
    assert images.shape == (5, 4, 4, 3) and len(ds) == 5


class Faulty(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        return np.float32(1.0 / (i - 5))  # ZeroDivisionError at index 5 (a Python float)


def test_getitem_error_keeps_traceback_and_index():
    loader = DataLoader(Faulty(), batch_size=3)
    with pytest.raises(ZeroDivisionError) as info:
        list(loader)
    frames = traceback.extract_tb(info.value.__traceback__)
    assert frames[-1].name == "__getitem__" and "1.0 / (i - 5)" in frames[-1].line
    assert any("Faulty[5] (index 5, batch 1)" in n for n in info.value.__notes__)


def _png_header_only(width: int, height: int) -> bytes:
    """A 69-byte PNG whose header claims width x height RGB pixels."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 100)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_decompression_bomb_is_a_corrupt_image(tmp_path):
    """A PNG header claiming 10^10 pixels is refused by path (and skipped), never decoded."""
    root, _ = _folder(tmp_path)
    bomb = root / "cat" / "bomb.png"
    bomb.write_bytes(_png_header_only(100_000, 100_000))
    ds = ImageFolder(root)
    index = [p for p, _ in ds.samples].index(str(bomb))
    with pytest.raises(DatasetFileError, match="bomb.png.*DecompressionBomb"):
        ds[index]
    with pytest.warns(UserWarning, match="skipped 3 unreadable.*bomb.png"):
        assert len(ImageFolder(root, skip_corrupt=True)) == 5
