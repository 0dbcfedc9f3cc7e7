"""scaled_dot_product_attention: NumPy reference, float64 gradcheck, torch parity, memory."""

import tracemalloc

import numpy as np
import pytest

import lamina
import lamina.nn.functional as F
from lamina.nn.functional.attention import attention
from lamina.ops import attention as A
from lamina.ops.attention import ScaledDotProductAttention as SDPA
from tests.opcheck import check_op, run_backward, run_forward
from tests.oracle import torch

RNG = np.random.default_rng(0)


def _ref(q, k, v, mask=None, scale=None):
    """Plain NumPy attention; a fully masked row gives zeros as torch's CPU kernel."""
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    if mask is not None and mask.dtype == bool:
        s = np.where(mask, s, -np.inf)
    elif mask is not None:
        s = s + mask
    m = s.max(-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    e = np.exp(s - m)
    tot = e.sum(-1, keepdims=True)
    return (e / np.where(tot == 0, 1, tot)) @ v


def _qkv(bq, bk, L=5, S=6, E=4, Ev=3, dtype=np.float64):
    q = RNG.standard_normal(bq + (L, E)).astype(dtype)
    k = RNG.standard_normal(bk + (S, E)).astype(dtype)
    v = RNG.standard_normal(bk + (S, Ev)).astype(dtype)
    return q, k, v


def _bool_mask(shape, full_row=1):
    m = RNG.random(shape) > 0.4
    m[..., full_row, :] = False  # one fully masked row
    return m


def test_forward_matches_numpy_reference():
    q, k, v = _qkv((2, 3), (2, 3))
    for mask in (None, _bool_mask((5, 6)), RNG.standard_normal((3, 5, 6))):
        _, out = run_forward(SDPA, q, k, v, mask, scale=0.5)
        np.testing.assert_allclose(out, _ref(q, k, v, mask, 0.5), rtol=1e-12, atol=1e-12)
    _, out = run_forward(SDPA, q, k, v, causal=True, scale=0.5)
    np.testing.assert_allclose(out, _ref(q, k, v, np.tri(5, 6, dtype=bool), 0.5), atol=1e-12)


@pytest.mark.parametrize(
    "mask",
    [None, "bool", "float", "causal"],
)
@pytest.mark.parametrize(("bq", "bk"), [((2, 2), (2, 2)), ((2, 2), (1,)), ((), ())])
def test_gradcheck_float64(mask, bq, bk):
    q, k, v = _qkv(bq, bk, L=3, S=4, E=3, Ev=2)
    kw = {"scale": 0.7}
    m = None
    if mask == "bool":
        m = _bool_mask((3, 4))
    elif mask == "float":
        m = RNG.standard_normal((3, 4))  # the additive mask gets a gradient too
    elif mask == "causal":
        kw["causal"] = True
    assert check_op(SDPA, q, k, v, m, **kw)


def test_gradcheck_dropout_and_weights_output():
    q, k, v = _qkv((2,), (2,), L=3, S=4, E=3, Ev=2)
    # the seed fixes the keep-mask, so forward is a deterministic function of q, k, v
    assert check_op(SDPA, q, k, v, None, scale=0.6, dropout_p=0.3, dropout_seed=7)
    assert check_op(
        SDPA, q, k, v, None, scale=0.6, dropout_p=0.3, dropout_seed=7, need_weights=True
    )


def _torch_pair(q, k, v, mask, **kw):
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    lq, lk, lv = (lamina.tensor(a, requires_grad=True) for a in (q, k, v))
    tm = lm = None
    if mask is not None:
        tm = torch.tensor(mask, requires_grad=mask.dtype != bool)
        lm = lamina.tensor(mask, requires_grad=mask.dtype != bool)
    to = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=tm, **kw)
    lo = F.scaled_dot_product_attention(lq, lk, lv, attn_mask=lm, **kw)
    g = RNG.standard_normal(tuple(to.shape)).astype(q.dtype)
    to.backward(torch.tensor(g))
    lo.backward(g)
    pairs = [(to.detach(), lo), (tq.grad, lq.grad), (tk.grad, lk.grad), (tv.grad, lv.grad)]
    if mask is not None and mask.dtype != bool:
        pairs.append((tm.grad, lm.grad))
    return pairs


CASES = [
    ((2, 3), (2, 3), None, {}),
    ((2, 3), (2, 3), "bool", {}),
    ((2, 3), (2, 3), "float", {}),
    ((2, 3), (2, 3), "-inf", {}),
    ((2, 3), (2, 3), None, {"is_causal": True}),
    ((2, 3), (2, 1), None, {"scale": 0.25}),
    ((4,), (4,), "bool", {}),
    ((), (), None, {"is_causal": True}),
]


@pytest.mark.parametrize(("bq", "bk", "mask", "kw"), CASES)
def test_torch_parity_outputs_and_grads(bq, bk, mask, kw):
    q, k, v = _qkv(bq, bk, dtype=np.float32)
    m = None
    if mask == "bool":
        m = _bool_mask((5, 6))
    elif mask == "float":
        m = RNG.standard_normal((5, 6)).astype(np.float32)
    elif mask == "-inf":  # additive mask with a fully masked row
        m = np.where(RNG.random((5, 6)) > 0.4, 0, -np.inf).astype(np.float32)
        m[2] = -np.inf
    for t, lam in _torch_pair(q, k, v, m, **kw):
        np.testing.assert_allclose(lam.detach().numpy(), t.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_fully_masked_rows_are_zero_like_torch():
    q, k, v = _qkv((1,), (1,), dtype=np.float32)
    m = np.ones((5, 6), bool)
    m[[0, 3]] = False
    for t, lam in _torch_pair(q, k, v, m):
        np.testing.assert_allclose(lam.detach().numpy(), t.detach().numpy(), rtol=1e-4, atol=1e-6)
        assert np.isfinite(lam.detach().numpy()).all()
    out = F.scaled_dot_product_attention(*(lamina.tensor(a) for a in (q, k, v)), lamina.tensor(m))
    assert (out.detach().numpy()[:, [0, 3]] == 0).all()


def test_long_rows_and_large_logits_stay_finite():
    # logits of order 1e4 and 4096 keys: the max-shift keeps exp in range
    q, k, v = _qkv((1,), (1,), L=8, S=4096, E=16, dtype=np.float32)
    q *= 300.0
    pairs = _torch_pair(q, k, v, None)
    for t, lam in pairs:
        assert np.isfinite(lam.detach().numpy()).all()
        np.testing.assert_allclose(lam.detach().numpy(), t.detach().numpy(), rtol=1e-4, atol=2e-4)


def test_blocks_give_the_same_result(monkeypatch):
    q, k, v = _qkv((3, 2), (3, 2), L=5, S=6)
    m = _bool_mask((3, 1, 5, 6))
    g = RNG.standard_normal((3, 2, 5, 3))
    ctx, out = run_forward(SDPA, q, k, v, m, scale=0.5)
    grads = run_backward(SDPA, ctx, [g])
    monkeypatch.setattr(A, "_BLOCK", 30)  # one (5, 6) matrix per block
    assert len(A._blocks((3, 2), 30)) == 6
    ctx, out2 = run_forward(SDPA, q, k, v, m, scale=0.5)
    np.testing.assert_allclose(out2, out, rtol=1e-12)
    for a, b in zip(run_backward(SDPA, ctx, [g])[:3], grads[:3]):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    # dropout is drawn per block from the seed: backward draws the same masks again
    assert check_op(SDPA, q[:1], k[:1], v[:1], m[:1], scale=0.5, dropout_p=0.3, dropout_seed=3)


def test_dropout_statistics_and_scaling():
    lamina.manual_seed(0)
    q, k, v = (lamina.tensor(a) for a in _qkv((4, 4), (4, 4), L=32, S=32, dtype=np.float32))
    out, w = attention(q, k, v, dropout_p=0.25, need_weights=True)
    _, w0 = attention(q, k, v, need_weights=True)
    w, w0 = w.detach().numpy(), w0.detach().numpy()
    dropped = w == 0
    assert abs(dropped.mean() - 0.25) < 0.02
    np.testing.assert_allclose(w[~dropped], w0[~dropped] / 0.75, rtol=1e-5)
    np.testing.assert_allclose(out.detach().numpy(), w @ v.detach().numpy(), rtol=1e-4, atol=1e-6)
    zero = F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)
    t = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(a.detach().numpy()) for a in (q, k, v)), dropout_p=1.0
    )
    np.testing.assert_array_equal(zero.detach().numpy(), t.detach().numpy())


@pytest.mark.parametrize(
    ("shapes", "mask", "kw"),
    [
        (((2, 3, 4), (2, 5, 4), (2, 5, 6)), np.ones((3, 5), bool), {"is_causal": True}),
        (((2, 3, 4), (2, 5, 3), (2, 5, 6)), None, {}),
        (((2, 3, 4), (2, 5, 4), (2, 4, 6)), None, {}),
        (((4,), (4,), (4,)), None, {}),
        (((2, 3, 4), (2, 5, 4), (2, 5, 6)), np.ones((3, 5), np.int64), {}),
        (((2, 3, 4), (2, 5, 4), (2, 5, 6)), np.ones((3, 5), np.float64), {}),
        (((2, 3, 4), (2, 5, 4), (2, 5, 6)), np.ones((4, 5), np.float32), {}),
    ],
)
def test_raises_where_torch_raises(shapes, mask, kw):
    arrays = [RNG.standard_normal(s).astype(np.float32) for s in shapes]
    with pytest.raises(RuntimeError):
        torch.nn.functional.scaled_dot_product_attention(
            *(torch.tensor(a) for a in arrays),
            attn_mask=None if mask is None else torch.tensor(mask),
            **kw,
        )
    with pytest.raises(RuntimeError, match="attn_mask|query|key|dimensional"):
        F.scaled_dot_product_attention(
            *(lamina.tensor(a) for a in arrays),
            attn_mask=None if mask is None else lamina.tensor(mask),
            **kw,
        )


def test_memory_keeps_one_score_matrix_per_head(monkeypatch):
    """Loose bound: forward + backward peak stays under 1.5x the (L, S) probabilities.

    Keeping the scores and the probabilities, or a full-size dP in backward, would need 2x.
    """
    monkeypatch.setattr(A, "_BLOCK", 1 << 16)
    B, H, L, E = 2, 4, 512, 8  # q, k, v are small next to P: the bound is about P
    q, k, v = (lamina.tensor(a, requires_grad=True) for a in _qkv((B, H), (B, H), L, L, E, E))
    scores = B * H * L * L * 8  # float64 bytes of P
    tracemalloc.start()
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    out.sum().backward()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert q.grad is not None and k.grad is not None and v.grad is not None
    assert peak < 1.5 * scores, f"peak {peak / 2**20:.1f} MiB vs P {scores / 2**20:.1f} MiB"


def test_grouped_query_attention_as_torch():
    q, _, _ = _qkv((2, 4), (2, 4), dtype=np.float32)
    _, k, v = _qkv((2, 2), (2, 2), dtype=np.float32)
    for t, lam in _torch_pair(q, k, v, None, enable_gqa=True, is_causal=True):
        np.testing.assert_allclose(lam.detach().numpy(), t.detach().numpy(), rtol=1e-4, atol=1e-5)
    bad = [lamina.tensor(a) for a in (q, k[:, :1].repeat(3, 1), v[:, :1].repeat(3, 1))]
    with pytest.raises(RuntimeError, match="must divide"):
        F.scaled_dot_product_attention(*bad, enable_gqa=True)
