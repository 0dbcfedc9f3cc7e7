"""Edge shapes and edge values where lamina must do what torch 2.13 does: 0-d tensors with
dim=0/-1, size-0 dims, empty index lists, gradients torch defines as 0 (not NaN)."""

import numpy as np
import pytest

import lamina
from lamina.autograd import gradcheck
from tests.oracle import torch
from tests.torchcmp import same_as_torch

NAN, INF = np.nan, np.inf
F64 = np.float64


def arr(*v, dtype=np.float32):
    return np.array(v, dtype=dtype)


ZERO_D = [
    ("mean", lambda T, x: x.mean(0)),
    ("sum", lambda T, x: x.sum(-1)),
    ("sum_keep", lambda T, x: x.sum(0, keepdim=True)),
    ("prod", lambda T, x: x.prod(0)),
    ("amax", lambda T, x: x.amax(0)),
    ("max_dim", lambda T, x: x.max(dim=-1)),
    ("min_dim", lambda T, x: x.min(0)),
    ("argmax", lambda T, x: x.argmax(0)),
    ("logsumexp", lambda T, x: x.logsumexp(0)),
    ("softmax", lambda T, x: x.softmax(0)),
    ("log_softmax", lambda T, x: x.log_softmax(-1)),
    ("var", lambda T, x: x.var(0, unbiased=False)),
    ("norm", lambda T, x: x.norm(dim=0)),
    ("cumsum", lambda T, x: x.cumsum(0)),
    ("sort", lambda T, x: x.sort(0)),
]


@pytest.mark.parametrize("name,fn", ZERO_D, ids=[n for n, _ in ZERO_D])
def test_zero_d_with_dim_zero_or_minus_one(name, fn):
    same_as_torch(fn, np.array(2.5, dtype=np.float32))


def test_zero_d_dim_out_of_range_raises_index_error():
    for T in (torch, lamina):
        with pytest.raises(IndexError):
            T.tensor(2.0).sum(1)


SIZE_ZERO = [
    ("softmax_empty_batch", lambda T, x: x.softmax(1), (0, 3)),
    ("softmax_over_empty", lambda T, x: x.softmax(0), (0, 3)),
    ("log_softmax", lambda T, x: x.log_softmax(-1), (2, 0)),
    ("logsumexp", lambda T, x: x.logsumexp(1), (2, 0)),
    ("sum", lambda T, x: x.sum(0), (0, 3)),
    ("matmul", lambda T, x: x @ T.ones(3, 2, dtype=x.dtype), (0, 3)),
    ("matmul_inner", lambda T, x: x.t() @ x, (0, 3)),
    ("cross_entropy", lambda T, x: T.nn.functional.cross_entropy(x, T.zeros(0).long()), (0, 3)),
    ("index_empty_list", lambda T, x: x[[]], (3, 2)),
    ("chunk", lambda T, x: x.chunk(2), (0, 3)),
    ("chunk_dim1", lambda T, x: x.chunk(2, 1), (3, 0)),
    ("cumprod", lambda T, x: x.cumprod(0), (0, 3)),
    ("matmul_empty_vector", lambda T, x: x.flatten() @ T.ones(0, 2, dtype=x.dtype), (0, 3)),
    ("vector_matmul_empty", lambda T, x: x.t() @ T.ones(0, dtype=x.dtype), (0, 3)),
]


@pytest.mark.parametrize("name,fn,shape", SIZE_ZERO, ids=[n for n, *_ in SIZE_ZERO])
def test_size_zero_dims(name, fn, shape):
    same_as_torch(fn, np.zeros(shape, np.float32))


def test_sum_over_empty_dim_list_reduces_everything():
    x = np.arange(6.0).reshape(2, 3)
    same_as_torch(lambda T, a: (a.sum(dim=[]), a.sum(dim=())), x)
    same_as_torch(lambda T, a: a.mean(dim=[]), x)


@pytest.mark.parametrize("p", [0, 1, 2, 3, INF])
def test_norm_orders(p):
    same_as_torch(lambda T, a: a.norm(p=p), arr(0.0, 2.0, -1.0, 0.5))
    same_as_torch(lambda T, a: a.norm(p=p, dim=1), np.array([[0.0, 2.0], [-3.0, 0.0]]))


def test_gather_with_smaller_index_takes_the_index_shape():
    x = np.arange(12.0).reshape(3, 4)
    idx = np.array([[0], [3]])
    out = lamina.tensor(x).gather(1, lamina.tensor(idx))
    np.testing.assert_array_equal(out.numpy(), [[0.0], [7.0]])
    same_as_torch(lambda T, a, i: a.gather(1, i), x, idx)
    same_as_torch(lambda T, a, i: a.gather(0, i), x, np.array([[2, 0, 1]]))
    assert gradcheck(
        lambda a: a.gather(1, lamina.tensor(idx)), [lamina.tensor(x, requires_grad=True)]
    )


def test_scatter_add_backward_to_both_inputs():
    x, src = np.zeros((3, 4)), np.arange(8.0).reshape(2, 4) + 1
    idx = np.array([[0, 1, 2, 0], [2, 2, 0, 1]])
    same_as_torch(lambda T, a, i, s: a.scatter_add(0, i, s), x, idx, src)
    same_as_torch(lambda T, a, i, s: a.scatter_add(1, i[:, :2], s[:, :2]), x[:2], idx, src)
    xs = [lamina.tensor(v, requires_grad=True) for v in (x, src)]
    assert gradcheck(lambda a, s: a.scatter_add(0, lamina.tensor(idx), s), xs)


@pytest.mark.parametrize(
    "lo,hi",
    [
        (arr(0.0, 0.5, -1.0), arr(1.0)),  # broadcast min (3,) and max (1,)
        (np.array([[0.2], [-0.5]], np.float32), None),  # min broadcasts x up to (2, 3)
        (None, arr(0.0, 1.0, 2.0)),
        (arr(0.5, 0.5, 0.5), arr(0.0, 0.0, 0.0)),  # min > max: torch gives max
    ],
)
def test_clamp_with_tensor_bounds_values_and_gradients(lo, hi):
    x = arr(-0.5, 0.25, 1.5)
    if lo is None:
        same_as_torch(lambda T, a, h: a.clamp(max=h), x, hi)
    elif hi is None:
        same_as_torch(lambda T, a, m: a.clamp(min=m), x, lo)
    else:
        same_as_torch(lambda T, a, m, h: a.clamp(m, h), x, lo, hi)
        same_as_torch(lambda T, a, m, h: T.clamp(a, min=m, max=h), x, lo, hi)


@pytest.mark.parametrize(
    "name,fn,x",
    [
        ("std_constant", lambda T, a: a.std(), arr(1.0, 1.0, 1.0)),
        ("std_dim_constant", lambda T, a: a.std(0, unbiased=False), np.ones((1, 3), F64)),
        ("relu_inf", lambda T, a: T.relu(a), arr(INF, -INF, 0.0, 2.0)),
        ("pow_zero_at_zero", lambda T, a: a**0, arr(0.0, 1.0, -2.0)),
        ("pow_two_at_zero", lambda T, a: a**2, arr(0.0, -1.0)),
        ("sign_nan", lambda T, a: T.sign(a), arr(NAN, -0.0, 2.0, -3.0)),
        ("x_pow_x_negative", lambda T, a: a**a, arr(-1.5, 0.0, 2.0, 0.5)),
        ("zero_pow_x", lambda T, a: T.tensor(0.0) ** a, arr(0.0, 1.0, 2.5)),
        ("abs_at_zero", lambda T, a: a.abs(), arr(0.0, -1.0)),
        ("norm_at_zero", lambda T, a: a.norm(), arr(0.0, 0.0)),
        ("max_ties", lambda T, a: a.max(), arr(2.0, 2.0, 1.0)),
        ("prod_two_zeros", lambda T, a: a.prod(), arr(0.0, 0.0, 3.0)),
        ("clamp_at_bounds", lambda T, a: a.clamp(0.0, 1.0), arr(0.0, 1.0, 2.0, 0.5)),
        ("log_softmax_neg_inf", lambda T, a: a.log_softmax(0), arr(-INF, 0.0, 1.0)),
        ("maximum_ties", lambda T, a: T.maximum(a, T.tensor([2.0, 0.0, 0.0])), arr(2.0, 2.0, 1.0)),
        ("cumprod_zero_inf_grad", lambda T, a: T.log(a.cumprod(0)), arr(2.0, 0.0, 3.0, 0.5)),
        ("amin_nan_slice", lambda T, a: T.log(a).amin(0), arr(1.0, -1.0, 2.0)),
        ("max_nan", lambda T, a: (a**a).min(), arr(-1.5, 2.0, 0.5)),
        ("relu_then_rsqrt", lambda T, a: T.relu(a).rsqrt(), arr(-1.0, 0.0, 4.0)),
    ],
)
def test_gradients_where_torch_defines_them(name, fn, x):
    same_as_torch(fn, x)


def test_sign_of_bool_and_int_pow_like_torch():
    same_as_torch(lambda T, a: T.sign(a), np.array([True, False]))
    same_as_torch(lambda T, a: a**a, np.array([2, -1, 1, 3]))
    same_as_torch(lambda T, a, b: a**b, np.array([2, -1, 1, 0]), np.array([-1, -1, -2, 1]))
    for T in (torch, lamina):
        with pytest.raises(RuntimeError):
            T.tensor([2]) ** -1


def test_int_inputs_rejected_like_torch():
    for f in (lambda T: T.tensor([1, 2]).var(), lambda T: T.tensor([True]).norm()):
        for T in (torch, lamina):
            with pytest.raises(RuntimeError):
                f(T)


def test_matmul_shape_mismatch_raises_runtime_error():
    for T in (torch, lamina):
        with pytest.raises(RuntimeError):
            T.ones(2, 3) @ T.ones(2, 3)


def test_cat_of_zero_d_raises_like_torch():
    for T in (torch, lamina):
        with pytest.raises(RuntimeError, match="zero-dimensional"):
            T.cat([T.tensor(1.0), T.tensor(2.0)])


def test_index_select_on_an_empty_dim_raises_runtime_error_as_torch():
    with pytest.raises(RuntimeError, match="indexing axis dim should be positive"):
        lamina.zeros(0, 3).index_select(0, lamina.tensor([0]))
    assert lamina.zeros(0, 3).index_select(0, lamina.tensor([], dtype=lamina.int64)).shape == (0, 3)
    with pytest.raises(RuntimeError, match="indexing axis dim should be positive"):
        torch.zeros(0, 3).index_select(0, torch.tensor([0]))


@pytest.mark.parametrize(
    "shape, dim, idx",
    [((0,), -1, [0, 0]), ((0,), 0, [1]), ((2, 0), 1, [0]), ((0, 3), 0, [0]), ((0,), 0, [])],
)
def test_index_select_on_a_size_0_dim_raises_what_torch_raises(shape, dim, idx):
    """A vector fails torch's bounds check (IndexError); n-d inputs its axis check (fuzz 3193)."""
    results = []
    for T in (torch, lamina):
        try:
            out = T.zeros(*shape).index_select(dim, T.tensor(idx, dtype=T.int64))
            results.append(tuple(out.shape))
        except (IndexError, RuntimeError) as e:
            results.append((type(e), str(e)))
    assert results[0] == results[1]
