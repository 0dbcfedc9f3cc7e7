"""Custom autograd functions written as torch users write them, against torch."""

import numpy as np
import pytest

import lamina as L
from tests.oracle import torch


def make(lib):
    class Scaled(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, w, k):
            ctx.save_for_backward(x, w)
            ctx.k = k
            return x * w * k, (x > 0).float()

        @staticmethod
        def backward(ctx, g, g_mask):
            x, w = ctx.saved_tensors
            gx = g * w * ctx.k if ctx.needs_input_grad[0] else None
            gw = g * x * ctx.k if ctx.needs_input_grad[1] else None
            return gx, gw, None

    return Scaled


def run(lib, requires_w=True):
    fn = make(lib)
    x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
    w = lib.tensor([0.5, 0.25, 2.0], requires_grad=requires_w)
    y, mask = fn.apply(x, w, 3.0)
    (y * y).sum().backward()
    return y, mask, x.grad, w.grad


@pytest.mark.parametrize("requires_w", [True, False])
def test_custom_function_values_and_gradients_match_torch(requires_w):
    mine, theirs = run(L, requires_w), run(torch, requires_w)
    for m, t in zip(mine, theirs):
        if t is None:
            assert m is None
            continue
        np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=1e-6)
    assert "ScaledBackward" in repr(mine[0])


def test_mark_non_differentiable_and_needs_input_grad():
    class Sort(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            idx = L.tensor(np.argsort(x.detach().numpy()))
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return x[idx], idx

        @staticmethod
        def backward(ctx, g, g_idx):
            assert ctx.needs_input_grad == (True,)
            (idx,) = ctx.saved_tensors
            out = L.zeros(g.shape)
            out[idx] = g
            return out

    x = L.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, idx = Sort.apply(x)
    assert not idx.requires_grad and values.requires_grad
    (values * L.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 1.0, 2.0])


def test_wrong_number_of_gradients_raises_naming_the_function():
    def bad(lib):
        class Twice(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                return a * 2 + b

            @staticmethod
            def backward(ctx, g):
                return (g * 2,)

        a = lib.tensor([1.0], requires_grad=True)
        Twice.apply(a, lib.tensor([1.0], requires_grad=True)).sum().backward()

    with pytest.raises(RuntimeError) as theirs:
        bad(torch)
    assert "incorrect number of gradients" in str(theirs.value)
    with pytest.raises(RuntimeError, match=r"TwiceBackward.*incorrect number of gradients"):
        bad(L)


def test_saved_tensor_modified_in_place_raises():
    class Square(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = L.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = Square.apply(h)
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_without_grad_apply_just_runs_forward():
    fn = make(L)
    y, mask = fn.apply(L.tensor([1.0, -1.0]), L.tensor([2.0, 2.0]), 1.0)
    assert y.grad_fn is None and y.tolist() == [2.0, -2.0]
