"""Metrics vs hand computations; batch accumulation equals the whole-set value."""

import numpy as np
import pytest

from lamina.train import metrics as M

SCORES = np.array(
    [[0.1, 0.7, 0.2], [0.8, 0.1, 0.1], [0.2, 0.3, 0.5], [0.3, 0.4, 0.3], [0.1, 0.2, 0.7]],
    dtype=np.float32,
)  # argmax: 1, 0, 2, 1, 2
LABELS = np.array([1, 0, 1, 2, 2])


def test_accuracy_and_top_k_by_hand():
    assert M.accuracy(SCORES, LABELS) == pytest.approx(3 / 5)
    # top-2: sample 2 (true 1, scores .2 .3 .5) in; sample 3 (true 2, .3 .4 .3): tie with 0 -> in
    assert M.accuracy(SCORES, LABELS, k=2) == pytest.approx(5 / 5)
    assert M.top_k_accuracy(SCORES, np.array([2, 1, 0, 0, 0]), k=1) == 0.0
    onehot = np.eye(3)[LABELS]
    assert M.accuracy(SCORES, onehot) == pytest.approx(3 / 5)


def test_binary_accuracy_and_single_output_accuracy():
    p = np.array([0.9, 0.2, 0.6, 0.4])
    t = np.array([1.0, 0.0, 0.0, 0.0])
    assert M.binary_accuracy(p, t) == pytest.approx(3 / 4)
    assert M.accuracy(p[:, None], t.astype(np.int64)) == pytest.approx(3 / 4)


def test_regression_metrics_by_hand():
    p, t = np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 2.0])
    assert M.mae(p, t) == pytest.approx((0.5 + 0 + 2) / 3)
    assert M.mse(p, t) == pytest.approx((0.25 + 0 + 4) / 3)
    assert M.rmse(p, t) == pytest.approx(np.sqrt(4.25 / 3))


def test_confusion_matrix_and_macro_scores_by_hand():
    cm = M.confusion_matrix(LABELS, SCORES)
    want = np.array([[1, 0, 0], [0, 1, 1], [0, 1, 1]])
    np.testing.assert_array_equal(cm, want)
    # per class precision: 1/1, 1/2, 1/2; recall: 1/1, 1/2, 1/2
    assert M.precision(SCORES, LABELS) == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert M.recall(SCORES, LABELS) == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert M.f1_score(SCORES, LABELS) == pytest.approx((1 + 0.5 + 0.5) / 3)
    # a class never predicted counts 0 precision, as sklearn's zero_division=0
    p = M.precision(np.eye(3)[[0, 0, 1]], np.array([0, 2, 1]), num_classes=3)
    assert p == pytest.approx((0.5 + 1 + 0) / 3)


def test_confusion_matrix_rejects_out_of_range():
    with pytest.raises(ValueError, match="out of range"):
        M.confusion_matrix([0, 3], [0, 1], num_classes=3)


@pytest.mark.parametrize("name", ["accuracy", "top2", "rmse", "f1", "precision", "recall"])
def test_accumulation_is_exact_over_uneven_batches(name):
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(23, 4)).astype(np.float32)
    labels = rng.integers(0, 4, size=23)
    if name == "rmse":
        scores, labels = scores[:, 0], rng.normal(size=23)
    metric = M.get_metric(name)
    whole = metric(scores, labels)
    metric.reset()
    for a, b in [(0, 10), (10, 11), (11, 23)]:  # batches of 10, 1, 12
        metric.update(scores[a:b], labels[a:b])
    assert metric.result() == pytest.approx(whole, rel=1e-12)


def test_get_metric_errors_and_functions():
    with pytest.raises(ValueError, match="unknown metric 'acuracy'"):
        M.get_metric("acuracy")
    m = M.get_metric(lambda p, t: float(np.mean(p)))
    m.update(np.array([1.0, 1.0]), np.array([0, 0]))
    m.update(np.array([4.0]), np.array([0]))
    assert m.result() == pytest.approx(2.0)  # sample-weighted: (1*2 + 4*1) / 3
