"""The op/engine contract: flags per tensor input, exact gradient count, declared ctx state."""

import numpy as np
import pytest

import lamina as L
from lamina.autograd.function import Op
from lamina.ops import linalg
from lamina.tensor import apply


class Affine(Op):
    """y = x * w + b with an optional b and a keyword-only option."""

    ctx_attrs = ("scale",)

    @staticmethod
    def forward(ctx, x, w, b=None, *, scale=1.0):
        ctx.save_for_backward(x, w)
        ctx.scale = scale
        seen.append(ctx.needs_input_grad)
        y = x * w * scale
        return y if b is None else y + b

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved
        need = ctx.needs_input_grad
        return (
            g * w * ctx.scale if need[0] else None,
            g * x * ctx.scale if need[1] else None,
            g if need[2] else None,
        )


seen: list = []


def test_needs_input_grad_has_one_flag_per_tensor_input_defaults_included():
    seen.clear()
    x = L.tensor([1.0, 2.0], requires_grad=True)
    w = L.tensor([3.0, 4.0])
    y = apply(Affine, x, w, scale=2.0)
    assert seen[-1] == (True, False, False)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 8.0])
    b = L.tensor([1.0, 1.0], requires_grad=True)
    apply(Affine, x, w, b=b)  # an input passed by keyword is bound to its position
    assert seen[-1] == (True, False, True)
    with L.no_grad():
        apply(Affine, x, w, b)
    assert seen[-1] == (False, False, False)


def test_options_passed_positionally_are_refused_naming_the_op():
    x = L.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"Affine.forward takes 3 tensor input"):
        apply(Affine, x, x, None, 2.0)


def test_backward_returning_the_wrong_number_of_gradients_names_the_op():
    class Short(Op):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return (g,)

    a = L.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"ShortBackward0.*incorrect number.*expected 2, got 1"):
        apply(Short, a, a).sum().backward()


def test_context_has_no_free_form_attributes():
    class Sloppy(Op):
        @staticmethod
        def forward(ctx, x):
            ctx.anything = 1
            return x

        @staticmethod
        def backward(ctx, g):
            return (g,)

    with pytest.raises(AttributeError):
        apply(Sloppy, L.tensor([1.0]))


def test_declared_attributes_are_freed_after_backward():
    x = L.tensor([1.0, 2.0], requires_grad=True)
    y = apply(Affine, x, L.tensor([1.0, 1.0]), scale=3.0)
    ctx = y.grad_fn
    assert ctx.scale == 3.0 and len(ctx.saved) == 2
    y.sum().backward()
    assert ctx.scale is None and ctx.saved == ()


def test_linear_without_bias_has_a_flag_for_the_bias():
    x = L.randn(3, 4, requires_grad=True)
    w = L.randn(5, 4, requires_grad=True)
    y = apply(linalg.Linear, x, w)
    assert y.grad_fn.needs_input_grad == (True, True, False)
    y.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.ones((3, 5)).T @ x.detach().numpy(), rtol=1e-5)


def test_every_op_declares_its_inputs_from_forward():
    from lamina.ops import conv, elementwise, reduce, shape

    assert conv.Conv2d._inputs == ("x", "weight", "bias")
    assert reduce.Sum._inputs == ("x",)
    assert shape.Cat._varargs and shape.Cat._inputs == ()
    assert elementwise.Clamp._inputs == ("x", "lo", "hi")
