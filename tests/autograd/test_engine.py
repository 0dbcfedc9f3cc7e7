"""The engine and Tensor behaviour: graph walking, freeing, grad modes, dtypes, factories."""

import numpy as np
import pytest

import lamina as L
from lamina.autograd import GradcheckError, gradcheck
from lamina.autograd.function import Op
from lamina.tensor import apply


def test_chain_of_10000_ops_backpropagates_without_recursion():
    x = L.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001**10_000], rtol=1e-3)


def test_fan_out_accumulates_and_leaf_grad_accumulates_across_calls():
    x = L.tensor([2.0, 3.0], requires_grad=True)
    (x * x + x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0])
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [8.0, 10.0])


def test_second_backward_through_freed_graph_raises_and_retain_graph_allows_it():
    x = L.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.exp([1.0, 2.0]), rtol=1e-6)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_non_scalar_backward_needs_gradient():
    x = L.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="scalar"):
        y.backward()
    y.backward(gradient=L.tensor([1.0, 0.5]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 1.0])
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).backward(gradient=np.ones(3))


def test_backward_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        L.tensor([1.0]).sum().backward()


def test_no_grad_records_nothing_and_works_as_decorator():
    x = L.tensor([1.0], requires_grad=True)
    with L.no_grad():
        y = x * 2
        assert not L.is_grad_enabled()
        with L.enable_grad():
            z = x * 2
    assert L.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad
    assert z.requires_grad and z.grad_fn is not None

    @L.no_grad()
    def f(t):
        return t * 3

    assert f(x).grad_fn is None and L.is_grad_enabled()
    with L.set_grad_enabled(False):
        assert (x * 1).grad_fn is None


def test_bad_gradient_shape_from_an_op_is_caught():
    class Bad(Op):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return (np.ones(7),)

    x = L.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="BadBackward.*shape"):
        apply(Bad, x).sum().backward()


def test_gradcheck_reports_the_element_that_disagrees():
    class Wrong(Op):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return (g * 3.0,)

    x = L.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match="input 0.*element"):
        gradcheck(lambda t: apply(Wrong, t), [x])


def test_dtypes_follow_torch_rules():
    assert L.tensor([1.0, 2.0]).dtype == np.float32
    assert L.tensor([1, 2]).dtype == np.int64
    assert L.tensor(np.zeros(2)).dtype == np.float64  # float64 on request
    x = L.ones(3)
    assert (x * 2.5).dtype == np.float32
    assert (x + np.ones(3, dtype=np.float64)).dtype == np.float64  # an array has dims, as torch
    assert (x * np.float64(2)).dtype == np.float32  # a NumPy scalar does not widen
    assert (L.tensor([1, 2]) * 0.5).dtype == np.float32
    assert (L.tensor([1, 2]) / 2).dtype == np.float32
    assert x.double().dtype == np.float64 and x.long().dtype == np.int64
    with pytest.raises(RuntimeError, match="floating point"):
        L.tensor([1, 2], requires_grad=True)


def test_tensor_attributes_and_repr():
    x = L.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert x.shape == (2, 2) and x.ndim == 2 and x.numel() == 4 and x.size(1) == 2
    assert x.is_leaf and not (x * 2).is_leaf
    assert x.T.tolist() == [[1.0, 3.0], [2.0, 4.0]]
    assert L.tensor(3.5).item() == 3.5
    assert repr(x).startswith("tensor([[1., 2.],") and "requires_grad=True" in repr(x)
    assert "grad_fn=<MulBackward0>" in repr(x * 2)
    assert "dtype=lamina.float64" in repr(L.zeros(2, dtype=np.float64))
    d = x.detach()
    assert not d.requires_grad and d.detach().numpy() is x.detach().numpy()


def test_factories_and_manual_seed():
    assert L.zeros(2, 3).shape == (2, 3) and L.ones((4,)).detach().numpy().sum() == 4
    assert L.full((2,), 7.0).detach().numpy().tolist() == [7.0, 7.0]
    assert L.arange(5).dtype == np.int64 and L.arange(0, 1, 0.25).dtype == np.float32
    assert (
        L.linspace(0, 1, 5).detach().numpy()[-1] == 1.0 and L.eye(3).detach().numpy().trace() == 3
    )
    L.manual_seed(7)
    a = L.randn(3, 4)
    r = L.rand(2)
    i = L.randint(0, 10, (5,))
    L.manual_seed(7)
    np.testing.assert_array_equal(a.detach().numpy(), L.randn(3, 4).detach().numpy())
    np.testing.assert_array_equal(r.detach().numpy(), L.rand(2).detach().numpy())
    np.testing.assert_array_equal(i.detach().numpy(), L.randint(0, 10, (5,)).detach().numpy())
    assert a.dtype == np.float32 and i.dtype == np.int64
    assert L.zeros_like(a).shape == a.shape and L.randn_like(a).dtype == np.float32
    assert L.ones_like(a).detach().numpy().sum() == 12
    arr = np.arange(3.0)
    assert L.from_numpy(arr).detach().numpy() is arr


def test_retain_grad_on_intermediate():
    x = L.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    (y * y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [6.0, 12.0])
    np.testing.assert_allclose(x.grad.numpy(), [18.0, 36.0])


def test_setitem_and_inplace_on_data():
    x = L.zeros(3)
    x[1] = 5.0
    assert x.tolist() == [0.0, 5.0, 0.0]
    p = L.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        p[0] = 1.0
    with L.no_grad():
        p[0] = 1.0
    assert p.tolist() == [1.0, 0.0]


def test_reshape_errors_are_clear():
    with pytest.raises(RuntimeError, match=r"shape '\[4, -1\]' is invalid for input of size 6"):
        L.zeros(2, 3).reshape(4, -1)


def test_max_with_dim_returns_values_and_indices():
    x = L.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    v, i = x.max(1)
    assert v.tolist() == [5.0, 7.0] and i.tolist() == [1, 0]
    assert x.argmax().item() == 3 and x.argmin(1).tolist() == [0, 1]


def test_diamond_graph_sums_both_paths():
    # x -> a -> b and stack(a, b): a must receive b's gradient before passing on its own
    x = L.tensor([1.0, 2.0], requires_grad=True)
    a = x * 2
    b = a * 3
    L.stack([a, b]).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [8.0, 8.0])


def test_leaf_gradients_never_share_memory():
    # Add hands the same gradient array to both inputs; each leaf must own its own copy
    x = L.tensor([1.0, 2.0], requires_grad=True)
    y = L.tensor([3.0, 4.0], requires_grad=True)
    (x + y).sum().backward()
    assert not np.shares_memory(x.grad.numpy(), y.grad.numpy())
    x.grad += 10
    assert y.grad.tolist() == [1.0, 1.0]
    g = np.array([1.0, 1.0], np.float32)
    z = L.tensor([1.0, 1.0], requires_grad=True)
    z.backward(gradient=g)  # a leaf root: the caller's array is copied, not adopted
    assert not np.shares_memory(z.grad.numpy(), g)


def test_a_gradient_adopted_by_a_leaf_is_not_shared_with_a_pending_node():
    """Add hands one gradient array to both inputs: a leaf that adopts it and accumulates
    in place must not change what is still pending for the other input (found by the
    fuzzer: (x + x) + x gave 4 instead of 3)."""
    import torch as _torch

    cases = [
        lambda x: ((x + x) + x).sum(),
        lambda x: (x + x + x + x).sum(),
        lambda x: (x + (x + x)).sum(),
        lambda x: ((x + x) * 2 + x).sum(),
        lambda x: ((x + x) + x).abs().sum(0).amax(),
    ]
    data = np.array([[-1.3, 1.6, -1.5]], dtype=np.float32)
    for f in cases:
        got = L.tensor(data, requires_grad=True)
        f(got).backward()
        want = _torch.tensor(data, requires_grad=True)
        f(want).backward()
        np.testing.assert_array_equal(got.grad.numpy(), want.grad.numpy())


def test_one_gradient_array_pending_for_two_nodes():
    """Add's one gradient array waits in two pending slots without a copy (as torch's
    AddBackward hands one tensor to both inputs), leaves taking part as well."""
    import torch as _torch

    cases = [
        lambda x: ((x * 3).exp() + (x * 3).sin() + x).sum(),
        lambda x: (lambda h: (h.exp() + h.sin()) * 2 + h + x)(x * 3).sum(),
        lambda x: (lambda h: ((h + h) + (h + h)).tanh() + x + x)(x - 1).sum(),
    ]
    data = np.array([[-1.3, 1.6, -1.5], [0.2, 2.2, 0.9]], dtype=np.float64)
    for f in cases:
        got = L.tensor(data, requires_grad=True)
        f(got).backward()
        want = _torch.tensor(data, requires_grad=True)
        f(want).backward()
        np.testing.assert_allclose(got.grad.numpy(), want.grad.numpy(), rtol=1e-13)
