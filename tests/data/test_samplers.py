"""DataLoader's torch options and the samplers of lamina.utils.data."""

import numpy as np
import pytest

import lamina
from lamina.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
)
from tests.oracle import torch


class Squares(Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        return np.float32(i * i), i


def _batches(loader):
    return [(x.numpy().tolist(), y.numpy().tolist()) for x, y in loader]


def test_batch_sampler_and_sampler_match_torch():
    ds = Squares()
    ours = _batches(DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(ds), 3, True)))
    t = torch.utils.data
    theirs = [
        (x.numpy().tolist(), y.numpy().tolist())
        for x, y in t.DataLoader(ds, batch_sampler=t.BatchSampler(t.SequentialSampler(ds), 3, True))
    ]
    assert ours == theirs
    assert list(BatchSampler(range(7), 3, False)) == list(t.BatchSampler(range(7), 3, False))
    assert len(BatchSampler(range(7), 3, False)) == 3


def test_num_workers_and_worker_options_accepted_as_torch():
    ds = Squares()
    plain = _batches(DataLoader(ds, batch_size=4))
    loader = DataLoader(
        ds, batch_size=4, num_workers=2, pin_memory=True, prefetch_factor=2, persistent_workers=True
    )
    assert _batches(loader) == plain and loader.num_workers == 2
    for bad in (dict(num_workers=-1), dict(prefetch_factor=2), dict(persistent_workers=True)):
        with pytest.raises(ValueError):
            DataLoader(ds, **bad)
        with pytest.raises(ValueError):
            torch.utils.data.DataLoader(ds, **bad)


def test_mutually_exclusive_options_raise_as_torch():
    ds = Squares()
    for kw in (
        dict(sampler=SequentialSampler(ds), shuffle=True),
        dict(batch_sampler=BatchSampler(range(10), 2, False), batch_size=3),
        dict(batch_size=None, drop_last=True),
    ):
        with pytest.raises(ValueError):
            DataLoader(ds, **kw)


def test_random_samplers_draw_valid_indices():
    lamina.manual_seed(0)
    ds = Squares()
    order = list(RandomSampler(ds))
    assert sorted(order) == list(range(10)) and order != list(range(10))
    draws = list(RandomSampler(ds, replacement=True, num_samples=25))
    assert len(draws) == 25 and set(draws) <= set(range(10))
    assert sorted(SubsetRandomSampler([2, 4, 6])) == [2, 4, 6]
    w = list(WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 200))
    assert set(w) == {1, 3} and 0.6 < w.count(3) / 200 < 0.9
    with pytest.raises(RuntimeError):
        WeightedRandomSampler([1.0, 0.0], 2, replacement=False)
    loader = DataLoader(ds, batch_size=4, sampler=SubsetRandomSampler([1, 3, 5, 7, 9]))
    assert sorted(sum((y for _, y in _batches(loader)), [])) == [1, 3, 5, 7, 9] and len(loader) == 2


def test_batch_size_none_and_iterable_dataset():
    ds = TensorDataset(np.arange(6, dtype=np.float32).reshape(3, 2), np.arange(3))
    samples = list(DataLoader(ds, batch_size=None))
    assert len(samples) == 3 and samples[1][0].numpy().tolist() == [2.0, 3.0]

    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(7))

    got = [b.numpy().tolist() for b in DataLoader(Stream(), batch_size=3)]
    with pytest.raises(ValueError):
        DataLoader(Stream(), shuffle=True)

    class _TorchStream(torch.utils.data.IterableDataset):  # skips here without torch
        def __iter__(self):
            return iter(range(7))

    assert got == [
        b.numpy().tolist() for b in torch.utils.data.DataLoader(_TorchStream(), batch_size=3)
    ]
