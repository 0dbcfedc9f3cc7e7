"""nn.functional against torch 2.13 where the fuzzer found lamina differing: pad with
negative amounts and the non-constant modes' rules, float-only activations, gradients at
the kinks of the piecewise activations, dtype promotion and error types of the losses."""

from __future__ import annotations

import numpy as np
import pytest

from tests.torchboth import same

X = np.array([[-3.0, -1.0, 0.0, 1.0], [3.0, 6.0, -0.5, 2.5], [0.25, -2.0, 4.0, -6.0]], np.float32)


@pytest.mark.parametrize(
    "pad",
    [
        "(-1, 2)",
        "(1, -2, -1, 1)",
        "(-2, -2)",  # nothing left: torch's narrow error
        "(0, 0, 0, 0, -1, 0)",
        "(2, 1), mode='reflect'",
        "(-1, 2), mode='reflect'",
        "(4, 0), mode='reflect'",
        "(1, 2), mode='replicate'",
        "(-1, 2), mode='circular'",
        "(3, 0), mode='circular'",
        "(5, 0), mode='circular'",
        "(1, 1, 1, 1), mode='reflect'",
        "(1, 1, 1, 1, 1, 1), mode='replicate'",  # too many dims for the input
        "(1, 1), value=2.5",
    ],
)
def test_pad_matches_torch(pad):
    _pad_case(pad, X[None])


@pytest.mark.parametrize("pad", ["(1, -1), mode='circular'", "(0, 0), mode='circular'"])
def test_pad_of_empty_dims(pad):
    _pad_case(pad, np.zeros((2, 0, 3), np.float32))


def _pad_case(pad, arr):
    def prog(T):
        x = T.tensor(arr, requires_grad=True)
        y = eval(f"T.nn.functional.pad(x, {pad})", {"T": T, "x": x})
        (y * y).sum().backward()
        return {"y": y, "grad:x": x.grad}

    same(prog)


ACTS = "hardtanh relu6 hardswish hardsigmoid logsigmoid selu celu mish softsign tanhshrink"


@pytest.mark.parametrize("name", ACTS.split() + ["softplus", "elu", "gelu", "silu", "leaky_relu"])
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_activations_at_kinks_and_int_inputs(name, dtype):
    def prog(T):
        a = X.astype(dtype)
        x = T.tensor(a, requires_grad=dtype == "float32")
        y = getattr(T.nn.functional, name)(x)
        if y.requires_grad:
            y.sum().backward()
        return {"y": y, "grad:x": x.grad}

    same(prog)


@pytest.mark.parametrize(
    "call",
    [
        "F.glu(x, 1)",
        "F.glu(x, 0)",  # odd size: torch's error
        "F.softmin(x, 1)",
        "F.threshold(x, 0.5, -1.0)",
        "F.hardtanh(x, -0.5, 0.25)",
    ],
)
def test_more_activations(call):
    def prog(T):
        x = T.tensor(X, requires_grad=True)
        y = eval(call, {"F": T.nn.functional, "x": x})
        (y * y).sum().backward()
        return {"y": y, "grad:x": x.grad}

    same(prog)


@pytest.mark.parametrize(
    "call",
    [
        "F.mse_loss(x, t.double())",
        "F.l1_loss(x.double(), t)",
        "F.smooth_l1_loss(x, t.double(), beta=0.5)",
        "F.huber_loss(x.double(), t, delta=0.5).detach()",  # torch's backward refuses it
        "F.mse_loss(x, t[:2])",  # a batch that does not broadcast
        "F.cross_entropy(x, T.tensor([0, 4, 1]))",  # out of bounds: IndexError
        "F.cross_entropy(x, T.tensor([0, 1]))",  # batch mismatch: ValueError
        "F.cross_entropy(x[None], T.tensor([[0, 1]]))",  # size mismatch: RuntimeError
        "F.cross_entropy(x, T.tensor([0, 1, 1]), weight=T.ones(3))",  # weight size
        "F.cross_entropy(x[:, :0, None], T.zeros(3, 1, dtype=T.long))",  # no classes
        "F.one_hot(T.tensor([0, -1]), 3)",
        "F.one_hot(T.tensor([0, 3]), 3)",
    ],
)
def test_losses_promote_and_raise_as_torch(call):
    def prog(T):
        x = T.tensor(X, requires_grad=True)
        t = T.tensor(X[::-1].copy())
        y = eval(call, {"F": T.nn.functional, "x": x, "t": t, "T": T})
        if y.requires_grad:
            y.sum().backward()
        return {"y": y, "grad:x": x.grad}

    same(prog)


@pytest.mark.parametrize(
    "call",
    [
        "F.binary_cross_entropy_with_logits(x.double(), t.sigmoid())",  # the target's dtype
        "F.binary_cross_entropy_with_logits(x, t.double().sigmoid(), pos_weight=T.ones(4))",
        "F.binary_cross_entropy(x.sigmoid(), t.double().sigmoid())",  # no promotion: error
        "F.binary_cross_entropy(x.sigmoid(), t.sigmoid(), weight=(t > 0).long())",
        "F.binary_cross_entropy(x.sigmoid(), t.sigmoid(), weight=t.requires_grad_())",
        "F.cross_entropy(x[:, :3], T.tensor([0, 1, 2]), weight=T.ones(3).double())",
        "T.zeros(0, 2).kthvalue(1, 0)",
        "F.huber_loss(x, t.double(), reduction='none')",  # keeps the input's dtype
        "F.smooth_l1_loss(x, t.double(), reduction='none')",  # promotes
        "T.add(x > 0, t > 0, alpha=2)",  # a bool result takes alpha as bool
        "F.l1_loss(x.long(), t.long(), reduction='sum')",  # integers: fine without mean()
        "F.huber_loss(x, t > 0)",  # a bool target is fine, a bool input is not
        "F.huber_loss(x > 0, t)",
        "F.binary_cross_entropy(x.sigmoid(), t.double()[:1])",  # size checked before dtype
        "F.binary_cross_entropy_with_logits(x.long(), t[:1])",
    ],
)
def test_loss_dtypes_match_torch(call):
    def prog(T):
        x, t = T.tensor(X), T.tensor(X[::-1].copy())
        return {"y": eval(call, {"F": T.nn.functional, "x": x, "t": t, "T": T})}

    same(prog)


@pytest.mark.parametrize(
    "call",
    [
        "F.cross_entropy(x.long(), T.tensor([0, 1, 2]))",  # integer logits: torch's kernel error
        "F.cross_entropy(x > 0, T.tensor([0, 1, 2]))",
        "F.cross_entropy(x, x.long())",  # same shape: read as probabilities, must be float
    ],
)
def test_cross_entropy_input_and_target_types(call):
    def prog(T):
        x = T.tensor(X[:, :3])
        return {"y": eval(call, {"F": T.nn.functional, "x": x, "T": T})}

    same(prog)


@pytest.mark.parametrize("num_classes", [-1, 3])
def test_one_hot_of_an_empty_tensor(num_classes):
    """torch cannot infer the class count from nothing (RuntimeError); given one, it works."""
    same(lambda T: {"y": T.nn.functional.one_hot(T.zeros((2, 0), dtype=T.int64), num_classes)})
