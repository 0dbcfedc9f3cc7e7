"""``fit(validation_split=...)``: a seeded, stratified random hold-out, and the class check.

Keras holds out the *last* share of the samples, a known trap: data sorted by class (as
``ImageFolder`` gives it) then validates on the last classes only. lamina draws the
hold-out at random with a fixed seed, per class when the targets are class labels.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..data import Subset
from ..tensor import Tensor

__all__ = ["SPLIT_SEED", "class_labels", "split_indices", "warn_missing_classes"]

SPLIT_SEED = 0  # the same split on every run, whatever else draws from lamina's generator


def class_labels(x: Any, y: Any = None) -> np.ndarray | None:
    """The integer class label of every sample, when they can be read without loading data.

    Arrays: ``y`` when it is 1-D integer. Datasets: a ``targets`` attribute (ImageFolder,
    torchvision's datasets), the last tensor of a ``TensorDataset``, through ``Subset``.
    """
    if y is not None:
        labels = np.asarray(y.numpy() if isinstance(y, Tensor) else y)
    elif isinstance(x, Subset):
        inner = class_labels(x.dataset)
        return None if inner is None else inner[x.indices]
    elif getattr(x, "targets", None) is not None:
        labels = np.asarray(x.targets)
    elif getattr(x, "tensors", None):
        labels = np.asarray(x.tensors[-1])
    else:
        return None
    ok = labels.ndim == 1 and (labels.dtype.kind in "iu" or labels.dtype == bool)
    return labels if ok and len(labels) else None


def split_indices(n: int, fraction: float, labels: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """(train, validation) indices: ``fraction`` of each class (or of all) drawn at random.

    Each class with at least two samples gives ``max(1, round(fraction * n_c))`` of them to
    validation; without labels, ``round(fraction * n)`` random samples are held out.
    """
    rng = np.random.default_rng(SPLIT_SEED)
    if labels is None:
        order = rng.permutation(n)
        cut = max(1, int(round(fraction * n)))
        return np.sort(order[cut:]), np.sort(order[:cut])
    train, val = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        k = min(max(1, int(round(fraction * idx.size))), idx.size - 1)
        val.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


def warn_missing_classes(train_labels: Any, val_labels: Any) -> None:
    """Warn when validation lacks classes the training data has (its metrics then mislead)."""
    if train_labels is None or val_labels is None:
        return
    missing = sorted(set(np.unique(train_labels).tolist()) - set(np.unique(val_labels).tolist()))
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (" ..." if len(missing) > 10 else "")
        warnings.warn(
            f"fit: the validation data lacks {len(missing)} of the training data's classes "
            f"({shown}); val_ metrics do not measure those classes. Use validation_split "
            "(stratified) or shuffle before splitting.",
            UserWarning,
            stacklevel=4,
        )
