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
    assert M.accuracy(LABELS, SCORES) == pytest.approx(3 / 5)
    # top-2: sample 2 (true 1, scores .2 .3 .5) in; sample 3 (true 2, .3 .4 .3): tie with 0 -> in
    assert M.accuracy(LABELS, SCORES, k=2) == pytest.approx(5 / 5)
    assert M.top_k_accuracy(np.array([2, 1, 0, 0, 0]), SCORES, k=1) == 0.0
    onehot = np.eye(3)[LABELS]
    assert M.accuracy(onehot, SCORES) == pytest.approx(3 / 5)


def test_binary_accuracy_and_single_output_accuracy():
    p = np.array([0.9, 0.2, 0.6, 0.4])
    t = np.array([1.0, 0.0, 0.0, 0.0])
    assert M.binary_accuracy(t, p) == pytest.approx(3 / 4)
    assert M.accuracy(t.astype(np.int64), p[:, None]) == pytest.approx(3 / 4)


def test_regression_metrics_by_hand():
    p, t = np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 2.0])
    assert M.mae(t, p) == pytest.approx((0.5 + 0 + 2) / 3)
    assert M.mse(t, p) == pytest.approx((0.25 + 0 + 4) / 3)
    assert M.rmse(t, p) == pytest.approx(np.sqrt(4.25 / 3))


def test_confusion_matrix_and_macro_scores_by_hand():
    cm = M.confusion_matrix(LABELS, SCORES)
    want = np.array([[1, 0, 0], [0, 1, 1], [0, 1, 1]])
    np.testing.assert_array_equal(cm, want)
    # per class precision: 1/1, 1/2, 1/2; recall: 1/1, 1/2, 1/2
    assert M.precision(LABELS, SCORES) == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert M.recall(LABELS, SCORES) == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert M.f1_score(LABELS, SCORES) == pytest.approx((1 + 0.5 + 0.5) / 3)
    # a class never predicted counts 0 precision, as sklearn's zero_division=0
    p = M.precision(np.array([0, 2, 1]), np.eye(3)[[0, 0, 1]], num_classes=3)
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
    whole = metric(labels, scores)
    metric.reset()
    for a, b in [(0, 10), (10, 11), (11, 23)]:  # batches of 10, 1, 12
        metric.update(labels[a:b], scores[a:b])
    assert metric.result() == pytest.approx(whole, rel=1e-12)


def test_get_metric_errors_and_functions():
    with pytest.raises(ValueError, match="unknown metric 'acuracy'"):
        M.get_metric("acuracy")
    m = M.get_metric(lambda t, p: float(np.mean(p)))
    m.update(np.array([0, 0]), np.array([1.0, 1.0]))
    m.update(np.array([0]), np.array([4.0]))
    assert m.result() == pytest.approx(2.0)  # sample-weighted: (1*2 + 4*1) / 3


def test_every_metric_takes_the_truth_first():
    """(y_true, y_pred) everywhere, as sklearn: a recall swapped for precision would show."""
    true = np.array([0, 0, 0, 1])
    pred = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])  # predicts 0, 1, 1, 1
    # class 0: precision 1/1, recall 1/3; class 1: precision 1/3, recall 1/1
    assert M.precision(true, pred) == pytest.approx((1 + 1 / 3) / 2)
    assert M.recall(true, pred) == pytest.approx((1 / 3 + 1) / 2)
    np.testing.assert_array_equal(M.confusion_matrix(true, pred), [[1, 2], [0, 1]])
    acc = M.Accuracy()
    acc.update(true, pred)
    assert acc.result() == pytest.approx(2 / 4)
    # a prediction-first call is refused: one-hot truth against class indices does not fit
    with pytest.raises(ValueError, match="do not match"):
        M.accuracy(pred, true)
    # the scores-based top-k needs (N, C) scores second
    with pytest.raises(ValueError, match=r"expected \(N, C\)"):
        M.top_k_accuracy(pred, true, k=1)


def test_regression_metrics_match_numpy_with_truth_first():
    rng = np.random.default_rng(3)
    t, p = rng.normal(size=50), rng.normal(size=50)
    assert M.rmse(t, p) == pytest.approx(np.sqrt(np.mean((p - t) ** 2)), rel=1e-12)
    assert M.mae(t, p) == pytest.approx(np.mean(np.abs(p - t)), rel=1e-12)
    assert M.binary_accuracy(t > 0, p) == pytest.approx(np.mean((p > 0.5) == (t > 0)))
