"""fit(validation_split=...): a seeded, stratified random hold-out; the missing-class warning."""

import warnings

import numpy as np
import pytest

import lamina as L
from lamina import nn, optim
from lamina.data import Subset, TensorDataset
from lamina.train import Trainer


class Recorder(nn.Module):
    """A linear classifier that remembers which rows it saw in train and in eval mode."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(1, 3)
        self.__dict__["seen"] = {True: [], False: []}

    def forward(self, x):
        self.seen[self.training].extend(int(v) for v in x.numpy()[:, 0])
        return self.fc(x)


def sorted_by_class(n_per_class=(10, 20, 30)):
    """Rows numbered 0..n-1 (the row id is the feature), labels sorted as ImageFolder gives."""
    y = np.repeat(np.arange(len(n_per_class)), n_per_class).astype(np.int64)
    x = np.arange(len(y), dtype=np.float32)[:, None]
    return x, y


def fit_recorder(data, **kw):
    L.manual_seed(0)
    model = Recorder()
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a stratified split must not trigger the warning
        trainer.fit(*data, epochs=1, batch_size=7, validation_split=0.2, verbose=0, **kw)
    return set(model.seen[True]), set(model.seen[False])


@pytest.mark.parametrize("as_dataset", [False, True])
def test_split_is_stratified_random_and_disjoint(as_dataset):
    x, y = sorted_by_class()
    data = (TensorDataset(x, y),) if as_dataset else (x, y)
    trained, held = fit_recorder(data)
    assert trained.isdisjoint(held) and trained | held == set(range(60))
    counts = np.bincount(y[sorted(held)], minlength=3)
    assert counts.tolist() == [2, 4, 6]  # 20% of each class, not the last 12 rows (class 2)
    assert held != set(range(48, 60))
    assert fit_recorder(data)[1] == held  # seeded: the same split every run


def test_float_targets_get_a_seeded_random_split():
    x, _ = sorted_by_class()
    y = np.linspace(0, 1, 60, dtype=np.float32)[:, None]  # regression targets: no classes
    L.manual_seed(0)
    model = Recorder()
    trainer = Trainer(model, "mse", optim.SGD(model.parameters(), lr=0.0))
    trainer.fit(x, y[:, [0, 0, 0]], epochs=1, batch_size=7, validation_split=0.25, verbose=0)
    held = set(model.seen[False])
    assert len(held) == 15 and held.isdisjoint(model.seen[True])
    assert held != set(range(45, 60))  # random, not the last rows


def test_subset_of_dataset_with_targets_is_stratified():
    x, y = sorted_by_class((5, 5, 10))
    ds = TensorDataset(x, y)
    ds.targets = y.tolist()  # as ImageFolder exposes them
    trained, held = fit_recorder((Subset(ds, np.arange(20)),))
    assert np.bincount(y[sorted(held)], minlength=3).tolist() == [1, 1, 2]


def test_fit_warns_when_validation_lacks_classes():
    x, y = sorted_by_class()
    L.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 3))
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.0))
    with pytest.warns(UserWarning, match=r"lacks 2 of the training data's classes \(0, 1\)"):
        trainer.fit(x, y, epochs=1, validation_data=(x[50:], y[50:]), verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trainer.fit(x, y, epochs=1, validation_data=(x[::5], y[::5]), verbose=0)
