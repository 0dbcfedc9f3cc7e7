"""Fused recurrent ops: finite-difference gradients, variable lengths, torch parity."""

import numpy as np
import pytest

from lamina.ops.rnn import GRUFunction, LSTMFunction, RNNReluFunction, RNNTanhFunction
from tests.opcheck import check_op, run_backward, run_forward

T, N, I, H = 5, 3, 4, 6
GATES = {LSTMFunction: 4, GRUFunction: 3, RNNTanhFunction: 1, RNNReluFunction: 1}
FNS = list(GATES)


def make_args(fn, dtype=np.float64, bias=True, seed=0, T=T, N=N):
    """Positional args (x, h0, [c0], w_ih, w_hh, b_ih, b_hh) for fn."""
    rng = np.random.default_rng(seed)
    G = GATES[fn]

    def r(*shape, s=1.0):
        return (rng.standard_normal(shape) * s).astype(dtype)

    states = [r(N, H) for _ in range(2 if fn is LSTMFunction else 1)]
    b = (r(G * H, s=0.1), r(G * H, s=0.1)) if bias else (None, None)
    return [r(T, N, I), *states, r(G * H, I, s=0.5), r(G * H, H, s=0.5), *b]


@pytest.mark.parametrize("fn", FNS)
@pytest.mark.parametrize("reverse", [False, True])
def test_gradcheck(fn, reverse):
    assert check_op(fn, *make_args(fn), reverse=reverse)


@pytest.mark.parametrize("fn", FNS)
def test_gradcheck_lengths_no_bias(fn):
    lengths = np.array([2, 5, 0])
    args = make_args(fn, bias=False)
    assert check_op(fn, *args, lengths, True)
    assert check_op(fn, *args, lengths=np.array([5, 1, 3]))


@pytest.mark.parametrize("fn", FNS)
@pytest.mark.parametrize("reverse", [False, True])
def test_lengths_equal_running_alone(fn, reverse):
    """Each padded sequence gives what it gives alone; padded steps output 0."""
    lengths = np.array([3, 5, 1])
    args = make_args(fn)
    n_states = 2 if fn is LSTMFunction else 1
    _, outs = run_forward(fn, *args, lengths=lengths, reverse=reverse)
    for n, L in enumerate(lengths):
        one = [args[0][:L, n : n + 1]] + [s[n : n + 1] for s in args[1 : 1 + n_states]]
        _, alone = run_forward(fn, *one, *args[1 + n_states :], reverse=reverse)
        np.testing.assert_allclose(outs[0][:L, n], alone[0][:, 0], atol=1e-12)
        assert np.all(outs[0][L:, n] == 0)
        for k in range(1, len(outs)):
            np.testing.assert_allclose(outs[k][n], alone[k][0], atol=1e-12)


@pytest.mark.parametrize("fn", FNS)
def test_float32_stays_float32(fn):
    args = make_args(fn, dtype=np.float32)
    ctx, outs = run_forward(fn, *args)
    assert all(o.dtype == np.float32 for o in outs)
    grads = run_backward(fn, ctx, [np.ones_like(o) for o in outs])
    assert all(g.dtype == np.float32 for g in grads if g is not None)


def test_bad_shapes_raise():
    args = make_args(LSTMFunction)
    bad = list(args)
    bad[3] = bad[3][:, :-1]
    with pytest.raises(ValueError, match="w_ih must have shape"):
        run_forward(LSTMFunction, *bad)
    with pytest.raises(ValueError, match="lengths must lie in"):
        run_forward(LSTMFunction, *args, lengths=np.array([1, 2, 9]))
    with pytest.raises(ValueError, match="x must be"):
        run_forward(GRUFunction, args[0][0], *make_args(GRUFunction)[1:])


def _torch_module(fn, torch):
    if fn is LSTMFunction:
        return torch.nn.LSTM(I, H)
    if fn is GRUFunction:
        return torch.nn.GRU(I, H)
    return torch.nn.RNN(I, H, nonlinearity="relu" if fn is RNNReluFunction else "tanh")


@pytest.mark.parametrize("fn", FNS)
@pytest.mark.parametrize("reverse", [False, True])
def test_torch_parity(fn, reverse):
    torch = pytest.importorskip("torch")
    args = make_args(fn, dtype=np.float32, T=7)
    n_states = 2 if fn is LSTMFunction else 1
    m = _torch_module(fn, torch)
    names = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    with torch.no_grad():
        for name, a in zip(names, args[1 + n_states :]):
            getattr(m, name).copy_(torch.from_numpy(a))
    xt = torch.from_numpy(args[0]).requires_grad_()
    st = [torch.from_numpy(s)[None].requires_grad_() for s in args[1 : 1 + n_states]]
    out, hn = m(xt.flip(0) if reverse else xt, tuple(st) if n_states == 2 else st[0])
    out = out.flip(0) if reverse else out
    hn = hn if n_states == 2 else (hn,)
    rng = np.random.default_rng(1)
    cots = [rng.standard_normal(o.shape).astype(np.float32) for o in (out, *hn)]
    loss = sum((o * torch.from_numpy(c)).sum() for o, c in zip((out, *hn), cots))
    loss.backward()
    ctx, outs = run_forward(fn, *args, reverse=reverse)
    for o, ot in zip(outs, (out, *[h[0] for h in hn])):
        np.testing.assert_allclose(o, ot.detach().numpy(), atol=1e-5)
    grads = run_backward(fn, ctx, [cots[0]] + [c[0] for c in cots[1:]])
    expect = [xt.grad] + [s.grad[0] for s in st] + [getattr(m, k).grad for k in names]
    for g, e in zip(grads, expect):
        np.testing.assert_allclose(g, e.numpy(), atol=1e-4, rtol=1e-4)
