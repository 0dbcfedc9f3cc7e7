"""RNN/LSTM/GRU modules and cells: torch parity, variable lengths, long BPTT, state dicts."""

import numpy as np
import pytest

import lamina
import lamina.nn as nn

I, H = 3, 5


def _pair(kind, torch, **kw):
    """A lamina module and a torch module with the same weights."""
    lamina.manual_seed(0)
    m = getattr(nn, kind)(I, H, **kw)
    t = getattr(torch.nn, kind)(I, H, **kw)
    t.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in m.state_dict().items()})
    return m, t


def _compare(m, t, torch, x, atol=1e-5):
    rng = np.random.default_rng(1)
    xl = lamina.tensor(x, requires_grad=True)
    xt = torch.from_numpy(x).requires_grad_()
    out, hl = m(xl)
    out_t, ht = t(xt)
    hl = hl if isinstance(hl, tuple) else (hl,)
    ht = ht if isinstance(ht, tuple) else (ht,)
    loss_l, loss_t = 0, 0
    for a, b in zip((out, *hl), (out_t, *ht)):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=atol)
        c = rng.standard_normal(a.shape).astype(np.float32)
        loss_l = loss_l + (a * lamina.tensor(c)).sum()
        loss_t = loss_t + (b * torch.from_numpy(c)).sum()
    loss_l.backward()
    loss_t.backward()
    np.testing.assert_allclose(xl.grad.numpy(), xt.grad.numpy(), atol=atol * 10)
    for name, p in t.named_parameters():
        np.testing.assert_allclose(
            getattr(m, name).grad.numpy(), p.grad.numpy(), atol=atol * 10, err_msg=name
        )


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_torch_parity_two_layers(kind, bidirectional, batch_first):
    torch = pytest.importorskip("torch")
    m, t = _pair(kind, torch, num_layers=2, bidirectional=bidirectional, batch_first=batch_first)
    x = np.random.default_rng(0).standard_normal((4, 6, I)).astype(np.float32)
    _compare(m, t, torch, x)


def test_rnn_relu_no_bias_parity():
    torch = pytest.importorskip("torch")
    m, t = _pair("RNN", torch, nonlinearity="relu", bias=False)
    _compare(m, t, torch, np.random.default_rng(0).standard_normal((6, 2, I)).astype(np.float32))


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_initial_state_grads_and_unbatched(kind):
    torch = pytest.importorskip("torch")
    m, t = _pair(kind, torch, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 3, I)).astype(np.float32)
    hs = [rng.standard_normal((4, 3, H)).astype(np.float32) for _ in range(2)]
    hl = [lamina.tensor(h, requires_grad=True) for h in hs]
    ht = [torch.from_numpy(h).requires_grad_() for h in hs]
    n = 2 if kind == "LSTM" else 1
    out, _ = m(lamina.tensor(x), tuple(hl) if n == 2 else hl[0])
    out_t, _ = t(torch.from_numpy(x), tuple(ht) if n == 2 else ht[0])
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), atol=1e-5)
    (out * out).sum().backward()
    (out_t * out_t).sum().backward()
    for a, b in zip(hl[:n], ht[:n]):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-4)
    out1, _ = m(lamina.tensor(x[:, 0]))  # unbatched (L, H_in)
    assert out1.shape == (5, 2 * H)
    np.testing.assert_allclose(
        out1.detach().numpy(), m(lamina.tensor(x[:, :1]))[0].detach().numpy()[:, 0], atol=1e-6
    )


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_lengths_equal_running_alone(kind, batch_first):
    """Padded steps change nothing: outputs, final states and grads equal solo runs."""
    lamina.manual_seed(0)
    m = getattr(nn, kind)(I, H, num_layers=2, bidirectional=True, batch_first=batch_first)
    lengths = [4, 7, 2]
    x = np.random.default_rng(0).standard_normal((7, 3, I)).astype(np.float32)
    x[:, 2, :][2:] = 99.0  # garbage in the padding must not leak
    xb = x.transpose(1, 0, 2).copy() if batch_first else x
    out, hn = m(lamina.tensor(xb), lengths=lengths)
    hn = hn[0] if kind == "LSTM" else hn
    (out.sum() + hn.sum()).backward()
    grads = {k: p.grad.numpy().copy() for k, p in m.named_parameters()}
    total = {k: 0 for k in grads}
    for n, L in enumerate(lengths):
        one = x[:L, n : n + 1]
        o1, h1 = m(lamina.tensor(one.transpose(1, 0, 2).copy() if batch_first else one))
        h1 = h1[0] if kind == "LSTM" else h1
        ob = out.detach().numpy()[n] if batch_first else out.detach().numpy()[:, n]
        o1 = o1.detach().numpy()[0] if batch_first else o1.detach().numpy()[:, 0]
        np.testing.assert_allclose(ob[:L], o1, atol=1e-5)
        assert np.all(ob[L:] == 0)
        np.testing.assert_allclose(hn.detach().numpy()[:, n], h1.detach().numpy()[:, 0], atol=1e-5)
        m.zero_grad()
        (lamina.tensor(o1).sum() * 0 + _sum_out(m, one, batch_first, kind)).backward()
        for k, p in m.named_parameters():
            total[k] = total[k] + p.grad.numpy()
    for k in grads:
        np.testing.assert_allclose(grads[k], total[k], atol=1e-4, err_msg=k)


def _sum_out(m, one, batch_first, kind):
    o, h = m(lamina.tensor(one.transpose(1, 0, 2).copy() if batch_first else one))
    return o.sum() + (h[0] if kind == "LSTM" else h).sum()


def test_bptt_ten_thousand_steps():
    lamina.manual_seed(0)
    m = nn.LSTM(2, 4)
    x = lamina.tensor(np.random.default_rng(0).standard_normal((10_000, 1, 2)).astype(np.float32))
    out, (h, c) = m(x)
    h.sum().backward()
    g = m.weight_hh_l0.grad.numpy()
    assert g.shape == (16, 4) and np.all(np.isfinite(g)) and np.any(g != 0)


def test_cell_unrolled_deep_graph():
    """An unrolled cell builds a 3,000-deep graph (past Python's recursion limit)."""
    lamina.manual_seed(0)
    cell = nn.GRUCell(2, 3)
    x = np.random.default_rng(0).standard_normal((3_000, 1, 2)).astype(np.float32)
    h = None
    for t in range(x.shape[0]):
        h = cell(lamina.tensor(x[t]), h)
    h.sum().backward()
    assert np.all(np.isfinite(cell.weight_hh.grad.numpy()))


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_parity(kind):
    torch = pytest.importorskip("torch")
    lamina.manual_seed(0)
    m = getattr(nn, kind)(I, H)
    t = getattr(torch.nn, kind)(I, H)
    t.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in m.state_dict().items()})
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, I)).astype(np.float32)
    h = rng.standard_normal((4, H)).astype(np.float32)
    hx_l = (lamina.tensor(h), lamina.tensor(h * 0.5)) if kind == "LSTMCell" else lamina.tensor(h)
    hx_t = (torch.from_numpy(h), torch.from_numpy(h * 0.5)) if kind == "LSTMCell" else None
    hx_t = hx_t or torch.from_numpy(h)
    res_l, res_t = m(lamina.tensor(x), hx_l), t(torch.from_numpy(x), hx_t)
    res_l = res_l if isinstance(res_l, tuple) else (res_l,)
    res_t = res_t if isinstance(res_t, tuple) else (res_t,)
    for a, b in zip(res_l, res_t):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-5)
    one, batch = m(lamina.tensor(x[0])), m(lamina.tensor(x[:1]))  # unbatched, zero state
    one, batch = (one[0], batch[0]) if kind == "LSTMCell" else (one, batch)
    assert one.shape == (H,)
    np.testing.assert_allclose(one.detach().numpy(), batch.detach().numpy()[0], atol=1e-6)


def test_state_dict_keys_shapes_and_errors():
    torch = pytest.importorskip("torch")
    m = nn.GRU(I, H, num_layers=2, bidirectional=True, bias=False)
    t = torch.nn.GRU(I, H, num_layers=2, bidirectional=True, bias=False)
    assert {k: tuple(v.shape) for k, v in m.state_dict().items()} == {
        k: tuple(v.shape) for k, v in t.state_dict().items()
    }
    assert sum(p.numel() for p in m.parameters()) == sum(p.numel() for p in t.parameters())
    bound = 1 / np.sqrt(H)
    assert all(np.abs(p.detach().numpy()).max() <= bound for p in m.parameters())
    with pytest.raises(ValueError, match="expected input of shape"):
        m(lamina.randn(4, 2, I + 1))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(I, H, nonlinearity="gelu")
    with pytest.raises(ValueError, match="lengths must lie"):
        m(lamina.randn(4, 2, I), lengths=[5, 1])
    with pytest.raises(ValueError, match="h0 must have shape"):
        m(lamina.randn(4, 2, I), lamina.zeros(1, 2, H))
    with pytest.raises(TypeError, match="h0 must be a Tensor"):
        m(lamina.randn(4, 2, I), (lamina.zeros(4, 2, H),))
    with pytest.raises(TypeError, match="hx must be a tuple"):
        nn.LSTM(I, H)(lamina.randn(4, 2, I), lamina.zeros(1, 2, H))


def test_dropout_between_layers_only_in_training():
    lamina.manual_seed(0)
    m = nn.LSTM(I, H, num_layers=2, dropout=0.5)
    x = lamina.randn(3, 2, I)
    m.eval()
    a, b = m(x)[0].detach().numpy(), m(x)[0].detach().numpy()
    np.testing.assert_array_equal(a, b)
    m.train()
    assert not np.allclose(m(x)[0].detach().numpy(), a)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_lengths_match_torch_packed_sequence(kind):
    torch = pytest.importorskip("torch")
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    m, t = _pair(kind, torch, num_layers=2, bidirectional=True, batch_first=True)
    lengths = [3, 6, 1, 4]
    x = np.random.default_rng(3).standard_normal((4, 6, I)).astype(np.float32)
    out, h = m(lamina.tensor(x), lengths=lengths)
    packed = pack_padded_sequence(torch.from_numpy(x), lengths, True, enforce_sorted=False)
    out_t, h_t = t(packed)
    out_t, _ = pad_packed_sequence(out_t, batch_first=True, total_length=6)
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), atol=1e-5)
    for a, b in zip(h if kind == "LSTM" else (h,), h_t if kind == "LSTM" else (h_t,)):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-5)
