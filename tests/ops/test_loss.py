"""Loss ops: NumPy references, finite-difference gradients, torch parity, bad targets."""

import numpy as np
import pytest

from lamina.ops import class_loss as CL
from lamina.ops import loss as L
from tests.opcheck import check_op, run_backward, run_forward

RNG = np.random.default_rng(0)


def _fwd(fn, *args, **kw):
    return run_forward(fn, *args, **kw)[1]


def _run(fn, *args, cot=None, **kw):
    ctx, y = run_forward(fn, *args, **kw)
    g = np.ones_like(y) if cot is None else cot
    return y, run_backward(fn, ctx, [g])


CE_OPTS = [
    {},
    {"reduction": "sum"},
    {"reduction": "none"},
    {"weight": True},
    {"weight": True, "ignore_index": 1},
    {"ignore_index": 2, "reduction": "sum"},
    {"label_smoothing": 0.2},
    {"label_smoothing": 0.1, "weight": True, "ignore_index": 0},
    {"label_smoothing": 0.3, "weight": True, "reduction": "none"},
    {"label_smoothing": 0.3, "ignore_index": 3, "reduction": "sum"},
]


def _opts(opts, c, dtype):
    kw = dict(opts)
    if kw.get("weight"):
        kw["weight"] = np.linspace(0.5, 2.0, c).astype(dtype)
    return kw


def test_cross_entropy_reference():
    x = RNG.standard_normal((4, 5))
    t = np.array([0, 4, 2, 2])
    logp = x - np.log(np.exp(x).sum(1, keepdims=True))
    np.testing.assert_allclose(_fwd(CL.CrossEntropy, x, t), -logp[np.arange(4), t].mean())
    w = np.arange(1.0, 6.0)
    ref = -(w[t] * logp[np.arange(4), t]).sum() / w[t].sum()
    np.testing.assert_allclose(_fwd(CL.CrossEntropy, x, t, weight=w), ref)
    np.testing.assert_allclose(
        _fwd(CL.NLLLoss, logp, t, reduction="sum"), -logp[np.arange(4), t].sum()
    )


@pytest.mark.parametrize("opts", CE_OPTS)
@pytest.mark.parametrize("shape", [(4, 5), (2, 4, 3, 2)])
def test_cross_entropy_gradcheck(opts, shape):
    x = RNG.standard_normal(shape)
    t = RNG.integers(0, shape[1], (shape[0],) + shape[2:])
    t.flat[0] = opts.get("ignore_index", 0)  # at least one ignored entry
    assert check_op(CL.CrossEntropy, x, t, **_opts(opts, shape[1], x.dtype))
    assert check_op(
        CL.NLLLoss,
        x,
        t,
        **{k: v for k, v in _opts(opts, shape[1], x.dtype).items() if k != "label_smoothing"},
    )


@pytest.mark.parametrize("opts", CE_OPTS)
@pytest.mark.parametrize("shape", [(6, 5), (3, 4, 2, 3), (5,)])
def test_cross_entropy_torch(opts, shape):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = (RNG.standard_normal(shape) * 3).astype(np.float32)
    t = RNG.integers(
        0,
        shape[-1] if len(shape) == 1 else shape[1],
        () if len(shape) == 1 else (shape[0],) + shape[2:],
    )
    if t.ndim:
        t.flat[0] = opts.get("ignore_index", 0)
    kw = _opts(opts, x.shape[0] if x.ndim == 1 else x.shape[1], np.float32)
    tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    for fn, tfn, xin in ((CL.CrossEntropy, F.cross_entropy, x), (CL.NLLLoss, F.nll_loss, x - 2.0)):
        if fn is CL.NLLLoss:
            kw.pop("label_smoothing", None), tkw.pop("label_smoothing", None)
        xt = torch.tensor(xin, requires_grad=True)
        yt = tfn(xt, torch.tensor(t), **tkw)
        cot = RNG.standard_normal(yt.shape).astype(np.float32)
        y, (gx, *_) = _run(fn, xin, t, cot=cot, **kw)
        yt.backward(torch.tensor(cot))
        assert y.dtype == np.float32 and gx.dtype == np.float32
        np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "opts",
    [
        {},
        {"reduction": "sum"},
        {"reduction": "none"},
        {"weight": True},
        {"label_smoothing": 0.25, "weight": True},
        {"label_smoothing": 0.1, "reduction": "none"},
    ],
)
def test_cross_entropy_prob_targets(opts):
    torch = pytest.importorskip("torch")
    x = (RNG.standard_normal((3, 4, 2)) * 2).astype(np.float32)
    p = RNG.random((3, 4, 2)).astype(np.float32)
    p /= p.sum(1, keepdims=True)
    kw = _opts(opts, 4, np.float32)
    assert check_op(CL.CrossEntropy, x, p, **_opts(opts, 4, np.float64))
    tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    xt, pt = torch.tensor(x, requires_grad=True), torch.tensor(p, requires_grad=True)
    yt = torch.nn.functional.cross_entropy(xt, pt, **tkw)
    cot = RNG.standard_normal(yt.shape).astype(np.float32)
    y, (gx, gp, _) = _run(CL.CrossEntropy, x, p, cot=cot, **kw)
    yt.backward(torch.tensor(cot))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gp, pt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_cross_entropy_extreme_logits():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]], np.float32)
    t = np.array([1, 2])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y, (gx, *_) = _run(CL.CrossEntropy, x, t)
    assert np.isfinite(y) and np.isfinite(gx).all()
    np.testing.assert_allclose(y, 1e4, rtol=1e-6)
    np.testing.assert_allclose(gx, [[0.5, -0.5, 0], [0, 0, 0]], atol=1e-6)


def test_bad_class_targets():
    x = np.zeros((3, 4), np.float32)
    # torch's exception types: IndexError for a label out of range, RuntimeError for a
    # float target that is not a probability table, ValueError for a batch mismatch
    with pytest.raises(IndexError, match=r"Target 7 .* 4 classes"):
        _fwd(CL.CrossEntropy, x, np.array([0, 7, 1]))
    with pytest.raises(IndexError, match="Target -2"):
        _fwd(CL.NLLLoss, x, np.array([0, -2, 1]))
    with pytest.raises(RuntimeError, match="float32"):
        _fwd(CL.CrossEntropy, x, np.array([0.0, 1.0, 2.0], np.float32))
    with pytest.raises(ValueError, match=r"\(2,\)"):
        _fwd(CL.CrossEntropy, x, np.array([0, 1]))
    with pytest.raises(ValueError, match="'avg'"):
        _fwd(CL.CrossEntropy, x, np.array([0, 1, 2]), reduction="avg")
    # an ignored label outside [0, C) is fine
    assert np.isfinite(_fwd(CL.CrossEntropy, x, np.array([0, -100, 1])))


def test_all_ignored_mean_is_nan_like_torch():
    y = _fwd(CL.CrossEntropy, np.zeros((2, 3)), np.array([-100, -100]))
    assert np.isnan(y)


POINTWISE = [
    (L.MSE, {}, "mse_loss", lambda x, t: (x - t) ** 2),
    (L.L1, {}, "l1_loss", lambda x, t: np.abs(x - t)),
    (
        L.Huber,
        {"delta": 0.7},
        "huber_loss",
        lambda x, t: np.where(
            np.abs(x - t) < 0.7, 0.5 * (x - t) ** 2, 0.7 * (np.abs(x - t) - 0.35)
        ),
    ),
    (
        L.SmoothL1,
        {"beta": 0.5},
        "smooth_l1_loss",
        lambda x, t: np.where(np.abs(x - t) < 0.5, (x - t) ** 2, np.abs(x - t) - 0.25),
    ),
    (L.SmoothL1, {"beta": 0.0}, "smooth_l1_loss", lambda x, t: np.abs(x - t)),
]


@pytest.mark.parametrize(("fn", "kw", "name", "ref"), POINTWISE)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_pointwise_losses(fn, kw, name, ref, reduction):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((4, 3))
    t = RNG.standard_normal((4, 3))
    full = ref(x, t)
    want = {"mean": full.mean(), "sum": full.sum(), "none": full}[reduction]
    np.testing.assert_allclose(_fwd(fn, x, t, reduction=reduction, **kw), want, rtol=1e-12)
    assert check_op(fn, x, t, reduction=reduction, **kw)
    x32, t32 = x.astype(np.float32), t.astype(np.float32)
    xt, tt = torch.tensor(x32, requires_grad=True), torch.tensor(t32, requires_grad=True)
    yt = getattr(torch.nn.functional, name)(xt, tt, reduction=reduction, **kw)
    cot = RNG.standard_normal(yt.shape).astype(np.float32)
    yt.backward(torch.tensor(cot))
    y, (gx, gt) = _run(fn, x32, t32, cot=cot, reduction=reduction, **kw)
    assert y.dtype == np.float32 and gx.dtype == np.float32
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gt, tt.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_bce(reduction, weighted):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    p = RNG.uniform(0.05, 0.95, (4, 3))
    t = RNG.random((4, 3))
    w = RNG.uniform(0.5, 2, (3,)) if weighted else None
    ref = -(t * np.log(p) + (1 - t) * np.log(1 - p)) * (1 if w is None else w)
    want = {"mean": ref.mean(), "sum": ref.sum(), "none": ref}[reduction]
    np.testing.assert_allclose(_fwd(L.BCE, p, t, reduction=reduction, weight=w), want)
    assert check_op(L.BCE, p, t, reduction=reduction, weight=w)
    p32, t32 = p.astype(np.float32), t.astype(np.float32)
    p32[0, :2], t32[0, :2] = [0.0, 1.0], [1.0, 0.0]  # log clamped at -100
    w32 = None if w is None else w.astype(np.float32)
    pt = torch.tensor(p32, requires_grad=True)
    yt = F.binary_cross_entropy(
        pt, torch.tensor(t32), reduction=reduction, weight=None if w is None else torch.tensor(w32)
    )
    yt.backward(torch.ones_like(yt))
    y, (gp, _) = _run(L.BCE, p32, t32, reduction=reduction, weight=w32)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(gp, pt.grad.numpy(), rtol=1e-5)
    with pytest.raises(ValueError, match="1.5"):
        _fwd(L.BCE, p32 + 1.5, t32)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("opt", ["none", "weight", "pos_weight", "both"])
def test_bce_with_logits(reduction, opt):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((4, 3)) * 3
    t = RNG.random((4, 3))
    kw = {}
    if opt in ("weight", "both"):
        kw["weight"] = RNG.uniform(0.5, 2, (4, 1))
    if opt in ("pos_weight", "both"):
        kw["pos_weight"] = RNG.uniform(0.5, 3, (3,))
    assert check_op(L.BCEWithLogits, x, t, reduction=reduction, **kw)
    x32, t32 = x.astype(np.float32), t.astype(np.float32)
    x32[0, :2] = [1e4, -1e4]
    kw32 = {k: v.astype(np.float32) for k, v in kw.items()}
    xt, tt = torch.tensor(x32, requires_grad=True), torch.tensor(t32, requires_grad=True)
    yt = torch.nn.functional.binary_cross_entropy_with_logits(
        xt, tt, reduction=reduction, **{k: torch.tensor(v) for k, v in kw32.items()}
    )
    yt.backward(torch.ones_like(yt))
    with np.errstate(over="raise", invalid="raise"):
        y, (gx, gt) = _run(L.BCEWithLogits, x32, t32, reduction=reduction, **kw32)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gt, tt.grad.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.filterwarnings("ignore:reduction. .mean. divides")
def test_kl_div(reduction, log_target):
    torch = pytest.importorskip("torch")
    x = np.log(RNG.dirichlet(np.ones(5), 3))
    q = RNG.dirichlet(np.ones(5), 3)
    t = np.log(q) if log_target else q
    full = q * (np.log(q) - x)
    want = {"mean": full.mean(), "sum": full.sum(), "none": full, "batchmean": full.sum() / 3}
    kw = {"reduction": reduction, "log_target": log_target}
    np.testing.assert_allclose(_fwd(L.KLDiv, x, t, **kw), want[reduction])
    assert check_op(L.KLDiv, x, t, **kw)
    x32, t32 = x.astype(np.float32), t.astype(np.float32)
    xt, tt = torch.tensor(x32, requires_grad=True), torch.tensor(t32, requires_grad=True)
    yt = torch.nn.functional.kl_div(xt, tt, **kw)
    yt.backward(torch.ones_like(yt))
    y, (gx, gt) = _run(L.KLDiv, x32, t32, **kw)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gt, tt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_kl_div_zero_target():
    y = _fwd(L.KLDiv, np.array([-1.0, -2.0]), np.array([0.0, 1.0]), reduction="sum")
    np.testing.assert_allclose(y, 2.0)


def test_broadcast_target_grad_shape():
    x = RNG.standard_normal((4, 3))
    t = RNG.standard_normal((3,))
    assert check_op(L.MSE, x, t)
