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


def _np_pad(a, width, mode="constant", value=0.0):
    pw = [(0, 0)] * a.ndim
    for i in range(len(width) // 2):
        pw[a.ndim - 1 - i] = (width[2 * i], width[2 * i + 1])
    np_mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge"}
    if mode == "circular":
        return np.pad(a, pw, mode="wrap")
    if mode == "constant":
        return np.pad(a, pw, constant_values=value)
    return np.pad(a, pw, mode=np_mode[mode])


def _scatter_add_ref(a, s):
    out = a.copy()
    for j, i in enumerate([0, 1, 0]):
        out[i, j] += s[0, j]
    return out


# Independent NumPy references for the forward of every case (written from the definitions,
# not from lamina); float64 in, compared to lamina's float64 forward.
NUMPY_REF = {
    "add": lambda a, b: a + b,
    "add_bcast": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "rsub_scalar": lambda a: 2.0 - a,
    "rdiv_scalar": lambda a: 2.0 / a,
    "pow_scalar": lambda a: a * a * a,
    "pow_tensor": lambda a, b: np.exp(b * np.log(a)),
    "rpow": lambda a: np.exp(a * np.log(2.0)),
    "neg": lambda a: -a,
    "matmul_2d": lambda a, b: np.einsum("ij,jk->ik", a, b),
    "matmul_1d": lambda a, b: np.sum(a * b),
    "matmul_vm": lambda a, b: np.einsum("j,bjk->bk", a, b),
    "matmul_mv": lambda a, b: np.einsum("bij,j->bi", a, b),
    "matmul_batched": lambda a, b: np.einsum("bij,bjk->bik", a, b),
    "matmul_bcast": lambda a, b: np.einsum("bij,jk->bik", a, b),
    "matmul_bcast2": lambda a, b: np.einsum("ij,bjk->bik", a, b),
    "abs": np.abs,
    "exp": np.exp,
    "log": np.log,
    "log1p": lambda a: np.log(1 + a),
    "sqrt": lambda a: a**0.5,
    "rsqrt": lambda a: a**-0.5,
    "sin": np.sin,
    "cos": np.cos,
    "tanh": lambda a: (np.exp(2 * a) - 1) / (np.exp(2 * a) + 1),
    "clamp": lambda a: np.minimum(np.maximum(a, -0.5), 0.5),
    "clamp_min": lambda a: np.where(a < 0.1, 0.1, a),
    "maximum": lambda a, b: np.where(a > b, a, b),
    "minimum": lambda a, b: np.where(a < b, a, b),
    "where": lambda a, b: np.where(a > 0, a, b),
    "sum_all": lambda a: a.sum(),
    "sum_dim": lambda a: a.sum(1),
    "sum_dims_keep": lambda a: a.sum((0, 2), keepdims=True),
    "mean_dim": lambda a: a.sum(-1) / a.shape[-1],
    "var": lambda a: ((a - a.mean(1, keepdims=True)) ** 2).sum(1) / (a.shape[1] - 1),
    "var_biased": lambda a: ((a - a.mean(0)) ** 2).mean(0),
    "std_all": lambda a: np.sqrt(((a - a.mean()) ** 2).sum() / (a.size - 1)),
    "max_dim": lambda a: np.sort(a, 1)[:, -1],
    "min_dim_keep": lambda a: np.sort(a, 0)[:1],
    "max_all": lambda a: np.sort(a.ravel())[-1],
    "amax": lambda a: np.sort(a, 1)[:, -1],
    "logsumexp": lambda a: np.log(np.exp(a).sum(1)),
    "prod": lambda a: a[:, 0] * a[:, 1] * a[:, 2] * a[:, 3],
    "prod_all": lambda a: np.exp(np.log(np.abs(a)).sum()) * np.prod(np.sign(a)),
    "norm": lambda a: np.sqrt((a * a).sum()),
    "norm_dim": lambda a: np.sqrt((a * a).sum(1)),
    "norm_p1": lambda a: np.abs(a).sum(0),
    "reshape": lambda a: a.reshape(4, 3),
    "view_flat": lambda a: a.reshape(2, 12),
    "squeeze": lambda a: a[:, 0, :],
    "unsqueeze": lambda a: a[..., None],
    "transpose": lambda a: np.swapaxes(a, 0, 2),
    "permute": lambda a: np.moveaxis(a, 2, 0),
    "T": lambda a: a.T,
    "expand": lambda a: np.broadcast_to(a, (2, 3, 4)),
    "repeat": lambda a: np.tile(a, (2, 1, 3)),
    "cat": lambda a, b: np.hstack([a, b]),
    "stack": lambda a, b: np.stack([a, b], 1),
    "split": lambda a: a[:, 1:],
    "chunk": lambda a: a[:3] * 2,
    "pad_const": lambda a: _np_pad(a, (1, 2, 0, 1), value=0.5),
    "pad_reflect": lambda a: _np_pad(a, (2, 1), "reflect"),
    "pad_replicate": lambda a: _np_pad(a, (2, 1, 1, 3), "replicate"),
    "pad_circular": lambda a: _np_pad(a, (2, 1, 1, 2), "circular"),
    "getitem_slice": lambda a: a[1:, ::2],
    "getitem_int_none": lambda a: a[1, :, 2][None],
    "getitem_repeat_idx": lambda a: np.stack([a[0], a[2], a[0], a[0]]),
    "getitem_mask": lambda a: a.ravel()[a.ravel() > 0],
    "getitem_adv2": lambda a: np.array([a[0, 2], a[1, 0], a[1, 2]]),
    "gather": lambda a: np.array([[a[0, 0], a[0, 0]], [a[1, 1], a[1, 0]]]),
    "scatter_add": _scatter_add_ref,
    "index_select": lambda a: a[[2, 0, 2]],
    "masked_fill": lambda a: np.where(a > 0, -1.0, a),
    "tril": lambda a: a * (np.arange(4)[:, None] >= np.arange(4)[None, :]),
    "triu": lambda a: a * (np.arange(3)[:, None] + 1 <= np.arange(4)[None, :]),
    "fanout": lambda a: a * np.exp(a) + a,
    "size0": lambda a: np.zeros(3),
    "noncontig": lambda a: (a.T * 2).sum(0),
}


def test_every_case_has_a_numpy_reference():
    assert set(NUMPY_REF) == set(IDS)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_matches_numpy_reference(case):
    """float64 forward equals an independent NumPy reference; float32 keeps float32."""
    name, fn, _, arrays = case
    want = np.asarray(NUMPY_REF[name](*arrays))
    y64 = fn(*[L.tensor(a, dtype=np.float64) for a in arrays])
    assert y64.dtype == np.float64 and tuple(y64.shape) == want.shape
    np.testing.assert_allclose(np.asarray(y64.detach()), want, rtol=1e-10, atol=1e-12)
    y32 = fn(*[L.tensor(a.astype(np.float32)) for a in arrays])
    assert y32.dtype == np.float32
    np.testing.assert_allclose(np.asarray(y32.detach()), want, rtol=1e-4, atol=1e-5)
