"""Conv2d's input gradient by correlation (stride 1, maps >= 256 pixels) vs col2im and torch."""

import numpy as np
import pytest

from lamina.ops import conv as C
from lamina.ops import conv_kernels as K
from tests.opcheck import check_op, run_backward, run_forward

RNG = np.random.default_rng(3)

# (x shape, weight shape, padding, dilation, groups): all take the correlation path
CASES = [
    ((2, 3, 16, 16), (5, 3, 3, 3), 1, 1, 1),
    ((1, 4, 17, 16), (6, 2, 3, 2), (2, 0, 1, 1), (2, 1), 2),
    ((2, 2, 16, 18), (4, 2, 5, 5), 2, 1, 1),
    ((1, 2, 16, 16), (2, 2, 3, 3), 0, 1, 1),
]


def _dx(x, w, padding, dilation, groups, corr):
    ctx, out = run_forward(C.Conv2d, x, w, None, 1, padding, dilation, groups)
    g = RNG.standard_normal(out.shape).astype(x.dtype)
    saved = K.CORR_DX_MAX_WIDENING
    K.CORR_DX_MAX_WIDENING = 10**6 if corr else -1  # force one path
    try:
        return run_backward(C.Conv2d, ctx, [g])[0], g
    finally:
        K.CORR_DX_MAX_WIDENING = saved


@pytest.mark.parametrize("case", CASES)
def test_correlation_dx_equals_col2im(case):
    xs, ws, padding, dilation, groups = case
    x, w = RNG.standard_normal(xs), RNG.standard_normal(ws)
    ctx, out = run_forward(C.Conv2d, x, w, None, 1, padding, dilation, groups)
    pt, pb, pl, pr = C.pads4(padding)
    assert K.correlation_dx_fits(
        (xs[0], xs[1], xs[2] + pt + pb, xs[3] + pl + pr),
        (pt, pl),
        xs[2:],
        ws,
        (1, 1),
        C.pair(dilation),
    )
    state = RNG.bit_generator.state
    a, ga = _dx(x, w, padding, dilation, groups, True)
    RNG.bit_generator.state = state
    b, gb = _dx(x, w, padding, dilation, groups, False)
    assert np.array_equal(ga, gb)
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def test_correlation_dx_float32_stays_float32_and_matches_torch():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 4, 16, 16)).astype(np.float32)
    w = RNG.standard_normal((8, 4, 3, 3)).astype(np.float32)
    dx, g = _dx(x, w, 1, 1, 1, True)
    assert dx.dtype == np.float32
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.conv2d(xt, torch.tensor(w), padding=1).backward(torch.tensor(g))
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_correlation_dx_gradcheck():
    x, w = RNG.standard_normal((1, 2, 16, 16)), RNG.standard_normal((3, 2, 3, 3))
    check_op(C.Conv2d, x, w, None, 1, 1)


def test_wide_padding_or_stride_keeps_col2im():
    shape = (1, 2, 16 + 6, 16 + 6)
    assert not K.correlation_dx_fits(shape, (3, 3), (16, 16), (2, 2, 3, 3), (1, 1), (1, 1))
    assert not K.correlation_dx_fits(shape, (1, 1), (20, 20), (2, 2, 3, 3), (2, 2), (1, 1))
    assert not K.correlation_dx_fits((1, 2, 10, 10), (1, 1), (8, 8), (2, 2, 3, 3), (1, 1), (1, 1))
