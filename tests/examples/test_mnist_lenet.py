"""examples/mnist_lenet.py: real IDX files (written here, gzipped) and the digits fallback."""

import gzip
import importlib.util
import struct
from pathlib import Path

import numpy as np

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "mnist_lenet.py"


def _load_example():
    spec = importlib.util.spec_from_file_location("mnist_lenet", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _write_idx(path, arr):
    code = {np.uint8: 0x08}[arr.dtype.type]
    head = struct.pack(">HBB", 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(head + arr.tobytes())


def test_mnist_path_reads_idx_files_and_trains(tmp_path):
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 256), ("t10k", 64)):
        y = rng.integers(0, 10, n).astype(np.uint8)
        x = np.zeros((n, 28, 28), np.uint8)
        for i, c in enumerate(y):  # a bright bar whose row encodes the class
            x[i, 2 + 2 * c : 4 + 2 * c, 4:24] = 255
        _write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", x)
        _write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", y)
    err = _load_example().main(["--root", str(tmp_path), "--epochs", "4", "--batch-size", "16"])
    assert err < 0.2


def test_digits_fallback_learns(capsys):
    """64 steps on 512 upsampled digits take LeNet-5 from chance (90% error) to ~26%."""
    err = _load_example().main(["--epochs", "2", "--limit", "512", "--batch-size", "16"])
    assert err < 0.5
    assert f"epoch 2: test error {err:.2%}" in capsys.readouterr().out
