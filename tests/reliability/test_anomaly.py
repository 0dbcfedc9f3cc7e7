"""lamina.autograd.detect_anomaly: names the op whose backward first produced NaN or inf."""

import warnings

import numpy as np
import pytest

import lamina
from lamina.autograd import detect_anomaly, set_detect_anomaly


def _leaf(values):
    return lamina.tensor(np.asarray(values, np.float32), requires_grad=True)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's own nan/inf warnings
        yield


def test_sqrt_of_negative_names_sqrt():
    x = _leaf([-1.0, 4.0])
    with detect_anomaly():
        loss = ((x * 3.0).sqrt() * 2.0 + 1.0).sum()  # only Sqrt's backward makes nan
        with pytest.raises(FloatingPointError, match=r"'SqrtBackward0' returned nan"):
            loss.backward()


def test_log_of_zero_names_log():
    x = _leaf([0.0, 2.0])
    with detect_anomaly():
        loss = (x.relu().log() * 0.5).mean()
        with pytest.raises(FloatingPointError, match=r"'LogBackward0' returned inf"):
            loss.backward()


def test_first_bad_op_is_named_not_later_ones():
    """Division by zero downstream of a finite graph: DivBackward (or the like) is blamed."""
    x = _leaf([1.0, 2.0])
    z = _leaf([0.0, 1.0])
    with detect_anomaly():
        loss = (x.exp() / z).sum()
        with pytest.raises(FloatingPointError) as info:
            loss.backward()
    msg = str(info.value)
    assert "Div" in msg and "Exp" not in msg and "Sum" not in msg, msg


def test_off_by_default_and_after_the_block():
    x = _leaf([-1.0])
    x.sqrt().sum().backward()  # no anomaly mode: nan flows into .grad silently, as in torch
    assert np.isnan(x.grad.numpy()).all()
    with detect_anomaly():
        pass
    x.grad = None
    x.sqrt().sum().backward()
    assert np.isnan(x.grad.numpy()).all()


def test_finite_graph_passes_and_set_detect_anomaly_toggles():
    x = _leaf([1.0, 4.0])
    with detect_anomaly():
        x.sqrt().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.25])
    with set_detect_anomaly(False):
        y = _leaf([-1.0])
        y.sqrt().sum().backward()  # mode off: no raise
    assert np.isnan(y.grad.numpy()).all()


def test_top_level_alias():
    assert lamina.autograd.detect_anomaly is detect_anomaly
