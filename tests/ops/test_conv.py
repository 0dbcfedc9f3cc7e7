"""Tests of lamina.ops.conv: naive NumPy references, finite differences, torch parity."""

import numpy as np
import pytest

from lamina.ops import conv as conv_mod
from lamina.ops import conv_kernels
from lamina.ops.conv import Conv2d, ConvTranspose2d, pads4
from tests.opcheck import check_op, run_backward, run_forward

RNG = np.random.default_rng(0)


@pytest.fixture(params=["cn", "nc", "nc-chunked"], autouse=True)
def layout(request, monkeypatch):
    """Run every test with both column layouts, channel-major (CN) and per-sample (NC), and
    with a workspace bound that splits the batch into one-sample chunks."""
    monkeypatch.setattr(conv_mod, "CN_MAX_PIXELS", 10**9 if request.param == "cn" else 0)
    if request.param == "nc-chunked":
        monkeypatch.setattr(conv_kernels, "WORKSPACE_BYTES", 1)
    return request.param


def rand(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def ref_conv2d(x, w, b, stride, padding, dilation, groups):
    """Direct definition: one dot product per output pixel (float64)."""
    (sh, sw), (dh, dw) = stride, dilation
    pt, pb, pl, pr = pads4(padding)
    x = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    og = o // groups
    ho, wo = (h - dh * (kh - 1) - 1) // sh + 1, (wd - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, o, ho, wo))
    for oc in range(o):
        gc = slice((oc // og) * cg, (oc // og + 1) * cg)
        for i in range(ho):
            for j in range(wo):
                patch = x[
                    :,
                    gc,
                    i * sh : i * sh + dh * (kh - 1) + 1 : dh,
                    j * sw : j * sw + dw * (kw - 1) + 1 : dw,
                ]
                out[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3))
    return out if b is None else out + b.reshape(1, -1, 1, 1)


def ref_conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation):
    """Direct definition: every input pixel scatters weight * value (float64)."""
    (sh, sw), (dh, dw), (ph, pw), (oph, opw) = stride, dilation, padding, output_padding
    n, c, h, wd = x.shape
    _, og, kh, kw = w.shape
    cg = c // groups
    full = np.zeros(
        (
            n,
            og * groups,
            (h - 1) * sh + dh * (kh - 1) + 1 + oph,
            (wd - 1) * sw + dw * (kw - 1) + 1 + opw,
        )
    )
    for ic in range(c):
        oc = slice((ic // cg) * og, (ic // cg + 1) * og)
        for i in range(h):
            for j in range(wd):
                full[
                    :,
                    oc,
                    i * sh : i * sh + dh * (kh - 1) + 1 : dh,
                    j * sw : j * sw + dw * (kw - 1) + 1 : dw,
                ] += x[:, ic, i, j][:, None, None, None] * w[ic][None]
    out = full[:, :, ph : full.shape[2] - ph, pw : full.shape[3] - pw]
    return out if b is None else out + b.reshape(1, -1, 1, 1)


# (N, C, O, H, W, k, stride, padding, dilation, groups)
CONV_GRID = [
    (2, 3, 4, 7, 9, (3, 3), (1, 1), 1, (1, 1), 1),  # odd sizes, pad 1
    (1, 3, 5, 9, 8, (1, 1), (1, 1), 0, (1, 1), 1),  # 1x1, batch 1
    (2, 3, 5, 9, 8, (2, 2), (3, 3), 2, (1, 1), 1),  # stride > kernel
    (2, 4, 6, 7, 9, (3, 2), (2, 3), (1, 0), (2, 1), 2),  # groups, dilation, rect
    (2, 4, 4, 6, 6, (3, 3), (1, 1), 1, (1, 1), 4),  # depthwise
    (2, 4, 8, 6, 5, (3, 3), (2, 1), (0, 1, 2, 1), (1, 1), 4),  # depthwise x2, 4-sided pad
    (2, 1, 6, 12, 12, (5, 5), (1, 1), 0, (1, 1), 1),  # LeNet-like
]


def _conv(s, p, d, g):
    return dict(stride=s, padding=p, dilation=d, groups=g)


def _tconv(s, p, op, g, d):
    return dict(stride=s, padding=p, output_padding=op, groups=g, dilation=d)


@pytest.mark.parametrize("case", CONV_GRID)
def test_conv2d_forward_matches_reference(case):
    n, c, o, h, w, k, s, p, d, g = case
    x, wt, b = rand(n, c, h, w), rand(o, c // g, *k), rand(o)
    _, out = run_forward(Conv2d, x, wt, b, **_conv(s, p, d, g))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref_conv2d(x, wt, b, s, p, d, g), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("case", CONV_GRID[:6])
def test_conv2d_gradcheck(case):
    n, c, o, h, w, k, s, p, d, g = case
    x, wt, b = rand(1, c, min(h, 6), min(w, 6), dtype=np.float64), rand(o, c // g, *k), rand(o)
    check_op(Conv2d, x, wt.astype(np.float64), b.astype(np.float64), **_conv(s, p, d, g))


# (N, C, O, H, W, k, stride, padding, output_padding, groups, dilation)
TCONV_GRID = [
    (2, 3, 4, 5, 6, (3, 3), (2, 2), (1, 1), (1, 1), 1, (1, 1)),
    (2, 4, 6, 5, 6, (3, 2), (2, 3), (1, 0), (1, 2), 2, (1, 2)),
    (1, 3, 5, 4, 4, (1, 1), (3, 3), (0, 0), (0, 0), 1, (1, 1)),  # stride > kernel
    (2, 4, 4, 3, 5, (4, 4), (2, 2), (1, 1), (0, 0), 4, (1, 1)),  # depthwise, DCGAN-like
    (1, 2, 3, 7, 6, (3, 3), (1, 1), (0, 0), (0, 0), 1, (2, 2)),  # dilation
]


@pytest.mark.parametrize("case", TCONV_GRID)
def test_conv_transpose2d_forward_matches_reference(case):
    n, c, o, h, w, k, s, p, op, g, d = case
    x, wt, b = rand(n, c, h, w), rand(c, o // g, *k), rand(o)
    _, out = run_forward(ConvTranspose2d, x, wt, b, **_tconv(s, p, op, g, d))
    ref = ref_conv_transpose2d(x, wt, b, s, p, op, g, d)
    assert out.shape == ref.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("case", TCONV_GRID)
def test_conv_transpose2d_gradcheck(case):
    n, c, o, h, w, k, s, p, op, g, d = case
    x = rand(1, c, min(h, 4), min(w, 4), dtype=np.float64)
    wt, b = rand(c, o // g, *k, dtype=np.float64), rand(o, dtype=np.float64)
    check_op(ConvTranspose2d, x, wt, b, **_tconv(s, p, op, g, d))


def _torch_compare(fn, tfn, arrays, opts, seed=1):
    """Run op and torch on float32 arrays; compare outputs and every gradient."""
    torch = pytest.importorskip("torch")
    ctx, out = run_forward(fn, *arrays, **opts)
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    tout = tfn(*ts)
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-4, atol=1e-4)
    g = np.random.default_rng(seed).standard_normal(out.shape).astype(np.float32)
    tout.backward(torch.tensor(g))
    grads = run_backward(fn, ctx, [g])
    for mine, t in zip(grads, ts):
        assert mine.dtype == np.float32
        np.testing.assert_allclose(mine, t.grad.numpy(), rtol=1e-4, atol=2e-4)


@pytest.mark.parametrize("case", [c for c in CONV_GRID if np.ndim(c[7]) == 0 or len(c[7]) == 2])
def test_conv2d_matches_torch(case):
    torch = pytest.importorskip("torch")
    n, c, o, h, w, k, s, p, d, g = case

    def tconv(xt, wt, bt):
        return torch.nn.functional.conv2d(xt, wt, bt, s, p, d, g)

    _torch_compare(
        Conv2d, tconv, [rand(n, c, h, w), rand(o, c // g, *k), rand(o)], _conv(s, p, d, g)
    )


def test_conv2d_without_bias_and_without_input_grad():
    x, w = rand(2, 3, 6, 6), rand(4, 3, 3, 3)
    ctx, out = run_forward(Conv2d, x, w, None, stride=1, padding=1)
    np.testing.assert_allclose(out, ref_conv2d(x, w, None, (1, 1), 1, (1, 1), 1), atol=1e-4)
    ctx.needs_input_grad = (False, True, False)
    dx, dw, db = run_backward(Conv2d, ctx, [np.ones_like(out)])
    assert dx is None and db is None and dw.shape == w.shape


@pytest.mark.parametrize("case", CONV_GRID[:6])
def test_conv2d_input_grad_only(case):
    n, c, o, h, w, k, s, p, d, g = case
    x, wt = rand(n, c, h, w), rand(o, c // g, *k)
    ctx, out = run_forward(Conv2d, x, wt, None, **_conv(s, p, d, g))
    cot = rand(*out.shape)
    dx_all = run_backward(Conv2d, ctx, [cot])[0]
    ctx = Conv2d._Ctx(Conv2d)
    ctx.needs_input_grad = (True, False, False)  # before forward: it keeps no input then
    Conv2d.forward(ctx, x, wt, None, **_conv(s, p, d, g))
    dx, dw, db = run_backward(Conv2d, ctx, [cot])
    assert dw is None and db is None
    np.testing.assert_allclose(dx, dx_all, rtol=1e-6)


def test_conv2d_non_contiguous_input():
    x = rand(2, 6, 8, 3).transpose(0, 3, 1, 2)  # (2, 3, 6, 8) with odd strides
    w = rand(4, 3, 1, 1)
    _, out = run_forward(Conv2d, x, w, None)
    np.testing.assert_allclose(out, ref_conv2d(x, w, None, (1, 1), 0, (1, 1), 1), atol=1e-4)


@pytest.mark.parametrize("case", TCONV_GRID)
def test_conv_transpose2d_matches_torch(case):
    torch = pytest.importorskip("torch")
    n, c, o, h, w, k, s, p, op, g, d = case

    def tconv(xt, wt, bt):
        return torch.nn.functional.conv_transpose2d(xt, wt, bt, s, p, op, g, d)

    arrays = [rand(n, c, h, w), rand(c, o // g, *k), rand(o)]
    _torch_compare(ConvTranspose2d, tconv, arrays, _tconv(s, p, op, g, d))


def test_conv_errors_name_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Conv2d.*3 channels.*\(2, 4, 5, 5\)"):
        run_forward(Conv2d, rand(2, 4, 5, 5), rand(6, 3, 3, 3), None)
    with pytest.raises(ValueError, match=r"Conv2d.*rank 4.*\(4, 5, 5\)"):
        run_forward(Conv2d, rand(4, 5, 5), rand(6, 4, 3, 3), None)
    with pytest.raises(ValueError, match="too small"):
        run_forward(Conv2d, rand(1, 1, 2, 2), rand(1, 1, 3, 3), None)
    with pytest.raises(ValueError, match=r"Conv2d: stride must be >= 1, got \(0, 1\)"):
        run_forward(Conv2d, rand(1, 1, 4, 4), rand(1, 1, 3, 3), None, stride=(0, 1))
    with pytest.raises(TypeError, match="Conv2d: input dtype float64 and weight dtype float32"):
        run_forward(Conv2d, rand(1, 1, 4, 4, dtype=np.float64), rand(1, 1, 3, 3), None)
    with pytest.raises(ValueError, match="ConvTranspose2d.*output_padding"):
        run_forward(
            ConvTranspose2d,
            rand(1, 2, 3, 3),
            rand(2, 1, 3, 3),
            None,
            stride=1,
            padding=0,
            output_padding=1,
        )
