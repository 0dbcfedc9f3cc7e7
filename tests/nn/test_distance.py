"""F.normalize, F.cosine_similarity, F.pairwise_distance against NumPy and torch."""

import numpy as np
import pytest

import lamina
import lamina.nn.functional as F
from lamina.autograd import gradcheck
from tests.torchcmp import same_as_torch

RNG = np.random.default_rng(1)


def _f(T):
    return T.nn.functional


def test_normalize_numpy_gradcheck_torch():
    x = RNG.standard_normal((4, 3))
    x[2] = 0.0  # a zero row: the eps clamp keeps it finite
    ref = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    np.testing.assert_allclose(F.normalize(lamina.tensor(x)).numpy(), ref)
    for kw in ({}, {"p": 1.0, "dim": 0}, {"dim": -1}):
        same_as_torch(lambda T, a, kw=kw: _f(T).normalize(a, **kw), x)
    assert gradcheck(lambda a: F.normalize(a), [lamina.tensor(x[:2], requires_grad=True)])


@pytest.mark.parametrize(
    "shapes,dim", [(((4, 3), (4, 3)), 1), (((4, 3), (1, 3)), 1), (((2, 3), (2, 3)), 0)]
)
def test_cosine_similarity_numpy_torch(shapes, dim):
    a, b = (RNG.standard_normal(s) for s in shapes)
    ref = np.sum(a * b, axis=dim) / (np.linalg.norm(a, axis=dim) * np.linalg.norm(b, axis=dim))
    got = F.cosine_similarity(lamina.tensor(a), lamina.tensor(b), dim=dim).numpy()
    np.testing.assert_allclose(got, ref)
    same_as_torch(lambda T, x, y: _f(T).cosine_similarity(x, y, dim=dim), a, b)


def test_pairwise_distance_numpy_torch():
    a, b = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3))
    ref = np.linalg.norm(a - b + 1e-6, axis=-1)
    np.testing.assert_allclose(F.pairwise_distance(lamina.tensor(a), lamina.tensor(b)).numpy(), ref)
    for kw in ({}, {"p": 1.0}, {"keepdim": True}):
        same_as_torch(lambda T, x, y, kw=kw: _f(T).pairwise_distance(x, y, **kw), a, b)
    ta, tb = (lamina.tensor(v, requires_grad=True) for v in (a, b))
    assert gradcheck(lambda x, y: F.pairwise_distance(x, y), [ta, tb])


def test_one_hot_kept():
    same_as_torch(lambda T, a: _f(T).one_hot(a, 4), np.array([0, 3, 1]))
