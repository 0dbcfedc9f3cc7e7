"""Metrics that accumulate exactly over batches (keras.metrics, torchmetrics).

Each metric is a small object with ``reset()``, ``update(y_true, y_pred)`` and
``result()``. State is kept as sums and counts (or a confusion matrix), never as an
average of per-batch averages, so an epoch's value equals the metric computed on the
whole epoch at once. The functional forms (``accuracy(y_true, y_pred)`` ...) compute a
metric on one pair of arrays. Every metric, class or function, takes the truth first and
the prediction second, as scikit-learn's metrics and Keras's ``update_state(y_true, y_pred)``.

Shapes: ``y_pred`` holds scores or logits ``(N, C)`` for classification (or ``(N,)`` /
``(N, 1)`` for one binary output), predictions of the target's shape for regression;
``y_true`` holds class indices ``(N,)``, one-hot rows ``(N, C)`` or targets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor

__all__ = [
    "Metric",
    "Accuracy",
    "TopKAccuracy",
    "BinaryAccuracy",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "RootMeanSquaredError",
    "Precision",
    "Recall",
    "F1Score",
    "MeanMetric",
    "accuracy",
    "top_k_accuracy",
    "binary_accuracy",
    "mae",
    "mse",
    "rmse",
    "precision",
    "recall",
    "f1_score",
    "confusion_matrix",
    "get_metric",
]


def _np(x: Any) -> np.ndarray:
    """ndarray behind a lamina Tensor, an ndarray or a list."""
    return x.detach().numpy() if isinstance(x, Tensor) else np.asarray(x)


def _class_labels(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(true, predicted) class indices from indices (N,) or one-hot (N, C) and scores (N, C)."""
    if y_pred.ndim >= 2 and y_pred.shape[-1] > 1:
        pred = y_pred.argmax(axis=-1)
        true = y_true.argmax(axis=-1) if y_true.shape == y_pred.shape else y_true
    elif y_pred.size == y_true.size:  # one binary output: threshold probabilities at 0.5
        pred, true = (y_pred.reshape(y_true.shape) > 0.5).astype(np.int64), y_true
    else:
        pred, true = y_pred, y_true  # sizes differ: refused below
    if pred.shape != true.shape:
        raise ValueError(
            f"metrics: predictions of shape {y_pred.shape} do not match targets of shape "
            f"{y_true.shape}; expected scores (N, C) with indices (N,) or one-hot (N, C)"
        )
    return true.astype(np.int64).ravel(), pred.astype(np.int64).ravel()


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int | None = None) -> np.ndarray:
    """Counts ``cm[i, j]`` of samples of true class i predicted as j (sklearn's layout).

    Args:
        y_true: true class indices (N,) (or one-hot (N, C)).
        y_pred: predicted class indices (N,) or scores (N, C) (argmax is taken).
        num_classes: matrix size; default the largest index seen plus one.

    Returns:
        int64 array (num_classes, num_classes).
    """
    y_true, y_pred = _np(y_true), _np(y_pred)
    if y_pred.ndim >= 2 and y_pred.shape[-1] > 1:
        true, pred = _class_labels(y_true, y_pred)
    else:
        true, pred = y_true.astype(np.int64).ravel(), y_pred.astype(np.int64).ravel()
    if num_classes is None:
        num_classes = int(max(pred.max(initial=-1), true.max(initial=-1))) + 1
    bad = (true < 0) | (true >= num_classes) | (pred < 0) | (pred >= num_classes)
    if bad.any():
        raise ValueError(
            f"confusion_matrix: class index out of range [0, {num_classes}) "
            f"(true {true[bad][:3].tolist()}, predicted {pred[bad][:3].tolist()})"
        )
    flat = np.bincount(true * num_classes + pred, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes).astype(np.int64)


class Metric:
    """Base class: ``update`` adds a batch, ``result`` gives the value so far (keras.Metric)."""

    name = "metric"

    def reset(self) -> None:
        raise NotImplementedError

    def update(self, y_true: Any, y_pred: Any) -> None:
        raise NotImplementedError

    def result(self) -> float:
        raise NotImplementedError

    def __call__(self, y_true: Any, y_pred: Any) -> float:
        """The metric on one pair of arrays, leaving no state behind."""
        self.reset()
        self.update(y_true, y_pred)
        value = self.result()
        self.reset()
        return value

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class _Ratio(Metric):
    """A metric kept as ``total / count``."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.total, self.count = 0.0, 0

    def result(self) -> float:
        return self.total / self.count if self.count else float("nan")


class Accuracy(_Ratio):
    """Share of samples whose argmax score is the true class (keras "accuracy")."""

    name = "accuracy"

    def update(self, y_true: Any, y_pred: Any) -> None:
        true, pred = _class_labels(_np(y_true), _np(y_pred))
        self.total += float(np.count_nonzero(pred == true))
        self.count += pred.size


class TopKAccuracy(_Ratio):
    """Share of samples whose true class is among the k best scores (keras TopKCategorical)."""

    def __init__(self, k: int = 5) -> None:
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"TopKAccuracy: k={k!r}, expected an int >= 1")
        self.k, self.name = k, f"top{k}_accuracy"
        super().__init__()

    def update(self, y_true: Any, y_pred: Any) -> None:
        true, scores = _np(y_true), _np(y_pred)
        if scores.ndim != 2:
            raise ValueError(f"TopKAccuracy: scores of shape {scores.shape}, expected (N, C)")
        true = true.argmax(-1) if true.shape == scores.shape else true.reshape(-1)
        # a sample counts when fewer than k classes score strictly higher than the true one
        target = np.take_along_axis(scores, true[:, None].astype(np.intp), axis=1)
        better = np.count_nonzero(scores > target, axis=1)
        self.total += float(np.count_nonzero(better < self.k))
        self.count += len(true)


class BinaryAccuracy(_Ratio):
    """Share of elements with ``(y_pred > threshold) == y_true`` (keras BinaryAccuracy)."""

    name = "binary_accuracy"

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold
        super().__init__()

    def update(self, y_true: Any, y_pred: Any) -> None:
        true, pred = _np(y_true), _np(y_pred)
        pred = pred.reshape(true.shape) if pred.size == true.size else pred
        self.total += float(np.count_nonzero((pred > self.threshold) == (true > 0.5)))
        self.count += true.size


class _Elementwise(_Ratio):
    def update(self, y_true: Any, y_pred: Any) -> None:
        true, pred = _np(y_true), _np(y_pred)
        if pred.size != true.size:
            raise ValueError(
                f"{type(self).__name__}: predictions of shape {pred.shape} and targets of "
                f"shape {true.shape} differ in size"
            )
        diff = pred.reshape(true.shape).astype(np.float64) - true
        self.total += float(self._term(diff).sum())
        self.count += true.size


class MeanAbsoluteError(_Elementwise):
    """Mean of ``|y_pred - y_true|`` over every element seen (keras "mae")."""

    name = "mae"
    _term = staticmethod(np.abs)


class MeanSquaredError(_Elementwise):
    """Mean of ``(y_pred - y_true)**2`` over every element seen (keras "mse")."""

    name = "mse"
    _term = staticmethod(np.square)


class RootMeanSquaredError(MeanSquaredError):
    """Square root of the mean squared error of everything seen (keras "rmse")."""

    name = "rmse"

    def result(self) -> float:
        return float(np.sqrt(super().result()))


class _FromConfusion(Metric):
    """Macro-averaged precision / recall / F1 from an accumulated confusion matrix."""

    def __init__(self, num_classes: int | None = None) -> None:
        self.num_classes = num_classes
        self.reset()

    def reset(self) -> None:
        self.cm = np.zeros((0, 0), np.int64)

    def update(self, y_true: Any, y_pred: Any) -> None:
        true, pred = _class_labels(_np(y_true), _np(y_pred))
        scores = _np(y_pred)
        seen = scores.shape[-1] if scores.ndim >= 2 and scores.shape[-1] > 1 else 2
        n = max(self.num_classes or seen, len(self.cm), int(true.max(initial=0)) + 1)
        cm = confusion_matrix(true, pred, n)
        old, self.cm = self.cm, cm
        self.cm[: len(old), : len(old)] += old

    def _per_class(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        tp = np.diag(self.cm).astype(np.float64)
        predicted, actual = self.cm.sum(axis=0), self.cm.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):  # 0/0 -> 0, as sklearn
            p = np.where(predicted > 0, tp / np.maximum(predicted, 1), 0.0)
            r = np.where(actual > 0, tp / np.maximum(actual, 1), 0.0)
            f = np.where(p + r > 0, 2 * p * r / np.where(p + r > 0, p + r, 1), 0.0)
        return p, r, f

    def result(self) -> float:
        if self.cm.size == 0:
            return float("nan")
        return float(self._per_class()[self._which].mean())


class Precision(_FromConfusion):
    """Macro precision: mean over classes of TP / (TP + FP) (sklearn average="macro")."""

    name, _which = "precision", 0


class Recall(_FromConfusion):
    """Macro recall: mean over classes of TP / (TP + FN) (sklearn average="macro")."""

    name, _which = "recall", 1


class F1Score(_FromConfusion):
    """Macro F1: mean over classes of 2PR / (P + R) (sklearn f1_score average="macro")."""

    name, _which = "f1", 2


class MeanMetric(_Ratio):
    """Wrap ``fn(y_true, y_pred) -> float`` (a per-batch mean) into a sample-weighted mean."""

    def __init__(self, fn: Callable[[Any, Any], Any], name: str | None = None) -> None:
        self.fn, self.name = fn, name or getattr(fn, "__name__", "metric")
        super().__init__()

    def update(self, y_true: Any, y_pred: Any) -> None:
        n = len(_np(y_true)) if _np(y_true).ndim else 1
        self.total += float(_np(self.fn(y_true, y_pred))) * n
        self.count += n


def accuracy(y_true: Any, y_pred: Any, k: int = 1) -> float:
    """Top-k accuracy of scores (N, C) against indices (N,) or one-hot; k=1 is plain accuracy.

    keras.metrics.Accuracy / sklearn.metrics.accuracy_score (on argmax predictions).
    """
    return (Accuracy() if k == 1 else TopKAccuracy(k))(y_true, y_pred)


def top_k_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> float:
    """Share of samples whose true class is among the k best scores (sklearn top_k_accuracy)."""
    return TopKAccuracy(k)(y_true, y_pred)


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> float:
    """Share of elements with ``(y_pred > threshold) == y_true`` (keras binary_accuracy)."""
    return BinaryAccuracy(threshold)(y_true, y_pred)


def mae(y_true: Any, y_pred: Any) -> float:
    """Mean absolute error (sklearn mean_absolute_error)."""
    return MeanAbsoluteError()(y_true, y_pred)


def mse(y_true: Any, y_pred: Any) -> float:
    """Mean squared error (sklearn mean_squared_error)."""
    return MeanSquaredError()(y_true, y_pred)


def rmse(y_true: Any, y_pred: Any) -> float:
    """Root mean squared error (sklearn root_mean_squared_error)."""
    return RootMeanSquaredError()(y_true, y_pred)


def precision(y_true: Any, y_pred: Any, num_classes: int | None = None) -> float:
    """Macro precision (sklearn precision_score(average="macro", zero_division=0))."""
    return Precision(num_classes)(y_true, y_pred)


def recall(y_true: Any, y_pred: Any, num_classes: int | None = None) -> float:
    """Macro recall (sklearn recall_score(average="macro", zero_division=0))."""
    return Recall(num_classes)(y_true, y_pred)


def f1_score(y_true: Any, y_pred: Any, num_classes: int | None = None) -> float:
    """Macro F1 (sklearn f1_score(average="macro", zero_division=0))."""
    return F1Score(num_classes)(y_true, y_pred)


_BY_NAME: dict[str, Callable[[], Metric]] = {
    "accuracy": Accuracy,
    "acc": Accuracy,
    "binary_accuracy": BinaryAccuracy,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "rmse": RootMeanSquaredError,
    "precision": Precision,
    "recall": Recall,
    "f1": F1Score,
    "f1_score": F1Score,
}


def get_metric(spec: Any) -> Metric:
    """A fresh Metric from a name ("accuracy", "top5", "mae" ...), a Metric or a function."""
    if isinstance(spec, Metric):
        return spec
    if isinstance(spec, str):
        key = spec.lower()
        if key in _BY_NAME:
            return _BY_NAME[key]()
        if key.startswith("top") and key[3:].split("_")[0].isdigit():
            return TopKAccuracy(int(key[3:].split("_")[0]))
        raise ValueError(
            f"get_metric: unknown metric {spec!r}; expected one of {sorted(_BY_NAME)}, "
            "'top<k>', a Metric or a function"
        )
    if callable(spec):
        return MeanMetric(spec)
    raise TypeError(f"get_metric: expected a name, Metric or function, got {type(spec).__name__}")
