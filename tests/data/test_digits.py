import hashlib

import numpy as np
import pytest

from lamina.data.datasets import load_digits
from lamina.data.datasets.digits import load_digits_arrays, stratified_split

COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_stored_arrays_are_the_uci_digits():
    a = load_digits_arrays()
    assert a["images"].dtype == np.uint8 and a["images"].shape == (1797, 8, 8)
    assert a["labels"].dtype == np.uint8 and a["labels"].shape == (1797,)
    assert a["images"].min() == 0 and a["images"].max() == 16
    assert np.bincount(a["labels"]).tolist() == COUNTS
    digest = hashlib.sha256(a["images"].tobytes()).hexdigest()
    assert digest == "8f26b2bd9d135c256808f68f14fdabddde6d9c7f869ae419704b051f0f14b3b3"


def test_shapes_dtypes_and_ranges():
    X, y = load_digits("all")
    assert X.shape == (1797, 1, 8, 8) and X.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    Xf, _ = load_digits("train", flat=True, normalize=False)
    assert Xf.shape == (1438, 64) and Xf.max() == 16.0
    assert set(np.unique(Xf).tolist()) <= set(range(17))


def test_split_is_a_stratified_partition():
    _, y_all = load_digits("all")
    a = load_digits_arrays()
    tr, te = a["train_idx"].astype(int), a["test_idx"].astype(int)
    assert len(tr) == 1438 and len(te) == 359
    assert np.array_equal(np.sort(np.concatenate([tr, te])), np.arange(1797))
    test_counts = np.bincount(y_all[te], minlength=10)
    assert np.array_equal(test_counts, np.round(0.2 * np.array(COUNTS)).astype(int))
    _, y_test = load_digits("test")
    assert np.array_equal(y_test, y_all[te])


def test_split_is_reproducible_from_its_recipe():
    a = load_digits_arrays()
    tr, te = stratified_split(a["labels"], 0.2, seed=0)
    assert np.array_equal(tr, a["train_idx"]) and np.array_equal(te, a["test_idx"])


def test_deterministic_and_consistent_views():
    X1, y1 = load_digits("train")
    X2, y2 = load_digits("train")
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    Xf, _ = load_digits("train", flat=True)
    assert np.array_equal(Xf, X1.reshape(-1, 64))


def test_bad_split_names_the_choices():
    with pytest.raises(ValueError, match="'val'.*train"):
        load_digits("val")
