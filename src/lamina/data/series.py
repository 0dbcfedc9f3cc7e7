"""Time series for forecasting: windows, leak-free splits, scalers, baselines.

``chronological_split`` cuts the series in time order; ``make_windows`` turns a series
into (lookback -> horizon) pairs; ``split_windows`` does both so that every target of the
validation/test windows lies in its own part (inputs may look back into the previous
part, which is known at forecast time) and the scaler is fitted on the training part only.
The bundled ``load_airline()`` is Box & Jenkins' series G: monthly international airline
passengers 1949-1960, in thousands (144 values).
"""

from __future__ import annotations

import csv
import io
from importlib import resources

import numpy as np

__all__ = [
    "load_airline",
    "make_windows",
    "chronological_split",
    "split_windows",
    "StandardScaler",
    "MinMaxScaler",
    "seasonal_naive",
]


def load_airline() -> np.ndarray:
    """The 144 monthly airline passenger totals (thousands) as float32, 1949-01..1960-12."""
    raw = resources.files("lamina.data").joinpath("datasets/airline_passengers.csv").read_text()
    rows = list(csv.DictReader(io.StringIO(raw)))
    return np.array([float(r["passengers"]) for r in rows], dtype=np.float32)


def make_windows(series, lookback: int, horizon: int = 1, start: int = 0):
    """Inputs (n, lookback, F) and targets (n, horizon) from a series (T,) or (T, F).

    Window i reads ``series[s - lookback : s]`` and predicts the first feature of
    ``series[s : s + horizon]`` for ``s = max(start, lookback) + i``: ``start`` lets the
    targets begin later than the inputs (see ``split_windows``).
    """
    a = np.asarray(series)
    a = a[:, None] if a.ndim == 1 else a
    if a.ndim != 2 or lookback < 1 or horizon < 1:
        raise ValueError(
            f"make_windows: need a series (T,) or (T, F), lookback >= 1 and horizon >= 1; "
            f"got shape {np.shape(series)}, lookback={lookback}, horizon={horizon}"
        )
    first = max(start, lookback)
    n = len(a) - horizon - first + 1
    if n < 1:
        raise ValueError(
            f"make_windows: a series of {len(a)} steps gives no window with "
            f"lookback={lookback}, horizon={horizon}, start={start}"
        )
    s = first + np.arange(n)
    x = a[s[:, None] - lookback + np.arange(lookback)]  # (n, lookback, F)
    y = a[s[:, None] + np.arange(horizon), 0]  # (n, horizon)
    return x, y


def chronological_split(series, val_frac: float = 0.15, test_frac: float = 0.15):
    """(train, val, test) in time order; the fractions are of the whole length."""
    a = np.asarray(series)
    if not (0 <= val_frac < 1 and 0 <= test_frac < 1 and val_frac + test_frac < 1):
        raise ValueError(
            f"chronological_split: fractions must be in [0, 1) with a sum < 1, got "
            f"val_frac={val_frac}, test_frac={test_frac}"
        )
    n_test, n_val = int(round(len(a) * test_frac)), int(round(len(a) * val_frac))
    n_train = len(a) - n_val - n_test
    return a[:n_train], a[n_train : n_train + n_val], a[n_train + n_val :]


class StandardScaler:
    """(x - mean) / std per feature, fitted on training data only (sklearn's StandardScaler)."""

    def fit(self, x):
        a = np.asarray(x, dtype=np.float64)
        self.mean_ = a.mean(axis=0)
        self.scale_ = np.where(a.std(axis=0) > 0, a.std(axis=0), 1.0)
        return self

    def _check(self):
        if not hasattr(self, "scale_"):
            raise ValueError(f"{type(self).__name__}: call fit(train) before transform")

    def transform(self, x):
        self._check()
        a = np.asarray(x)
        return ((a - self.mean_) / self.scale_).astype(
            a.dtype if a.dtype.kind == "f" else np.float32
        )

    def inverse_transform(self, x):
        self._check()
        a = np.asarray(x)
        return (a * self.scale_ + self.mean_).astype(a.dtype if a.dtype.kind == "f" else np.float32)

    def fit_transform(self, x):
        return self.fit(x).transform(x)


class MinMaxScaler(StandardScaler):
    """(x - min) / (max - min) per feature into [0, 1] (sklearn's MinMaxScaler)."""

    def fit(self, x):
        a = np.asarray(x, dtype=np.float64)
        lo, hi = a.min(axis=0), a.max(axis=0)
        self.mean_, self.scale_ = lo, np.where(hi > lo, hi - lo, 1.0)
        return self


def split_windows(
    series, lookback: int, horizon: int = 1, val_frac=0.15, test_frac=0.15, scaler=None
):
    """Scaled windows for train/val/test with no leakage; returns (parts, scaler).

    ``parts`` maps "train", "val", "test" to ``(x, y)``. The scaler (StandardScaler by
    default) is fitted on the training part only; a val/test window's targets all lie in
    its part, its inputs may reach back into earlier parts.
    """
    a = np.asarray(series, dtype=np.float32)
    train, val, test = chronological_split(a, val_frac, test_frac)
    scaler = (scaler or StandardScaler()).fit(train.reshape(len(train), -1))
    scaled = scaler.transform(a.reshape(len(a), -1))
    bounds = {"train": (0, len(train)), "val": (len(train), len(train) + len(val))}
    bounds["test"] = (bounds["val"][1], len(a))
    parts = {}
    for name, (lo, hi) in bounds.items():
        if hi - lo < horizon:
            parts[name] = (
                np.zeros((0, lookback, scaled.shape[1]), np.float32),
                np.zeros((0, horizon), np.float32),
            )
            continue
        parts[name] = make_windows(scaled[:hi], lookback, horizon, start=lo)
    return parts, scaler


def seasonal_naive(series, season: int, lookback_end, horizon: int = 1):
    """Forecast ``series[s + h]`` by ``series[s + h - season]`` for each start s (n, horizon).

    ``lookback_end`` lists the first target index s of each window (values before s known).
    """
    a = np.asarray(series)
    s = np.asarray(lookback_end)[:, None] + np.arange(horizon)
    back = s - season * ((np.arange(horizon) // season) + 1)
    return a[back]
