"""lamina.linalg's norms and torch.norm / Tensor.norm against torch 2.13: values, dtypes,
gradients (at zeros, ties and NaNs too), dispatch and errors; float64 gradchecks."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lamina
from lamina.autograd import gradcheck
from tests.oracle import torch
from tests.torchcmp import same_as_torch

R = np.random.default_rng(0)
X = R.standard_normal((3, 4, 5))
INF = math.inf
VECTOR_ORDS = [2, 1, INF, -INF, 0, 3, 0.5, -1, -2.5, 1.5]
MATRIX_ORDS = ["fro", "nuc", 1, -1, 2, -2, INF, -INF]


def _grad(mod, fn, data):
    x = mod.tensor(np.asarray(data, np.float64), requires_grad=True)
    y = fn(mod, x)
    y.backward(mod.ones_like(y))
    return y.detach().numpy(), None if x.grad is None else x.grad.numpy()


@pytest.mark.parametrize("ord", VECTOR_ORDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_vector_norm_matches_torch(ord, dtype):
    x = X.astype(dtype)
    same_as_torch(lambda T, a: T.linalg.vector_norm(a, ord), x, grad=ord != 0)
    same_as_torch(
        lambda T, a: T.linalg.vector_norm(a, ord, dim=(0, 2), keepdim=True), x, grad=ord != 0
    )
    same_as_torch(lambda T, a: T.linalg.vector_norm(a.transpose(0, 2), ord, -1), x, grad=ord != 0)


CASES = {  # inputs where torch's gradient formula has a removable singularity or a tie
    "nan": [1.0, math.nan, -3.0],
    "tie": [3.0, 1.0, -3.0],
    "zero": [0.0, 2.0, -1.0],
    "all_zero": [0.0, 0.0, 0.0],
    "inf": [math.inf, 2.0, 1.0],
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("ord", VECTOR_ORDS)
def test_vector_norm_gradient_edges_like_torch(case, ord):
    fn = lambda T, x: T.linalg.vector_norm(x, ord)  # noqa: E731
    got, want = _grad(lamina, fn, CASES[case]), _grad(torch, fn, CASES[case])
    np.testing.assert_allclose(got[0], want[0], equal_nan=True)
    if want[1] is None:
        assert got[1] is None
    else:
        np.testing.assert_allclose(got[1], want[1], equal_nan=True, atol=1e-12)


def test_inf_norm_of_a_nan_has_zero_gradient_via_tensor_norm():
    got = _grad(lamina, lambda T, x: x.norm(INF), [1.0, math.nan, -3.0])[1]
    np.testing.assert_array_equal(got, [0.0, 0.0, 0.0])


@pytest.mark.parametrize("ord", MATRIX_ORDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matrix_norm_matches_torch(ord, dtype):
    x = X.astype(dtype)
    same_as_torch(lambda T, a: T.linalg.matrix_norm(a, ord), x)
    same_as_torch(lambda T, a: T.linalg.matrix_norm(a, ord, dim=(2, 0), keepdim=True), x)
    same_as_torch(lambda T, a: T.linalg.norm(a[0].t(), ord), x)


def test_matrix_norm_ties_share_gradient_like_torch():
    a = np.array([[1.0, -2.0], [-1.0, 2.0]])  # equal column sums and row sums
    for ord in (1, -1, INF, -INF):
        same_as_torch(lambda T, x, o=ord: T.linalg.matrix_norm(x, o), a)


@pytest.mark.parametrize(
    "call",
    [
        lambda T, x: T.linalg.norm(x),
        lambda T, x: T.linalg.norm(x, dim=(0, 1)),
        lambda T, x: T.linalg.norm(x, 3, dim=1),
        lambda T, x: T.linalg.norm(x, 2, dim=(2, 1)),
        lambda T, x: T.linalg.norm(x[0], "nuc"),
        lambda T, x: T.linalg.norm(x[0, 0], INF),
        lambda T, x: T.norm(x),
        lambda T, x: T.norm(x, 2, dim=(0, 1)),
        lambda T, x: T.norm(x, "fro", dim=(1, 2), keepdim=True),
        lambda T, x: T.norm(x, "nuc", dim=(0, 2)),
        lambda T, x: T.norm(x[0], "nuc"),
        lambda T, x: x.norm(1, dim=-1),
        lambda T, x: x.norm(p=None),
        lambda T, x: x.float().norm(dim=1, dtype=T.float64),
        lambda T, x: T.linalg.vector_norm(x.float(), dtype=T.float64),
    ],
)
def test_norm_dispatch_matches_torch(call):
    same_as_torch(call, X)


@pytest.mark.parametrize(
    "call",
    [
        lambda T, x: T.linalg.vector_norm(x.long()),
        lambda T, x: T.linalg.vector_norm(x.float(), dtype=T.float16),
        lambda T, x: T.linalg.vector_norm(x, dtype=T.float32),
        lambda T, x: T.linalg.vector_norm(x, "fro"),
        lambda T, x: T.linalg.vector_norm(x[:, :0], INF),
        lambda T, x: T.linalg.vector_norm(x[:, :0], -INF, dim=1),
        lambda T, x: T.linalg.matrix_norm(x, "nuc", dim=(0, 0)),
        lambda T, x: T.linalg.matrix_norm(x, dim=0),
        lambda T, x: T.linalg.matrix_norm(x[0, 0]),
        lambda T, x: T.linalg.matrix_norm(x, 3),
        lambda T, x: T.linalg.norm(x, 2),
        lambda T, x: T.linalg.norm(x, "fro", dim=0),
        lambda T, x: T.linalg.norm(x, dim=(0, 1, 2)),
        lambda T, x: T.norm(x, "nuc"),
        lambda T, x: T.linalg.vector_norm(x[:, :0], -1.5, dim=(0, 1)),
        lambda T, x: T.linalg.vector_norm(x[:, :0], -1, dim=(2, -2)),
        lambda T, x: T.linalg.vector_norm(x[:, :0], -2),
        lambda T, x: T.linalg.vector_norm(x[:, :0], INF, dim=[1]),
        lambda T, x: T.linalg.matrix_norm(x[:, :0], -2),
        lambda T, x: T.linalg.matrix_norm(x.half(), "nuc"),
        lambda T, x: T.linalg.matrix_norm(x.half(), -2),
    ],
)
def test_norm_errors_match_torch(call):
    with pytest.raises(Exception) as want:
        call(torch, torch.tensor(X))
    with pytest.raises(type(want.value)) as got:
        call(lamina, lamina.tensor(X))
    if isinstance(want.value, TypeError) and "invalid combination" in str(want.value):
        return  # torch's argument parser lists its overloads; the type is what matters
    assert str(got.value) == str(want.value)


@pytest.mark.parametrize("ord", [2, 1, INF, 3, 0.5, -1.5])
def test_vector_norm_gradcheck(ord):
    x = lamina.tensor(X[0], requires_grad=True)
    assert gradcheck(lambda a: lamina.linalg.vector_norm(a, ord, dim=1), [x])


@pytest.mark.parametrize("ord", MATRIX_ORDS)
def test_matrix_norm_gradcheck(ord):
    x = lamina.tensor(X, requires_grad=True)
    assert gradcheck(lambda a: lamina.linalg.matrix_norm(a, ord), [x])


def test_norms_of_empty_matrices_match_torch():
    e = np.zeros((2, 0, 3))
    for call in (
        lambda T, x: T.linalg.vector_norm(x, -0.0, dim=1),
        lambda T, x: T.linalg.vector_norm(x, 3, dim=1),
        lambda T, x: T.linalg.matrix_norm(x, "nuc"),
        lambda T, x: T.linalg.matrix_norm(x, 1, dim=(0, 1)),
        lambda T, x: T.linalg.matrix_norm(x, INF, keepdim=True),
        lambda T, x: T.linalg.matrix_norm(x, 2),
        lambda T, x: T.linalg.matrix_norm(x, -1),
        lambda T, x: T.linalg.matrix_norm(x, "fro", dim=(0, 2)),
    ):
        same_as_torch(call, e)
    for call in (
        lambda T, x: T.linalg.matrix_norm(x, -INF, keepdim=True),
        lambda T, x: T.linalg.matrix_norm(x, -1, dim=(0, 1)),
        lambda T, x: T.linalg.matrix_norm(x, -INF, dim=(1, 2)),
        lambda T, x: T.linalg.matrix_norm(x, -2),
    ):
        with pytest.raises(IndexError) as want:
            call(torch, torch.tensor(e))
        with pytest.raises(IndexError) as got:
            call(lamina, lamina.tensor(e))
        assert str(got.value) == str(want.value)


def test_vector_norm_numpy_reference():
    for ord in (1, 2, 3, INF):
        got = lamina.linalg.vector_norm(lamina.tensor(X), ord, dim=-1).numpy()
        np.testing.assert_allclose(got, np.linalg.norm(X, ord, axis=-1))
    got = lamina.linalg.matrix_norm(lamina.tensor(X), "nuc").numpy()
    np.testing.assert_allclose(got, np.linalg.norm(X, "nuc", axis=(-2, -1)))
