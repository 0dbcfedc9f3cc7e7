"""sort/argsort/topk, cumsum/cumprod, amax/amin, nan_to_num and friends: NumPy references,
float64 gradcheck, and torch for values, indices and gradients."""

import numpy as np
import pytest

import lamina
from lamina.autograd import gradcheck
from tests.oracle import torch
from tests.torchcmp import same_as_torch

RNG = np.random.default_rng(0)
TIES = np.array([[1.0, 2.0, 1.0, 2.0], [0.5, 0.5, -1.0, 3.0], [2.0, 2.0, 2.0, 2.0]])


def t64(a):
    return lamina.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_matches_stable_numpy_and_torch(dim, descending):
    x = TIES.copy()
    x[0, 1] = np.nan
    values, indices = lamina.tensor(x).sort(dim=dim, descending=descending)
    if not descending:
        ref = np.argsort(x, axis=dim, kind="stable")
        np.testing.assert_array_equal(indices.numpy(), ref)
    np.testing.assert_array_equal(values.numpy(), np.take_along_axis(x, indices.numpy(), axis=dim))
    same_as_torch(lambda T, a: a.sort(dim=dim, descending=descending), x)
    same_as_torch(lambda T, a: T.argsort(a, dim=dim, descending=descending), x)


def test_sort_and_topk_gradcheck():
    x = t64(RNG.standard_normal((3, 5)))
    assert gradcheck(lambda a: a.sort(dim=1).values * 2, [x])
    assert gradcheck(lambda a: a.topk(2, dim=0).values, [x])


@pytest.mark.parametrize(
    "k,dim,largest", [(2, -1, True), (1, 0, False), (4, 1, True), (0, 1, True)]
)
def test_topk_matches_torch(k, dim, largest):
    x = RNG.permutation(12).reshape(3, 4) / 4.0  # distinct values
    same_as_torch(lambda T, a: T.topk(a, k, dim=dim, largest=largest), x)


def test_topk_ties_values_like_torch():
    # torch documents no order among tied values (its CPU kernel uses nth_element), so
    # with ties only the values are compared; lamina takes the earliest index first
    got = lamina.tensor(TIES).topk(2).values.numpy()
    np.testing.assert_array_equal(got, torch.tensor(TIES).topk(2).values.numpy())
    np.testing.assert_array_equal(lamina.tensor(TIES).topk(2).indices.numpy()[2], [0, 1])


def test_topk_k_too_large_raises_like_torch():
    for T in (torch, lamina):
        with pytest.raises(RuntimeError):
            T.tensor([1.0, 2.0]).topk(3)


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scans_match_numpy_gradcheck_torch(op, dim):
    x = RNG.standard_normal((3, 4))
    x[1, 2] = 0.0  # cumprod's gradient through a zero
    x[2, 0] = 0.0
    out = getattr(lamina.tensor(x), op)(dim)
    np.testing.assert_allclose(out.numpy(), getattr(np, op)(x, axis=dim))
    assert gradcheck(lambda a: getattr(a, op)(dim), [t64(x)])
    same_as_torch(lambda T, a: getattr(T, op)(a, dim), x)


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
def test_scan_dtypes_and_zero_dim_like_torch(op):
    same_as_torch(lambda T, a: getattr(a, op)(0), np.array([True, False, True]))
    same_as_torch(lambda T, a: getattr(a, op)(-1), np.array([1, 2, 3], dtype=np.int32))
    same_as_torch(lambda T, a: getattr(a, op)(0), np.array(2.5))
    same_as_torch(lambda T, a: getattr(a, op)(1), np.zeros((2, 0)))
    for T in (torch, lamina):
        with pytest.raises(IndexError):
            getattr(T.tensor([1.0, 2.0]), op)(1)


@pytest.mark.parametrize("dim", [(0, 1), (1,), 0, (), [0, -1], (-1, 0)])
@pytest.mark.parametrize("op", ["amax", "amin"])
def test_amax_amin_tuple_dims_split_ties(op, dim):
    x = TIES.copy()
    ref = getattr(np, op[1:])(x, axis=None if dim == () else tuple(np.atleast_1d(dim)))
    np.testing.assert_allclose(getattr(lamina.tensor(x), op)(dim).numpy(), ref)
    same_as_torch(lambda T, a: getattr(a, op)(dim, keepdim=True), x)
    same_as_torch(lambda T, a: getattr(T, op)(a, dim), x)


def test_amax_tie_gradient_is_split_evenly():
    x = t64([1.0, 3.0, 3.0, 3.0])
    x.amax().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 1 / 3, 1 / 3, 1 / 3])
    assert gradcheck(lambda a: a.amax(dim=(0, 1)), [t64(RNG.standard_normal((2, 3)))])


def test_max_min_of_two_tensors_elementwise():
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((3,))
    b[0] = a[0, 0]  # a tie: torch splits its gradient
    np.testing.assert_allclose(
        lamina.max(lamina.tensor(a), lamina.tensor(b)).numpy(), np.maximum(a, b)
    )
    same_as_torch(lambda T, x, y: T.max(x, y), a, b)
    same_as_torch(lambda T, x, y: T.min(x, y), a, b)
    same_as_torch(lambda T, x, y: x.max(y), a, b)


def test_isinf_nan_to_num_like_torch():
    x = np.array([np.nan, np.inf, -np.inf, 1.5, -2.0], dtype=np.float32)
    np.testing.assert_array_equal(lamina.isinf(lamina.tensor(x)).numpy(), np.isinf(x))
    same_as_torch(lambda T, a: (T.isinf(a), a.isposinf(), a.isneginf()), x)
    same_as_torch(lambda T, a: T.nan_to_num(a), x)
    same_as_torch(lambda T, a: a.nan_to_num(nan=1.0, posinf=9.0, neginf=-9.0), x)
    same_as_torch(lambda T, a: T.nan_to_num(a), np.array([1, 2], dtype=np.int64))


def test_nonzero_and_one_argument_where():
    x = np.array([[0, 1, 0], [2, 0, 3]])
    np.testing.assert_array_equal(lamina.tensor(x).nonzero().numpy(), np.argwhere(x))
    same_as_torch(lambda T, a: T.nonzero(a), x)
    same_as_torch(lambda T, a: T.where(a > 0), x)
    same_as_torch(lambda T, a: a.nonzero(as_tuple=True), x)
    same_as_torch(lambda T, a: (a.nonzero(), a.nonzero(as_tuple=True)), np.array(3.0))
    same_as_torch(lambda T, a: a.nonzero(), np.zeros((0, 2)))


def test_multinomial_frequencies_shapes_and_errors():
    lamina.manual_seed(0)
    w = lamina.tensor([0.0, 1.0, 3.0])
    draws = lamina.multinomial(w, 4000, replacement=True)
    assert draws.shape == (4000,) and draws.dtype == np.int64
    freq = np.bincount(draws.numpy(), minlength=3) / 4000
    np.testing.assert_allclose(freq, [0.0, 0.25, 0.75], atol=0.03)
    rows = lamina.tensor([[1.0, 1.0, 0.0], [0.0, 0.0, 5.0]]).multinomial(2)
    assert rows.shape == (2, 2)
    assert sorted(rows.numpy()[0].tolist()) == [0, 1]  # without replacement: distinct
    # torch: once the non-zero weights are used up, zero-weight categories follow in order
    assert rows.numpy()[1].tolist() == torch.tensor([[0.0, 0.0, 5.0]]).multinomial(2)[0].tolist()
    for T in (torch, lamina):
        with pytest.raises(RuntimeError):
            T.tensor([1.0, 2.0]).multinomial(3)
        with pytest.raises(RuntimeError):
            T.tensor([1.0, -2.0]).multinomial(1)


@pytest.mark.parametrize(
    "eq,shapes",
    [
        ("ij,jk->ik", [(2, 3), (3, 4)]),
        ("ij,jk", [(2, 3), (3, 4)]),
        ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
        ("...ij,...jk->...ik", [(2, 2, 3), (2, 3, 4)]),
        ("ii->i", [(3, 3)]),
        ("ii", [(3, 3)]),
        ("ij->ji", [(2, 3)]),
        ("i,j->ij", [(2,), (3,)]),
        ("ij,k->", [(2, 3), (4,)]),
        ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ],
)
def test_einsum_numpy_gradcheck_torch(eq, shapes):
    arrays = [RNG.standard_normal(s) for s in shapes]
    out = lamina.einsum(eq, *[lamina.tensor(a) for a in arrays])
    np.testing.assert_allclose(out.numpy(), np.einsum(eq, *arrays), rtol=1e-6)
    assert gradcheck(lambda *xs: lamina.einsum(eq, *xs), [t64(a) for a in arrays])
    same_as_torch(lambda T, *xs: T.einsum(eq, *xs), *arrays)
    same_as_torch(lambda T, *xs: T.einsum(eq, list(xs)), *arrays)


def test_mm_bmm_match_torch_and_raise_like_torch():
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((3, 4))
    np.testing.assert_allclose(lamina.mm(lamina.tensor(a), lamina.tensor(b)).numpy(), a @ b)
    same_as_torch(lambda T, x, y: T.mm(x, y), a, b)
    same_as_torch(lambda T, x, y: x.bmm(y), a[None].repeat(2, 0), b[None].repeat(2, 0))
    for T in (torch, lamina):
        with pytest.raises(RuntimeError):
            T.mm(T.tensor(a), T.tensor(a))
        with pytest.raises(RuntimeError):
            T.bmm(T.tensor(a), T.tensor(b))
