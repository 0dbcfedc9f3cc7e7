import collections
import sys

import numpy as np
import pytest

import lamina
from lamina.data import (
    ConcatDataset,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)
from lamina.tensor import Tensor


def arr(t):
    assert isinstance(t, Tensor)
    return np.asarray(t.detach().numpy())


class Squares(Dataset):
    """Samples as (x array, int label, dict) tuples: the slow, per-sample path."""

    def __len__(self):
        return 10

    def __getitem__(self, i):
        if not 0 <= i < 10:
            raise IndexError(i)
        return np.full(3, i, dtype=np.float64), i, {"sq": float(i * i), "name": f"s{i}"}


class Broken(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise KeyError("bad sample")
        return np.zeros(2)


def test_tensor_dataset_accepts_arrays_and_tensors():
    x, y = np.arange(12.0).reshape(6, 2), np.arange(6)
    ds = TensorDataset(lamina.from_numpy(x), y)
    assert len(ds) == 6 and np.array_equal(ds[2][0], [4.0, 5.0]) and ds[2][1] == 2
    with pytest.raises(ValueError, match=r"\(6, 2\).*\(5,\)"):
        TensorDataset(x, np.arange(5))
    with pytest.raises(TypeError, match="list"):
        TensorDataset([1, 2, 3])


def test_batching_and_len():
    x, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    xb, yb = batches[0]
    assert arr(xb).dtype == np.float32 and arr(yb).dtype == np.int64
    assert np.array_equal(arr(xb), x[:4]) and np.array_equal(arr(batches[2][1]), [8, 9])
    dropped = DataLoader(TensorDataset(x, y), batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [len(arr(b[1])) for b in dropped] == [4, 4]


def test_plain_array_dataset():
    batches = list(DataLoader(np.arange(5, dtype=np.int32), batch_size=2))
    assert [arr(b).tolist() for b in batches] == [[0, 1], [2, 3], [4]]
    assert arr(batches[0]).dtype == np.int64


def test_shuffle_reproducible_with_manual_seed():
    ds = TensorDataset(np.arange(50))
    loader = DataLoader(ds, batch_size=7, shuffle=True)
    lamina.manual_seed(123)
    first = np.concatenate([arr(b[0]) for b in loader])
    second = np.concatenate([arr(b[0]) for b in loader])
    lamina.manual_seed(123)
    again = np.concatenate([arr(b[0]) for b in loader])
    assert np.array_equal(first, again)
    assert not np.array_equal(first, second)  # a fresh order every epoch
    assert sorted(first.tolist()) == list(range(50)) and first.tolist() != list(range(50))


def test_explicit_generator_and_fast_path_equals_slow_path():
    x = np.random.default_rng(0).normal(size=(13, 3))
    y = np.arange(13)
    ds = TensorDataset(x, y)
    fast = DataLoader(ds, 5, shuffle=True, generator=np.random.default_rng(7))
    slow = DataLoader(
        ds, 5, shuffle=True, generator=np.random.default_rng(7), collate_fn=default_collate
    )
    for (fx, fy), (sx, sy) in zip(fast, slow):
        assert np.array_equal(arr(fx), arr(sx)) and np.array_equal(arr(fy), arr(sy))
        assert arr(fx).dtype == arr(sx).dtype == np.float32


def test_subset_of_tensor_dataset_uses_rows():
    ds = TensorDataset(np.arange(10) * 10)
    sub = Subset(ds, [9, 0, 4])
    assert [int(v[0]) for v in sub] == [90, 0, 40]
    (b,) = next(iter(DataLoader(sub, batch_size=3)))
    assert arr(b).tolist() == [90, 0, 40]
    with pytest.raises(ValueError, match="index 10"):
        Subset(ds, [10])


def test_collate_tuples_dicts_strings():
    batch = next(iter(DataLoader(Squares(), batch_size=3)))
    assert isinstance(batch, list) and len(batch) == 3
    x, label, info = batch
    assert arr(x).shape == (3, 3) and arr(x).dtype == np.float32
    assert arr(label).tolist() == [0, 1, 2] and arr(label).dtype == np.int64
    assert arr(info["sq"]).tolist() == [0.0, 1.0, 4.0] and arr(info["sq"]).dtype == np.float32
    assert info["name"] == ["s0", "s1", "s2"]


def test_collate_namedtuple_bool_uint8_and_shape_error():
    Pair = collections.namedtuple("Pair", "a b")
    out = default_collate([Pair(True, np.uint8(3)), Pair(False, np.uint8(4))])
    assert isinstance(out, Pair)
    assert arr(out.a).dtype == np.bool_ and arr(out.b).dtype == np.uint8
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        default_collate([np.zeros(2), np.zeros(3)])


def test_custom_collate_fn():
    loader = DataLoader(Squares(), batch_size=4, collate_fn=lambda samples: len(samples))
    assert list(loader) == [4, 4, 2]


def test_error_in_getitem_keeps_traceback_and_names_index():
    loader = DataLoader(Broken(), batch_size=2)
    with pytest.raises(KeyError) as info:
        list(loader)
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "Broken[5]" in notes and "batch 2" in notes
    frames = [tb.name for tb in info.traceback]
    assert "__getitem__" in frames  # original frame still in the traceback
    if sys.version_info >= (3, 11):
        assert info.value.args == ("bad sample",)


def test_concat_dataset():
    a, b = TensorDataset(np.arange(3)), TensorDataset(np.arange(10, 12))
    cat = a + b
    assert isinstance(cat, ConcatDataset) and len(cat) == 5
    assert [int(cat[i][0]) for i in range(5)] == [0, 1, 2, 10, 11]
    assert int(cat[-1][0]) == 11
    with pytest.raises(IndexError, match="5"):
        cat[5]


def test_random_split_lengths_and_fractions():
    ds = TensorDataset(np.arange(10))
    lamina.manual_seed(0)
    parts = random_split(ds, [3, 7])
    idx = np.concatenate([p.indices for p in parts])
    assert [len(p) for p in parts] == [3, 7] and sorted(idx.tolist()) == list(range(10))
    lamina.manual_seed(0)
    assert np.array_equal(random_split(ds, [3, 7])[0].indices, parts[0].indices)
    frac = random_split(ds, [0.33, 0.33, 0.34], generator=np.random.default_rng(1))
    assert [len(p) for p in frac] == [4, 3, 3]  # floor 3,3,3 + remainder to the first
    with pytest.raises(ValueError, match="sum to 9"):
        random_split(ds, [4, 5])


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size=0"):
        DataLoader(np.zeros(3), batch_size=0)
