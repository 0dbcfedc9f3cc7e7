"""Bad input to layers and losses: the error names the layer's path, the expected and the got.

Each row of a matrix feeds one bad input; the test checks the exception type and that the
message contains the expected value and the received one, and the layer's path in the
model (``features.2 (Linear)``) is attached as a note (PEP 678 ``add_note``).
"""

import warnings

import numpy as np
import pytest

import lamina
from lamina import nn


def _t(a, dtype=np.float32):
    return lamina.tensor(np.asarray(a, dtype))


class Net(nn.Module):
    """features (Sequential) -> head; paths like ``features.2`` as in torchvision."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 6))
        self.norm = nn.BatchNorm1d(6)
        self.head = nn.Sequential(nn.Dropout(0.0), nn.Linear(6, 3))

    def forward(self, x):
        return self.head(self.norm(self.features(x)))


def _text(e: BaseException) -> str:
    """The message as a traceback shows it: the exception's text, then its notes."""
    return "\n".join([str(e), *getattr(e, "__notes__", [])])


def _model_with_bad(index: int, layer: nn.Module) -> nn.Module:
    """Net whose features[index] is replaced by ``layer``."""
    net = Net()
    net.features[index] = layer
    return net


# (id, model builder, input, exception, substrings the message must contain)
MODEL_CASES = [
    (
        "linear-in-features",
        Net,
        _t(np.zeros((2, 5))),
        ValueError,
        ["features.0 (Linear)", "in_features=4", "(2, 5)"],
    ),
    (
        "linear-deep-in-features",
        lambda: _model_with_bad(2, nn.Linear(7, 6)),
        _t(np.zeros((2, 4))),
        ValueError,
        ["features.2 (Linear)", "in_features=7", "(2, 8)"],
    ),
    (
        "linear-rank-0",
        Net,
        _t(1.0),
        ValueError,
        ["features.0 (Linear)", "in_features=4", "()"],
    ),
    (
        "linear-integer-dtype",
        Net,
        lamina.tensor(np.zeros((2, 4), np.int64)),
        TypeError,
        ["features.0 (Linear)", "floating-point", "int64"],
    ),
    (
        "batchnorm-channels",
        lambda: _model_with_bad(2, nn.Linear(8, 5)),
        _t(np.zeros((2, 4))),
        ValueError,
        ["norm (BatchNorm1d)", "num_features=6", "5 channels"],
    ),
    (
        "head-after-wrong-features",
        lambda: _model_with_bad(2, nn.Identity()),
        _t(np.zeros((2, 4))),
        ValueError,
        ["norm (BatchNorm1d)", "num_features=6", "(2, 8)"],
    ),
]


@pytest.mark.parametrize("case", MODEL_CASES, ids=[c[0] for c in MODEL_CASES])
def test_model_errors_name_layer_expected_received(case):
    _, build, x, exc, parts = case
    with pytest.raises(exc) as info:
        build()(x)
    msg = _text(info.value)
    for part in parts:
        assert part in msg, f"{part!r} not in {msg!r}"


LAYER_CASES = [
    ("bn2d-rank", nn.BatchNorm2d(3), _t(np.zeros((2, 3))), ValueError, ["4D", "(2, 3)"]),
    (
        "bn2d-channels",
        nn.BatchNorm2d(3),
        _t(np.zeros((2, 4, 5, 5))),
        ValueError,
        ["num_features=3", "4 channels"],
    ),
    ("layernorm", nn.LayerNorm(5), _t(np.zeros((2, 4))), ValueError, ["(5,)", "(2, 4)"]),
    (
        "embedding-range",
        nn.Embedding(5, 3),
        lamina.tensor(np.array([1, 7])),
        IndexError,
        ["index 7", "[0, 5)"],
    ),
    (
        "embedding-float",
        nn.Embedding(5, 3),
        lamina.tensor(np.array([1.0, 2.0])),
        TypeError,
        ["integer", "float64"],
    ),
    ("softmax-dim", nn.Softmax(dim=3), _t(np.zeros((2, 4))), IndexError, ["[-2, 1]", "3"]),
    ("logsoftmax-dim", nn.LogSoftmax(dim=-3), _t(np.zeros((2, 4))), IndexError, ["-3"]),
]


@pytest.mark.parametrize("case", LAYER_CASES, ids=[c[0] for c in LAYER_CASES])
def test_layer_errors_in_sequential(case):
    """Inside a Sequential at index 1, the path ``1 (<Type>)`` leads the message."""
    _, layer, x, exc, parts = case
    model = nn.Sequential(nn.Identity(), layer)
    with pytest.raises(exc) as info:
        model(x)
    msg = _text(info.value)
    assert msg.endswith(f"\nin layer 1 ({type(layer).__name__})"), msg
    assert str(info.value) == msg.split("\n")[0], "the exception's own message is left as raised"
    for part in parts:
        assert part in msg, f"{part!r} not in {msg!r}"


LOGITS = np.zeros((4, 3), np.float32)
LOSS_CASES = [
    # the exception types are torch's (IndexError for a label out of range, RuntimeError for
    # float labels and a target that does not broadcast), the messages lamina's
    (
        "ce-label-high",
        nn.CrossEntropyLoss(),
        LOGITS,
        np.array([0, 1, 2, 3]),
        ["Target 3", "[0, 3)"],
    ),
    ("ce-label-neg", nn.CrossEntropyLoss(), LOGITS, np.array([0, 1, -2, 1]), ["Target -2", "3"]),
    (
        "ce-float-labels",
        nn.CrossEntropyLoss(),
        LOGITS,
        np.array([0.0, 1.0, 2.0, 1.0]),
        ["integer", "float64"],
    ),
    (
        "ce-batch",
        nn.CrossEntropyLoss(),
        LOGITS,
        np.array([0, 1, 2]),
        ["(3,)", "(4, 3)", "batch_size (4)"],
    ),
    ("nll-label-high", nn.NLLLoss(), LOGITS, np.array([0, 1, 2, 9]), ["Target 9", "3 classes"]),
    (
        "mse-batch",
        nn.MSELoss(),
        np.zeros((4, 1), np.float32),
        np.zeros((3, 1), np.float32),
        ["(3, 1)", "(4, 1)", "batch"],
    ),
    (
        "bce-shape",
        nn.BCELoss(),
        np.full((4, 1), 0.5, np.float32),
        np.zeros(4, np.float32),
        ["(4,)", "(4, 1)"],
    ),
    (
        "bce-range",
        nn.BCELoss(),
        np.full((4,), 1.5, np.float32),
        np.zeros(4, np.float32),
        ["[0, 1]", "1.5"],
    ),
    (
        "bce-logits-shape",
        nn.BCEWithLogitsLoss(),
        np.zeros((4, 1), np.float32),
        np.zeros(4, np.float32),
        ["(4,)", "(4, 1)"],
    ),
]


EXC = {"ce-label-high": IndexError, "ce-label-neg": IndexError, "nll-label-high": IndexError}
EXC.update({"ce-float-labels": RuntimeError, "mse-batch": RuntimeError})


@pytest.mark.parametrize("case", LOSS_CASES, ids=[c[0] for c in LOSS_CASES])
def test_loss_errors_name_loss_expected_received(case):
    name, loss, x, target, parts = case
    with pytest.raises(EXC.get(name, ValueError)) as info:
        loss(lamina.tensor(x), lamina.tensor(target))
    msg = _text(info.value)
    assert msg.endswith("in layer " + type(loss).__name__), msg
    for part in parts:
        assert part in msg, f"{part!r} not in {msg!r}"


@pytest.mark.parametrize("loss", [nn.MSELoss(), nn.L1Loss(), nn.SmoothL1Loss(), nn.HuberLoss()])
def test_pointwise_loss_warns_on_silent_broadcast(loss):
    """(N, 1) input against an (N,) target broadcasts to (N, N): torch warns, so do we."""
    x, t = lamina.tensor(np.zeros((4, 1), np.float32)), lamina.tensor(np.ones(4, np.float32))
    with pytest.warns(UserWarning, match=r"target size \(\(4,\)\).*input size \(\(4, 1\)\)"):
        loss(x, t)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same shapes: silent
        loss(x, lamina.tensor(np.ones((4, 1), np.float32)))


def test_torch_agrees_on_error_kinds():
    """The same bad inputs are errors (or warnings) in torch too: we are not stricter."""
    torch = pytest.importorskip("torch")
    with pytest.raises((RuntimeError, IndexError)):
        torch.nn.functional.cross_entropy(torch.zeros(4, 3), torch.tensor([0, 1, 2, 3]))
    with pytest.raises(RuntimeError):
        torch.nn.functional.cross_entropy(torch.zeros(4, 3), torch.tensor([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(RuntimeError):
        torch.nn.Linear(4, 3)(torch.zeros(2, 5))
    with pytest.raises(RuntimeError):
        torch.nn.Linear(4, 3)(torch.zeros(2, 4, dtype=torch.int64))
    with pytest.raises(IndexError):
        torch.softmax(torch.zeros(2, 4), dim=3)
    with pytest.warns(UserWarning):
        torch.nn.functional.mse_loss(torch.zeros(4, 1), torch.ones(4))


CONV_CASES = [
    ("conv-channels", 0, (1, 5, 8, 8), ["0 (Conv2d)", "in_channels=3", "(1, 5, 8, 8)"]),
    ("conv-rank", 0, (8, 8), ["0 (Conv2d)", "(N, 3, H, W)", "(8, 8)"]),
    ("conv-deep-channels", 2, (1, 3, 8, 8), ["2 (Conv2d)", "in_channels=3", "(1, 4, 6, 6)"]),
    ("conv-too-small", 0, (1, 3, 2, 2), ["0 (Conv2d)", "(3, 3)", "(1, 3, 2, 2)"]),
    ("pool-rank", 4, (1, 3, 8, 8), ["4 (MaxPool2d)", "(N, C, H, W)", "(1, 32)"]),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=[c[0] for c in CONV_CASES])
def test_conv_errors_name_layer(case):
    """Conv2d / pooling: wrong channel count, rank, size (needs the conv branch's layers)."""
    _, bad_index, shape, parts = case
    layers = [nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(3 if bad_index == 2 else 4, 2, 3)]
    layers += [nn.Flatten(), nn.MaxPool2d(2)]
    with pytest.raises(ValueError) as info:
        nn.Sequential(*layers)(_t(np.zeros(shape)))
    msg = _text(info.value)
    for part in parts:
        assert part in msg, f"{part!r} not in {msg!r}"


def test_conv_refuses_integer_input_naming_the_layer():
    import pytest as _pytest

    import lamina as _L
    from lamina import nn as _nn

    model = _nn.Sequential(_nn.Conv2d(1, 2, 3))
    with _pytest.raises(
        TypeError, match=r"^expected a floating point input.*int64.*\nin layer 0 \(Conv2d\)$"
    ):
        model(_L.zeros(1, 1, 5, 5, dtype=_L.int64))
