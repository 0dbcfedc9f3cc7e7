"""Normalisation ops: NumPy references, finite-difference gradients, torch parity."""

import numpy as np
import pytest

from lamina.ops.norm import BatchNorm, LayerNorm
from tests.opcheck import check_op, run_backward, run_forward

RNG = np.random.default_rng(0)
SHAPES = [(4, 3), (3, 2, 4), (2, 3, 2, 3)]


def _bn_ref(x, w, b, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    bs = (1, -1) + (1,) * (x.ndim - 2)
    m, v = x.mean(axes, keepdims=True), x.var(axes, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w.reshape(bs) + b.reshape(bs)


@pytest.mark.parametrize("shape", SHAPES)
def test_batch_norm_reference_and_stats(shape):
    x = RNG.standard_normal(shape) * 2 + 1
    c = shape[1]
    w, b = RNG.standard_normal(c), RNG.standard_normal(c)
    rm, rv = np.zeros(c), np.ones(c)
    ctx, y = run_forward(BatchNorm, x, w, b, running_mean=rm, running_var=rv, momentum=0.1)
    np.testing.assert_allclose(y, _bn_ref(x, w, b), rtol=1e-12, atol=1e-12)
    axes = (0,) + tuple(range(2, x.ndim))
    np.testing.assert_allclose(ctx.batch_mean, x.mean(axes))
    np.testing.assert_allclose(ctx.batch_var, x.var(axes, ddof=1))
    np.testing.assert_allclose(rm, 0.1 * x.mean(axes))
    np.testing.assert_allclose(rv, 0.9 + 0.1 * x.var(axes, ddof=1))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck(shape, affine, training):
    x = RNG.standard_normal(shape)
    c = shape[1]
    w, b = (RNG.standard_normal(c), RNG.standard_normal(c)) if affine else (None, None)
    stats = {"running_mean": RNG.standard_normal(c), "running_var": RNG.uniform(0.5, 2, c)}
    if training:  # the op updates running stats in place: give it throw-away copies
        stats = {}
    assert check_op(BatchNorm, x, w, b, training=training, **stats)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_torch(shape, training):
    torch = pytest.importorskip("torch")
    x = (RNG.standard_normal(shape) * 3 + 2).astype(np.float32)
    c = shape[1]
    w = RNG.standard_normal(c).astype(np.float32)
    b = RNG.standard_normal(c).astype(np.float32)
    rm = RNG.standard_normal(c).astype(np.float32)
    rv = RNG.uniform(0.5, 2, c).astype(np.float32)
    gy = RNG.standard_normal(shape).astype(np.float32)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    rmt, rvt = torch.tensor(rm), torch.tensor(rv)
    yt = torch.nn.functional.batch_norm(xt, rmt, rvt, wt, bt, training=training, momentum=0.3)
    yt.backward(torch.tensor(gy))
    ctx, y = run_forward(
        BatchNorm, x, w, b, running_mean=rm, running_var=rv, training=training, momentum=0.3
    )
    gx, gw, gb = run_backward(BatchNorm, ctx, [gy])
    for got, want in ((y, yt), (gx, xt.grad), (gw, wt.grad), (gb, bt.grad), (rm, rmt), (rv, rvt)):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_batch_norm_errors():
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*\(1, 3\)"):
        run_forward(BatchNorm, np.zeros((1, 3)), None, None)
    with pytest.raises(ValueError, match="running_mean"):
        run_forward(BatchNorm, np.zeros((2, 3)), None, None, training=False)


@pytest.mark.parametrize(
    ("shape", "nshape"), [((4, 5), (5,)), ((2, 3, 4), (3, 4)), ((2, 2, 3, 4), (4,))]
)
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm(shape, nshape, affine):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal(shape) * 2 + 1
    w, b = (RNG.standard_normal(nshape), RNG.standard_normal(nshape)) if affine else (None, None)
    axes = tuple(range(x.ndim - len(nshape), x.ndim))
    ref = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + 1e-5)
    if affine:
        ref = ref * w + b
    y = run_forward(LayerNorm, x, w, b, normalized_shape=nshape)[1]
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)
    assert check_op(LayerNorm, x, w, b, normalized_shape=nshape)
    f32 = [None if a is None else a.astype(np.float32) for a in (x, w, b)]
    ts = [None if a is None else torch.tensor(a, requires_grad=True) for a in f32]
    yt = torch.nn.functional.layer_norm(ts[0], nshape, ts[1], ts[2], eps=1e-5)
    gy = RNG.standard_normal(shape).astype(np.float32)
    yt.backward(torch.tensor(gy))
    ctx, y32 = run_forward(LayerNorm, *f32, normalized_shape=nshape)
    grads = run_backward(LayerNorm, ctx, [gy])
    np.testing.assert_allclose(y32, yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    for g, t in zip(grads, ts):
        if t is not None:
            assert g.dtype == np.float32
            np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_layer_norm_bad_shape():
    with pytest.raises(ValueError, match=r"\(4,\).*\(2, 3\)"):
        run_forward(LayerNorm, np.zeros((2, 3)), None, None, normalized_shape=(4,))
