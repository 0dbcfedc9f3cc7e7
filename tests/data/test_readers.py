import gzip
import struct

import numpy as np
import pytest

from lamina.data import DataLoader
from lamina.data.datasets import CIFAR10, MNIST, DatasetFileError, FashionMNIST, read_idx
from lamina.data.datasets.cifar import read_cifar_binary
from lamina.data.datasets.mnist import IDX_DTYPES
from lamina.data.transforms import ToTensor


def idx_bytes(a: np.ndarray) -> bytes:
    """The IDX encoding of ``a``, written independently of the reader."""
    code = {np.dtype(v).newbyteorder("="): k for k, v in IDX_DTYPES.items()}[a.dtype]
    header = bytes([0, 0, code, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape)
    return header + a.astype(a.dtype.newbyteorder(">")).tobytes()


def write_mnist(folder, prefix, images, labels, gz=False):
    folder.mkdir(parents=True, exist_ok=True)
    for name, a in (
        (f"{prefix}-images-idx3-ubyte", images),
        (f"{prefix}-labels-idx1-ubyte", labels),
    ):
        data = idx_bytes(a)
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_round_trip(tmp_path, dtype, gz):
    a = (np.arange(24) - 5).reshape(2, 3, 4).astype(dtype)
    data = idx_bytes(a)
    p = tmp_path / "x.idx"
    p.write_bytes(gzip.compress(data) if gz else data)
    out = read_idx(p)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative and out.flags.writeable
    np.testing.assert_array_equal(out, a)


def test_read_idx_empty_dimension(tmp_path):
    p = tmp_path / "e.idx"
    p.write_bytes(idx_bytes(np.zeros((0, 5), np.uint8)))
    assert read_idx(p).shape == (0, 5)


HUGE = b"\x00\x00\x0e\x02" + struct.pack(">II", 2**32 - 1, 2**32 - 1)


@pytest.mark.parametrize(
    "data, plain, gz",
    [
        (b"\x00\x00", "2 bytes", "2 bytes"),
        (b"\x01\x00\x08\x01\x00\x00\x00\x01\x00", "magic starts 0100", "magic starts 0100"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x00", "type code 0x07", "type code 0x07"),
        (b"\x00\x00\x08\x00", "0 dimensions", "0 dimensions"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x02", "header truncated", "header truncated"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x0a" + bytes(9), "17 bytes.*needs 18", "9 bytes.*10"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x02" + bytes(3), "11 bytes.*needs 10", "runs past"),
        # a header claiming (2**32-1)**2 float64 is refused from the file size / the data
        # actually present: nothing of that size is ever allocated
        (HUGE, "12 bytes.*needs 147573952", "truncated: 0 bytes"),
    ],
)
def test_read_idx_refuses_bad_files(tmp_path, data, plain, gz):
    for compress, message in ((False, plain), (True, gz)):
        p = tmp_path / ("bad.gz" if compress else "bad")
        p.write_bytes(gzip.compress(data) if compress else data)
        with pytest.raises(DatasetFileError, match=message) as info:
            read_idx(p)
        assert str(p) in str(info.value) and isinstance(info.value, ValueError)


def test_read_idx_corrupt_gzip(tmp_path):
    good = gzip.compress(idx_bytes(np.arange(100, dtype=np.uint8)))
    p = tmp_path / "cut.gz"
    p.write_bytes(good[: len(good) // 2])
    with pytest.raises(DatasetFileError, match="corrupt gzip"):
        read_idx(p)
    p.write_bytes(good[:10] + bytes(len(good) - 10))
    with pytest.raises(DatasetFileError):
        read_idx(p)


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_and_fashion_from_folder(tmp_path, gz):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5, 9], np.uint8)
    write_mnist(tmp_path / "MNIST" / "raw", "t10k", images, labels, gz)
    ds = MNIST(tmp_path, train=False)
    assert len(ds) == 6 and ds.data.shape == (6, 28, 28) and ds.targets.dtype == np.int64
    img, target = ds[2]
    assert target == 4 and np.array_equal(img, images[2])
    xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    assert xb.detach().numpy().dtype == np.uint8 and xb.detach().numpy().shape == (4, 28, 28)
    assert yb.detach().numpy().tolist() == [3, 1, 4, 1]
    t = MNIST(tmp_path, train=False, transform=ToTensor())
    xb, _ = next(iter(DataLoader(t, batch_size=2)))
    assert xb.detach().numpy().shape == (2, 1, 28, 28) and xb.detach().numpy().dtype == np.float32
    write_mnist(tmp_path, "train", images, labels, gz)  # flat layout under root
    assert len(FashionMNIST(tmp_path, train=True)) == 6
    assert FashionMNIST.classes[9] == "Ankle boot"


def test_mnist_cross_checks(tmp_path):
    images = np.zeros((3, 28, 28), np.uint8)
    write_mnist(tmp_path, "train", images, np.array([0, 1], np.uint8))
    with pytest.raises(DatasetFileError, match="3 images.*2 labels"):
        MNIST(tmp_path)
    write_mnist(tmp_path, "train", images, np.array([0, 1, 10], np.uint8))
    with pytest.raises(DatasetFileError, match="label 10"):
        MNIST(tmp_path)
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte.*download=True"):
        MNIST(tmp_path, train=False)


def test_mnist_download_checks_md5(tmp_path, monkeypatch):
    """download=True against a local file:// mirror: a wrong checksum is refused."""
    mirror = tmp_path / "mirror"
    write_mnist(mirror, "t10k", np.zeros((2, 28, 28), np.uint8), np.zeros(2, np.uint8), gz=True)
    monkeypatch.setattr(MNIST, "mirrors", (mirror.as_uri() + "/",))
    with pytest.raises(DatasetFileError, match="md5 .* expected 9fb629c4"):
        MNIST(tmp_path / "root", train=False, download=True)
    assert not list((tmp_path / "root" / "MNIST" / "raw").glob("*.gz"))


def cifar_bytes(images_chw: np.ndarray, labels: np.ndarray) -> bytes:
    """Records of 1 label byte + 3072 bytes (R plane, G plane, B plane)."""
    flat = images_chw.reshape(len(labels), -1)
    return np.concatenate([labels[:, None].astype(np.uint8), flat], axis=1).tobytes()


def test_cifar_reader_layout(tmp_path):
    rng = np.random.default_rng(0)
    chw = rng.integers(0, 256, (3, 3, 32, 32), dtype=np.uint8)
    p = tmp_path / "test_batch.bin"
    p.write_bytes(cifar_bytes(chw, np.array([7, 0, 9])))
    images, labels = read_cifar_binary(p)
    assert images.shape == (3, 32, 32, 3) and labels.tolist() == [7, 0, 9]
    assert images[1, 5, 6, 2] == chw[1, 2, 5, 6]  # blue plane, row 5, column 6
    ds = CIFAR10(tmp_path, train=False, transform=ToTensor())
    x, y = ds[1]
    assert y == 0 and x.shape == (3, 32, 32)
    np.testing.assert_allclose(x, chw[1] / np.float32(255))


def test_cifar_train_concatenates_five_files(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    for i in range(1, 6):
        chw = np.full((2, 3, 32, 32), i, np.uint8)
        (folder / f"data_batch_{i}.bin").write_bytes(cifar_bytes(chw, np.array([i, i])))
    ds = CIFAR10(tmp_path)
    assert len(ds) == 10 and ds.targets.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    assert xb.detach().numpy().shape == (4, 32, 32, 3) and yb.detach().numpy().tolist() == [
        1,
        1,
        2,
        2,
    ]


def test_cifar_refuses_bad_files(tmp_path):
    p = tmp_path / "data_batch_1.bin"
    for size in (0, 3072, 3074, 2 * 3073 - 1):
        p.write_bytes(bytes(size))
        with pytest.raises(DatasetFileError, match=f"{size} bytes, expected a positive multiple"):
            read_cifar_binary(p)
    p.write_bytes(bytes(3073) + bytes([10]) + bytes(3072))
    with pytest.raises(DatasetFileError, match="record 1 .*label 10"):
        read_cifar_binary(p)
    with pytest.raises(FileNotFoundError, match="test_batch.bin"):
        CIFAR10(tmp_path, train=False)
