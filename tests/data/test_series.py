"""Windows, leak-free splits, scalers and the seasonal-naive baseline."""

import numpy as np
import pytest

from lamina.data.series import (
    MinMaxScaler,
    StandardScaler,
    chronological_split,
    load_airline,
    make_windows,
    seasonal_naive,
    split_windows,
)


def test_airline_bundled():
    a = load_airline()
    assert a.shape == (144,) and a.dtype == np.float32 and a.sum() == 40363 and a[0] == 112


def test_make_windows():
    x, y = make_windows(np.arange(10.0), lookback=3, horizon=2)
    assert x.shape == (6, 3, 1) and y.shape == (6, 2)
    assert x[0, :, 0].tolist() == [0, 1, 2] and y[0].tolist() == [3, 4]
    assert y[-1].tolist() == [8, 9]
    x, y = make_windows(np.arange(10.0), 3, 1, start=7)
    assert y[:, 0].tolist() == [7, 8, 9] and x[0, :, 0].tolist() == [4, 5, 6]
    with pytest.raises(ValueError, match="no window"):
        make_windows(np.arange(3.0), 3)


def test_split_is_leak_free():
    a = np.arange(100, dtype=np.float32)
    parts, scaler = split_windows(a, lookback=5, horizon=2, val_frac=0.2, test_frac=0.2)
    train, val, test = chronological_split(a, 0.2, 0.2)
    assert len(train) == 60 and len(val) == 20 and len(test) == 20
    np.testing.assert_allclose(scaler.mean_, train.mean())  # fitted on train only
    inv = {k: scaler.inverse_transform(v[1]) for k, v in parts.items()}
    assert inv["train"].max() < 60 - 0.5
    assert inv["val"].min() > 60 - 0.5 and inv["val"].max() < 80 - 0.5
    assert inv["test"].min() > 80 - 0.5 and inv["test"].max() < 100
    assert len(parts["val"][0]) == 19  # every val target in val, inputs look back


def test_scalers_roundtrip():
    x = np.random.default_rng(0).standard_normal((50, 2)).astype(np.float32) * 5 + 3
    for s in (StandardScaler(), MinMaxScaler()):
        z = s.fit_transform(x)
        assert z.dtype == np.float32
        np.testing.assert_allclose(s.inverse_transform(z), x, rtol=1e-5, atol=1e-5)
    assert MinMaxScaler().fit_transform(x).min() == 0
    with pytest.raises(ValueError, match="call fit"):
        StandardScaler().transform(x)


def test_seasonal_naive():
    a = np.arange(30.0)
    pred = seasonal_naive(a, season=12, lookback_end=[20, 25], horizon=2)
    assert pred.tolist() == [[8, 9], [13, 14]]
