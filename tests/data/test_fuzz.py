"""Hypothesis fuzz of the file readers: any bytes give an array or the documented error."""

import gzip
import struct
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lamina.data.datasets import DatasetFileError, read_idx
from lamina.data.datasets.cifar import RECORD_BYTES, read_cifar_binary

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))

# Mostly-valid IDX headers (so the fuzz reaches the size logic), then arbitrary bytes.
idx_like = st.builds(
    lambda code, dims, tail: (
        bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + tail
    ),
    st.sampled_from([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x00, 0xFF]),
    st.lists(st.one_of(st.integers(0, 6), st.integers(0, 2**32 - 1)), min_size=0, max_size=4),
    st.binary(max_size=300),
)
any_bytes = st.one_of(idx_like, st.binary(max_size=300))


def _check_idx(data: bytes, compress: bool) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "f"
        p.write_bytes(gzip.compress(data) if compress else data)
        try:
            out = read_idx(p)
        except DatasetFileError:
            return
        assert isinstance(out, np.ndarray) and out.dtype.isnative
        assert out.nbytes + 4 + 4 * out.ndim == len(data)


@FUZZ
@given(data=any_bytes, compress=st.booleans())
def test_fuzz_read_idx(data, compress):
    _check_idx(data, compress)


@FUZZ
@given(data=st.binary(max_size=300), keep=st.integers(0, 400))
def test_fuzz_read_idx_raw_gzip_garbage(data, keep):
    """Bytes that start like gzip but are cut or garbled."""
    blob = (gzip.compress(data) + data)[:keep]
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "f.gz"
        p.write_bytes(b"\x1f\x8b" + blob)
        try:
            read_idx(p)
        except DatasetFileError:
            pass


@FUZZ
@given(
    records=st.integers(0, 3),
    extra=st.integers(-3, 3),
    labels=st.lists(st.integers(0, 255), min_size=3, max_size=3),
)
def test_fuzz_cifar(records, extra, labels):
    size = max(records * RECORD_BYTES + extra, 0)
    blob = bytearray(size)
    for k in range(min(records, size // RECORD_BYTES)):
        blob[k * RECORD_BYTES] = labels[k]
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "b.bin"
        p.write_bytes(bytes(blob))
        try:
            images, y = read_cifar_binary(p)
        except DatasetFileError:
            return
        assert images.shape == (size // RECORD_BYTES, 32, 32, 3) and y.max() < 10
