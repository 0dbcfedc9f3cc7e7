"""Core ops: forward vs NumPy/torch, float64 gradcheck, and gradients vs torch."""

import numpy as np
import pytest

import lamina as L
from lamina.autograd import gradcheck
from tests.oracle import needs_torch, torch

rng = np.random.default_rng(0)


def pos(*s):
    return rng.uniform(0.5, 2.0, s)


def any_(*s):
    return rng.standard_normal(s)


# name, lamina function, torch function, input arrays (float64)
CASES = [
    ("add", lambda a, b: a + b, lambda a, b: a + b, [any_(3, 4), any_(4)]),
    ("add_bcast", lambda a, b: a + b, lambda a, b: a + b, [any_(3, 1, 4), any_(2, 1)]),
    ("sub", lambda a, b: a - b, lambda a, b: a - b, [any_(3, 4), any_(3, 1)]),
    ("mul", lambda a, b: a * b, lambda a, b: a * b, [any_(2, 3), any_(1, 3)]),
    ("div", lambda a, b: a / b, lambda a, b: a / b, [any_(2, 3), pos(2, 3)]),
    ("rsub_scalar", lambda a: 2.0 - a, lambda a: 2.0 - a, [any_(3)]),
    ("rdiv_scalar", lambda a: 2.0 / a, lambda a: 2.0 / a, [pos(3)]),
    ("pow_scalar", lambda a: a**3, lambda a: a**3, [any_(2, 3)]),
    ("pow_tensor", lambda a, b: a**b, lambda a, b: a**b, [pos(2, 3), any_(2, 3)]),
    ("rpow", lambda a: 2.0**a, lambda a: 2.0**a, [any_(4)]),
    ("neg", lambda a: -a, lambda a: -a, [any_(3)]),
    ("matmul_2d", lambda a, b: a @ b, lambda a, b: a @ b, [any_(3, 4), any_(4, 5)]),
    ("matmul_1d", lambda a, b: a @ b, lambda a, b: a @ b, [any_(4), any_(4)]),
    ("matmul_vm", lambda a, b: a @ b, lambda a, b: a @ b, [any_(4), any_(2, 4, 3)]),
    ("matmul_mv", lambda a, b: a @ b, lambda a, b: a @ b, [any_(2, 3, 4), any_(4)]),
    ("matmul_batched", lambda a, b: a @ b, lambda a, b: a @ b, [any_(2, 3, 4), any_(2, 4, 5)]),
    ("matmul_bcast", lambda a, b: a @ b, lambda a, b: a @ b, [any_(2, 3, 4), any_(4, 5)]),
    ("matmul_bcast2", lambda a, b: a @ b, lambda a, b: a @ b, [any_(3, 4), any_(2, 4, 5)]),
    ("abs", lambda a: a.abs(), lambda a: a.abs(), [any_(5)]),
    ("exp", lambda a: a.exp(), lambda a: a.exp(), [any_(2, 3)]),
    ("log", lambda a: a.log(), lambda a: a.log(), [pos(2, 3)]),
    ("log1p", lambda a: a.log1p(), lambda a: a.log1p(), [pos(2, 3)]),
    ("sqrt", lambda a: a.sqrt(), lambda a: a.sqrt(), [pos(2, 3)]),
    ("rsqrt", lambda a: a.rsqrt(), lambda a: a.rsqrt(), [pos(2, 3)]),
    ("sin", lambda a: a.sin(), lambda a: a.sin(), [any_(4)]),
    ("cos", lambda a: a.cos(), lambda a: a.cos(), [any_(4)]),
    ("tanh", lambda a: a.tanh(), lambda a: a.tanh(), [any_(4)]),
    ("clamp", lambda a: a.clamp(-0.5, 0.5), lambda a: a.clamp(-0.5, 0.5), [any_(10)]),
    ("clamp_min", lambda a: a.clamp(min=0.1), lambda a: a.clamp(min=0.1), [any_(10)]),
    ("maximum", L.maximum, torch.maximum if torch else None, [any_(3, 4), any_(4)]),
    ("minimum", L.minimum, torch.minimum if torch else None, [any_(3, 4), any_(3, 4)]),
    (
        "where",
        lambda a, b: L.where(a > 0, a, b),
        lambda a, b: torch.where(a > 0, a, b),
        [any_(3, 4), any_(4)],
    ),
    ("sum_all", lambda a: a.sum(), lambda a: a.sum(), [any_(3, 4)]),
    ("sum_dim", lambda a: a.sum(1), lambda a: a.sum(1), [any_(3, 4, 2)]),
    (
        "sum_dims_keep",
        lambda a: a.sum((0, 2), keepdim=True),
        lambda a: a.sum((0, 2), keepdim=True),
        [any_(3, 4, 2)],
    ),
    ("mean_dim", lambda a: a.mean(-1), lambda a: a.mean(-1), [any_(3, 4)]),
    ("var", lambda a: a.var(1), lambda a: a.var(1), [any_(3, 5)]),
    (
        "var_biased",
        lambda a: a.var(0, unbiased=False),
        lambda a: a.var(0, unbiased=False),
        [any_(4, 3)],
    ),
    ("std_all", lambda a: a.std(), lambda a: a.std(), [any_(3, 5)]),
    ("max_dim", lambda a: a.max(1).values, lambda a: a.max(1).values, [any_(3, 5)]),
    (
        "min_dim_keep",
        lambda a: a.min(0, keepdim=True).values,
        lambda a: a.min(0, keepdim=True).values,
        [any_(3, 5)],
    ),
    ("max_all", lambda a: a.max(), lambda a: a.max(), [any_(3, 5)]),
    ("amax", lambda a: a.amax(1), lambda a: a.amax(1), [any_(3, 5)]),
    ("logsumexp", lambda a: a.logsumexp(1), lambda a: a.logsumexp(1), [any_(3, 5)]),
    ("prod", lambda a: a.prod(1), lambda a: a.prod(1), [any_(3, 4)]),
    ("prod_all", lambda a: a.prod(), lambda a: a.prod(), [any_(2, 3)]),
    ("norm", lambda a: a.norm(), lambda a: a.norm(), [any_(3, 4)]),
    ("norm_dim", lambda a: a.norm(dim=1), lambda a: a.norm(dim=1), [any_(3, 4)]),
    ("norm_p1", lambda a: a.norm(p=1, dim=0), lambda a: a.norm(p=1, dim=0), [any_(3, 4)]),
    ("reshape", lambda a: a.reshape(4, -1), lambda a: a.reshape(4, -1), [any_(2, 6)]),
    ("view_flat", lambda a: a.flatten(1), lambda a: a.flatten(1), [any_(2, 3, 4)]),
    ("squeeze", lambda a: a.squeeze(1), lambda a: a.squeeze(1), [any_(3, 1, 2)]),
    ("unsqueeze", lambda a: a.unsqueeze(-1), lambda a: a.unsqueeze(-1), [any_(3, 2)]),
    ("transpose", lambda a: a.transpose(0, 2), lambda a: a.transpose(0, 2), [any_(2, 3, 4)]),
    ("permute", lambda a: a.permute(2, 0, 1), lambda a: a.permute(2, 0, 1), [any_(2, 3, 4)]),
    ("T", lambda a: a.T, lambda a: a.T, [any_(2, 3)]),
    ("expand", lambda a: a.expand(2, 3, 4), lambda a: a.expand(2, 3, 4), [any_(3, 1)]),
    ("repeat", lambda a: a.repeat(2, 1, 3), lambda a: a.repeat(2, 1, 3), [any_(2, 3)]),
    (
        "cat",
        lambda a, b: L.cat([a, b], 1),
        lambda a, b: torch.cat([a, b], 1),
        [any_(2, 3), any_(2, 2)],
    ),
    (
        "stack",
        lambda a, b: L.stack([a, b], 1),
        lambda a, b: torch.stack([a, b], 1),
        [any_(2, 3), any_(2, 3)],
    ),
    ("split", lambda a: a.split([1, 3], 1)[1], lambda a: a.split([1, 3], 1)[1], [any_(2, 4)]),
    ("chunk", lambda a: a.chunk(2, 0)[0] * 2, lambda a: a.chunk(2, 0)[0] * 2, [any_(5, 2)]),
    (
        "pad_const",
        lambda a: L.pad(a, (1, 2, 0, 1), value=0.5),
        lambda a: torch.nn.functional.pad(a, (1, 2, 0, 1), value=0.5),
        [any_(2, 3, 4)],
    ),
    (
        "pad_reflect",
        lambda a: L.pad(a, (2, 1), mode="reflect"),
        lambda a: torch.nn.functional.pad(a, (2, 1), mode="reflect"),
        [any_(2, 3, 4)],
    ),
    (
        "pad_replicate",
        lambda a: L.pad(a, (2, 1, 1, 3), mode="replicate"),
        lambda a: torch.nn.functional.pad(a, (2, 1, 1, 3), mode="replicate"),
        [any_(1, 2, 3, 4)],
    ),
    (
        "pad_circular",
        lambda a: L.pad(a, (2, 1, 1, 2), mode="circular"),
        lambda a: torch.nn.functional.pad(a, (2, 1, 1, 2), mode="circular"),
        [any_(1, 2, 3, 4)],
    ),
    ("getitem_slice", lambda a: a[1:, ::2], lambda a: a[1:, ::2], [any_(3, 5)]),
    (
        "getitem_int_none",
        lambda a: a[1, None, ..., 2],
        lambda a: a[1, None, ..., 2],
        [any_(3, 4, 5)],
    ),
    ("getitem_repeat_idx", lambda a: a[[0, 2, 0, 0]], lambda a: a[[0, 2, 0, 0]], [any_(3, 2)]),
    ("getitem_mask", lambda a: a[a > 0], lambda a: a[a > 0], [any_(4, 3)]),
    (
        "getitem_adv2",
        lambda a: a[[0, 1, 1], [2, 0, 2]],
        lambda a: a[[0, 1, 1], [2, 0, 2]],
        [any_(3, 4)],
    ),
    (
        "gather",
        lambda a: a.gather(1, L.tensor([[0, 0], [1, 0]])),
        lambda a: a.gather(1, torch.tensor([[0, 0], [1, 0]])),
        [any_(2, 3)],
    ),
    (
        "scatter_add",
        lambda a, s: a.scatter_add(0, L.tensor([[0, 1, 0]]), s),
        lambda a, s: a.scatter_add(0, torch.tensor([[0, 1, 0]]), s),
        [any_(2, 3), any_(1, 3)],
    ),
    (
        "index_select",
        lambda a: a.index_select(0, L.tensor([2, 0, 2])),
        lambda a: a.index_select(0, torch.tensor([2, 0, 2])),
        [any_(3, 2)],
    ),
    (
        "masked_fill",
        lambda a: a.masked_fill(a > 0, -1.0),
        lambda a: a.masked_fill(a > 0, -1.0),
        [any_(3, 4)],
    ),
    ("tril", lambda a: a.tril(), lambda a: a.tril(), [any_(4, 4)]),
    ("triu", lambda a: a.triu(1), lambda a: a.triu(1), [any_(3, 4)]),
    ("fanout", lambda a: a * a.exp() + a, lambda a: a * a.exp() + a, [any_(3)]),
    ("size0", lambda a: a.sum(0), lambda a: a.sum(0), [any_(0, 3)]),
    ("noncontig", lambda a: (a.T * 2).sum(0), lambda a: (a.T * 2).sum(0), [any_(4, 3)[:, ::2]]),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradcheck_float64(case):
    _, fn, _, arrays = case
    xs = [L.tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
    assert gradcheck(fn, xs)


@needs_torch
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_matches_torch_float32(case):
    _, fn, tfn, arrays = case
    xs = [L.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    ts = [torch.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    y, ty = fn(*xs), tfn(*ts)
    assert y.shape == tuple(ty.shape)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    cot = rng.standard_normal(y.shape).astype(np.float32)
    (y * L.tensor(cot)).sum().backward()
    (ty * torch.tensor(cot)).sum().backward()
    for x, t in zip(xs, ts):
        assert x.grad is not None and x.grad.shape == x.shape
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_matches_numpy_semantics(case):
    """Forward in float64 equals forward in float32 to float32 precision."""
    _, fn, _, arrays = case
    y64 = fn(*[L.tensor(a, dtype=np.float64) for a in arrays])
    y32 = fn(*[L.tensor(a.astype(np.float32)) for a in arrays])
    assert y32.dtype == np.float32 and y64.dtype == np.float64
    np.testing.assert_allclose(y32.detach().numpy(), y64.detach().numpy(), rtol=1e-4, atol=1e-5)
