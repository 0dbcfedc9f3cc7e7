"""The 8x8 handwritten digits shipped inside lamina (no download).

1,797 grey images of the digits 0-9, each pixel an integer count 0..16 (UCI "Optical
Recognition of Handwritten Digits", as ``sklearn.datasets.load_digits`` ships it; CC BY 4.0,
see ``README.md`` next to this file). The arrays live in ``digits.npz``:

- ``images`` uint8 (1797, 8, 8), values 0..16
- ``labels`` uint8 (1797,), values 0..9
- ``train_idx`` / ``test_idx`` uint16, sorted: the fixed stratified 80/20 split
  (1,438 / 359 images) made by :func:`stratified_split` with ``seed=0``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

DIGITS_PATH = Path(__file__).with_name("digits.npz")
NUM_IMAGES = 1797
SPLITS = ("train", "test", "all")


def stratified_split(
    labels: np.ndarray, test_fraction: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Split indices per class: ``round(test_fraction * n_c)`` of each class go to test.

    Classes are visited in ascending order; for each, ``rng.permutation`` of its indices
    (``rng = numpy.random.default_rng(seed)``) puts the first ``n_test`` into test. Both
    index arrays are returned sorted. This is how the stored digits split was made.

    Args:
        labels: integer class labels, shape (N,).
        test_fraction: share of each class held out, in (0, 1).
        seed: seed of ``numpy.random.default_rng``.

    Returns:
        ``(train_idx, test_idx)``, int64 arrays that partition ``range(N)``.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"stratified_split: test_fraction={test_fraction!r}, expected 0 < f < 1")
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_test = int(round(test_fraction * idx.size))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def load_digits_arrays() -> dict[str, np.ndarray]:
    """Read ``digits.npz`` (no pickle) and return its four arrays, checked."""
    with np.load(DIGITS_PATH, allow_pickle=False) as f:
        arrays = {k: f[k] for k in ("images", "labels", "train_idx", "test_idx")}
    if arrays["images"].shape != (NUM_IMAGES, 8, 8) or arrays["labels"].shape != (NUM_IMAGES,):
        raise ValueError(
            f"{DIGITS_PATH}: images {arrays['images'].shape}, labels {arrays['labels'].shape}; "
            f"expected ({NUM_IMAGES}, 8, 8) and ({NUM_IMAGES},)"
        )
    return arrays


def load_digits(
    split: str = "train", normalize: bool = True, flat: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Return the embedded 8x8 digits as arrays ready for a model.

    Like ``sklearn.datasets.load_digits(return_X_y=True)`` plus a fixed split; the
    stratified 80/20 split is stored with the data (see :func:`stratified_split`).

    Args:
        split: ``"train"`` (1,438 images), ``"test"`` (359) or ``"all"`` (1,797, original
            order).
        normalize: divide the 0..16 pixel counts by 16 so values lie in [0, 1]; when False
            the raw counts are returned as float32.
        flat: return X as (N, 64) instead of (N, 1, 8, 8).

    Returns:
        ``(X, y)``: X float32 of shape (N, 1, 8, 8) or (N, 64); y int64 of shape (N,).

    Example:
        >>> X, y = load_digits("test", flat=True)
        >>> X.shape, y.shape
        ((359, 64), (359,))
    """
    if split not in SPLITS:
        raise ValueError(f"load_digits: split={split!r}, expected one of {SPLITS}")
    arrays = load_digits_arrays()
    images, labels = arrays["images"], arrays["labels"]
    if split != "all":
        idx = arrays[f"{split}_idx"].astype(np.intp)
        images, labels = images[idx], labels[idx]
    X = images.astype(np.float32)  # (N, 8, 8)
    if normalize:
        X /= np.float32(16.0)
    X = X.reshape(len(X), 64) if flat else X.reshape(len(X), 1, 8, 8)
    return X, labels.astype(np.int64)
