"""MultiheadAttention, Transformer layers and RMSNorm vs torch: keys, outputs, all gradients."""

import numpy as np
import pytest

import lamina
import lamina.nn as nn
import lamina.nn.functional as F
from lamina.autograd.gradcheck import gradcheck
from tests.oracle import torch

RNG = np.random.default_rng(0)
RTOL = 1e-4


def _copy_weights(tm, lm):
    """Same keys in the same order, then torch's weights into lamina by key."""
    assert list(lm.state_dict()) == list(tm.state_dict())
    lm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})


def _close(lam, ref, what):
    ref = np.asarray(ref)
    scale = max(np.nanmax(np.abs(ref)), 1e-6) if ref.size else 1.0
    np.testing.assert_allclose(lam, ref, rtol=RTOL, atol=RTOL * scale, equal_nan=True, err_msg=what)


def _t(a, lib, grad=False):
    if a is None or not isinstance(a, np.ndarray):
        return a
    if lib is torch:
        return torch.tensor(a, requires_grad=grad and a.dtype.kind == "f")
    return lamina.tensor(a, requires_grad=grad and a.dtype.kind == "f")


def _compare(tm, lm, inputs, kwargs=None, pick=lambda o: o):
    """Forward both, backward a random cotangent; compare outputs, input and weight grads."""
    kwargs = kwargs or {}
    tm.zero_grad(set_to_none=True)
    lm.zero_grad(set_to_none=True)
    tin = [_t(a, torch, True) for a in inputs]
    lin = [_t(a, lamina, True) for a in inputs]
    tk = {k: _t(v, torch, True) for k, v in kwargs.items()}
    lk = {k: _t(v, lamina, True) for k, v in kwargs.items()}
    touts = [o for o in pick(tm(*tin, **tk)) if o is not None]
    louts = [o for o in pick(lm(*lin, **lk)) if o is not None]
    assert len(touts) == len(louts)
    tl = ll = 0
    for to, lo in zip(touts, louts):
        _close(lo.detach().numpy(), to.detach().numpy(), "output")
        assert np.isfinite(to.detach().numpy()).all()
        g = RNG.standard_normal(tuple(to.shape)).astype(np.float32)
        tl = tl + (to * torch.tensor(g)).sum()
        ll = ll + (lo * lamina.tensor(g)).sum()
    tl.backward()
    ll.backward()
    for i, (a, b) in enumerate(zip(tin + list(tk.values()), lin + list(lk.values()))):
        if isinstance(a, torch.Tensor) and a.requires_grad:
            assert (a.grad is None) == (b.grad is None), f"input {i}: a gradient on one side"
            if a.grad is not None:
                _close(b.grad.detach().numpy(), a.grad.detach().numpy(), f"grad of input {i}")
    tp = dict(tm.named_parameters())
    for name, p in lm.named_parameters():
        _close(p.grad.detach().numpy(), tp[name].grad.detach().numpy(), f"grad of {name}")


def _mha_inputs(bf, batched=True, kdim=8, vdim=8, N=3, L=4, S=5):
    def shape(n, e):
        return ((N, n, e) if bf else (n, N, e)) if batched else (n, e)

    return [
        RNG.standard_normal(shape(L, 8)).astype(np.float32),
        RNG.standard_normal(shape(S, kdim)).astype(np.float32),
        RNG.standard_normal(shape(S, vdim)).astype(np.float32),
    ]


KPM = np.array([[False, False, True, False, True], [False] * 5, [True, False, False, True, False]])
MASK = np.triu(np.ones((4, 5), bool), 2)  # with KPM, key 1 stays open in every row
MHA_CASES = [
    ({}, {}, False),
    ({}, {}, True),
    ({}, {"need_weights": False}, True),
    ({}, {"average_attn_weights": False}, True),
    ({"kdim": 6, "vdim": 7}, {}, True),
    ({"kdim": 6, "vdim": 7, "bias": False}, {"need_weights": False}, False),
    ({"add_bias_kv": True}, {}, False),
    ({"add_zero_attn": True}, {}, False),
    ({"add_bias_kv": True, "add_zero_attn": True, "bias": False}, {"need_weights": False}, True),
    ({}, {"key_padding_mask": KPM}, True),
    ({}, {"key_padding_mask": KPM, "attn_mask": MASK}, True),
    ({}, {"key_padding_mask": np.where(KPM, -1e9, 0.5).astype(np.float32)}, True),
    ({"add_bias_kv": True, "add_zero_attn": True}, {"key_padding_mask": KPM}, True),
    ({}, {"attn_mask": RNG.standard_normal((6, 4, 5)).astype(np.float32)}, True),
    ({}, {"attn_mask": np.triu(np.ones((4, 5), bool), 1), "is_causal": True}, True),
    (
        {},
        {"attn_mask": np.triu(np.ones((4, 5), bool), 1), "is_causal": True, "need_weights": False},
        True,
    ),
]


@pytest.mark.parametrize(("kw", "fkw", "bf"), MHA_CASES)
def test_mha_matches_torch(kw, fkw, bf):
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(8, 2, batch_first=bf, **kw)
    lm = nn.MultiheadAttention(8, 2, batch_first=bf, **kw)
    _copy_weights(tm, lm)
    inputs = _mha_inputs(bf, kdim=kw.get("kdim", 8), vdim=kw.get("vdim", 8))
    _compare(tm, lm, inputs, fkw)


def test_mha_self_attention_same_tensor_and_unbatched():
    torch.manual_seed(1)
    tm, lm = torch.nn.MultiheadAttention(8, 4), nn.MultiheadAttention(8, 4)
    _copy_weights(tm, lm)
    x = RNG.standard_normal((5, 8)).astype(np.float32)
    tx, lx = torch.tensor(x, requires_grad=True), lamina.tensor(x, requires_grad=True)
    (to, tw), (lo, lw) = tm(tx, tx, tx), lm(lx, lx, lx)  # one tensor: the packed path
    _close(lo.detach().numpy(), to.detach().numpy(), "out")
    _close(lw.detach().numpy(), tw.detach().numpy(), "weights")
    to.sum().backward()
    lo.sum().backward()
    _close(lx.grad.detach().numpy(), tx.grad.detach().numpy(), "grad x")
    mask = RNG.random((4, 5, 5)).astype(np.float32)  # unbatched 3-D mask: (heads, L, S)
    with pytest.warns(UserWarning, match="mismatched key_padding_mask"):  # torch warns too
        _compare(tm, lm, [x, x, x], {"attn_mask": mask, "key_padding_mask": KPM[0][:5]})


def test_mha_fully_masked_rows_as_torch():
    """need_weights computes an explicit softmax (NaN rows); without it the fused op (0)."""
    torch.manual_seed(2)
    tm = torch.nn.MultiheadAttention(8, 2, batch_first=True)
    lm = nn.MultiheadAttention(8, 2, batch_first=True)
    _copy_weights(tm, lm)
    q, k, v = _mha_inputs(True)
    kpm = KPM.copy()
    kpm[1] = True
    for need in (True, False):
        to, _ = tm(*(torch.tensor(a) for a in (q, k, v)), key_padding_mask=torch.tensor(kpm),
                   need_weights=need)  # fmt: skip
        lo, _ = lm(*(lamina.tensor(a) for a in (q, k, v)), key_padding_mask=lamina.tensor(kpm),
                   need_weights=need)  # fmt: skip
        assert np.isnan(to.detach().numpy()[1]).all() == need
        _close(lo.detach().numpy(), to.detach().numpy(), f"need_weights={need}")


def test_mha_gradcheck_float64():
    lamina.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, add_bias_kv=True, add_zero_attn=True, dtype=np.float64)
    x = lamina.tensor(RNG.standard_normal((3, 2, 4)), requires_grad=True)
    mask = lamina.tensor(RNG.standard_normal((3, 3)), requires_grad=True)

    def f(x, mask, w, b):
        return m(x, x, x, attn_mask=mask)

    assert gradcheck(f, (x, mask, m.in_proj_weight, m.bias_k))


def test_mha_dropout_is_training_only():
    lamina.manual_seed(0)
    m = nn.MultiheadAttention(8, 2, dropout=0.5, batch_first=True)
    q, k, v = (lamina.tensor(a) for a in _mha_inputs(True))
    _, w = m(q, k, v, average_attn_weights=False)
    assert (w.detach().numpy() == 0).mean() > 0.3  # about half of the weights dropped
    m.eval()
    _, w1 = m(q, k, v, average_attn_weights=False)
    np.testing.assert_allclose(w1.detach().numpy().sum(-1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    ("kw", "match", "exc"),
    [
        ({"embed_dim": 6, "num_heads": 4}, "divisible", AssertionError),
        ({"embed_dim": 0, "num_heads": 1}, "greater than 0", ValueError),
    ],
)
def test_mha_constructor_errors_as_torch(kw, match, exc):
    with pytest.raises(exc):
        torch.nn.MultiheadAttention(**kw)
    with pytest.raises(exc, match=match):
        nn.MultiheadAttention(**kw)


def test_mha_forward_errors_as_torch():
    tm, lm = torch.nn.MultiheadAttention(8, 2), nn.MultiheadAttention(8, 2)
    q, k, v = _mha_inputs(False)
    with pytest.raises(RuntimeError):
        tm(*(torch.tensor(a) for a in (q, k, v)), is_causal=True)
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        lm(*(lamina.tensor(a) for a in (q, k, v)), is_causal=True)
    bad = np.zeros((3, 5), bool)
    with pytest.raises(RuntimeError):
        tm(*(torch.tensor(a) for a in (q, k, v)), attn_mask=torch.tensor(bad))
    with pytest.raises(RuntimeError, match="2D attn_mask"):
        lm(*(lamina.tensor(a) for a in (q, k, v)), attn_mask=lamina.tensor(bad))
    with pytest.raises(AssertionError, match="3-D"):
        lm(lamina.tensor(q), lamina.tensor(k[0]), lamina.tensor(v))


LAYER_OPTS = [
    {},
    {"norm_first": True},
    {"activation": "gelu", "bias": False, "layer_norm_eps": 1e-3},
    {"activation": "callable"},
]


def _layer_kw(kw, lib):
    kw = dict(kw, dim_feedforward=32, dropout=0.0)
    if kw.get("activation") == "callable":
        kw["activation"] = torch.nn.functional.silu if lib is torch else F.silu
    return kw


@pytest.mark.parametrize("kw", LAYER_OPTS)
@pytest.mark.parametrize("bf", [True, False])
def test_encoder_layer_and_encoder(kw, bf):
    torch.manual_seed(3)
    tl = torch.nn.TransformerEncoderLayer(16, 4, batch_first=bf, **_layer_kw(kw, torch))
    ll = nn.TransformerEncoderLayer(16, 4, batch_first=bf, **_layer_kw(kw, lamina))
    _copy_weights(tl, ll)
    x = RNG.standard_normal((3, 5, 16) if bf else (5, 3, 16)).astype(np.float32)
    kpm = KPM.copy()
    _compare(tl, ll, [x], {"src_mask": np.triu(np.ones((5, 5), bool), 2)})
    _compare(tl, ll, [x], {"src_key_padding_mask": kpm})
    tenc = torch.nn.TransformerEncoder(tl, 2, torch.nn.LayerNorm(16), enable_nested_tensor=False)
    lenc = nn.TransformerEncoder(ll, 2, nn.LayerNorm(16), enable_nested_tensor=False)
    _copy_weights(tenc, lenc)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5).detach().numpy()
    _compare(tenc, lenc, [x], {"mask": np.isinf(mask), "src_key_padding_mask": kpm})
    _compare(tenc, lenc, [x], {"mask": mask, "is_causal": True})


@pytest.mark.parametrize("kw", LAYER_OPTS)
def test_decoder_layer_and_decoder(kw):
    torch.manual_seed(4)
    tl = torch.nn.TransformerDecoderLayer(16, 4, batch_first=True, **_layer_kw(kw, torch))
    ll = nn.TransformerDecoderLayer(16, 4, batch_first=True, **_layer_kw(kw, lamina))
    _copy_weights(tl, ll)
    tgt = RNG.standard_normal((3, 4, 16)).astype(np.float32)
    mem = RNG.standard_normal((3, 5, 16)).astype(np.float32)
    tmask = nn.Transformer.generate_square_subsequent_mask(4).detach().numpy()
    masks = {"tgt_mask": tmask, "memory_key_padding_mask": KPM, "memory_mask": MASK}
    _compare(tl, ll, [tgt, mem], masks)
    tdec = torch.nn.TransformerDecoder(tl, 2, torch.nn.LayerNorm(16))
    ldec = nn.TransformerDecoder(ll, 2, nn.LayerNorm(16))
    _copy_weights(tdec, ldec)
    _compare(tdec, ldec, [tgt, mem], {"tgt_mask": tmask, "tgt_is_causal": True})
    _compare(tdec, ldec, [tgt, mem], {"tgt_key_padding_mask": KPM[:, :4]})


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")  # torch's, about its fast path
@pytest.mark.parametrize("kw", LAYER_OPTS)
def test_transformer_matches_torch(kw):
    torch.manual_seed(5)
    tm = torch.nn.Transformer(16, 2, 2, 1, **_layer_kw(kw, torch))
    lm = nn.Transformer(16, 2, 2, 1, **_layer_kw(kw, lamina))
    _copy_weights(tm, lm)
    src = RNG.standard_normal((5, 3, 16)).astype(np.float32)
    tgt = RNG.standard_normal((4, 3, 16)).astype(np.float32)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_array_equal(
        nn.Transformer.generate_square_subsequent_mask(4).detach().numpy(), tmask
    )
    _compare(tm, lm, [src, tgt], {"tgt_mask": tmask.detach().numpy(), "src_key_padding_mask": KPM,
                                  "memory_key_padding_mask": KPM})  # fmt: skip


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
def test_transformer_defaults_and_errors():
    tm, lm = torch.nn.Transformer(), nn.Transformer()
    assert list(lm.state_dict()) == list(tm.state_dict())
    shapes = {k: tuple(v.shape) for k, v in tm.state_dict().items()}
    assert {k: tuple(v.shape) for k, v in lm.state_dict().items()} == shapes
    small = nn.Transformer(8, 2, 1, 1, 16)
    with pytest.raises(RuntimeError, match="batch number"):
        small(lamina.zeros(4, 2, 8), lamina.zeros(4, 3, 8))
    with pytest.raises(RuntimeError, match="d_model"):
        small(lamina.zeros(4, 2, 8), lamina.zeros(4, 2, 6))
    with pytest.raises(RuntimeError, match="relu/gelu"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")


def test_transformer_init_is_xavier_and_layers_start_equal():
    lamina.manual_seed(0)
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2)
    w0, w1 = (enc.layers[i].linear1.weight.detach().numpy() for i in range(2))
    np.testing.assert_array_equal(w0, w1)  # clones of one layer, as torch
    m = nn.Transformer(64, 2, 1, 1, 64)
    w = m.encoder.layers[0].linear1.weight.detach().numpy()
    bound = np.sqrt(6 / (64 + 64))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound


@pytest.mark.parametrize(
    ("shape", "kw"),
    [((3, 4, 6), {}), ((3, 4, 6), {"eps": 1e-3}), ((2, 3, 4), {"elementwise_affine": False})],
)
def test_rms_norm_matches_torch(shape, kw):
    norm_shape = shape[-2:] if "elementwise_affine" in kw else shape[-1]
    tm, lm = torch.nn.RMSNorm(norm_shape, **kw), nn.RMSNorm(norm_shape, **kw)
    if tm.weight is not None:
        with torch.no_grad():
            tm.weight.normal_()
    _copy_weights(tm, lm)
    assert repr(lm) == repr(tm)
    _compare(tm, lm, [RNG.standard_normal(shape).astype(np.float32) * 3])
    x = lamina.tensor(RNG.standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda x: F.rms_norm(x, norm_shape, None, 1e-5), (x,))


def test_rms_norm_errors():
    with pytest.raises(RuntimeError, match="normalized_shape"):
        nn.RMSNorm(5)(lamina.zeros(2, 4))


@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: nn.MultiheadAttention(8, 2, **kw),
        lambda **kw: nn.TransformerEncoderLayer(8, 2, 16, **kw),
        lambda **kw: nn.TransformerDecoderLayer(8, 2, 16, **kw),
        lambda **kw: nn.Transformer(8, 2, 1, 1, 16, **kw),
        lambda **kw: nn.RMSNorm(8, **kw),
    ],
)
def test_device_and_dtype_keywords(make):
    assert {p.dtype for p in make(dtype=np.float64).parameters()} == {np.dtype(np.float64)}
    assert {p.dtype for p in make(device="cpu").parameters()} == {np.dtype(np.float32)}
    with pytest.raises(RuntimeError, match="CPU only"):
        make(device="cuda")


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
def test_save_load_round_trip_and_parameter_counts(tmp_path):
    lamina.manual_seed(0)
    for make, tmake in [
        (lambda: nn.MultiheadAttention(8, 2, kdim=6, vdim=5, add_bias_kv=True),
         lambda: torch.nn.MultiheadAttention(8, 2, kdim=6, vdim=5, add_bias_kv=True)),
        (lambda: nn.Transformer(8, 2, 1, 1, 16), lambda: torch.nn.Transformer(8, 2, 1, 1, 16)),
    ]:  # fmt: skip
        m = make()
        assert sum(p.numel() for p in m.parameters()) == sum(
            p.numel() for p in tmake().parameters()
        )
        lamina.save(m.state_dict(), tmp_path / "m.safetensors")
        again = make()
        again.load_state_dict(lamina.load(tmp_path / "m.safetensors"))
        for (k, a), (_, b) in zip(m.state_dict().items(), again.state_dict().items()):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=k)
