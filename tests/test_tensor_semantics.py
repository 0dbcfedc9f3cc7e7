"""In-place ops under autograd, ``.data``, version counters and torch's errors, vs torch."""

import numpy as np
import pytest

import lamina as L
from tests.oracle import torch


def both(fn):
    """Run ``fn(lib)`` with lamina and with torch; return both results."""
    return fn(L), fn(torch)


def assert_same(mine, theirs, rtol=1e-6):
    np.testing.assert_allclose(np.asarray(mine), theirs.detach().numpy(), rtol=rtol)
    assert np.dtype(mine.dtype).name == str(theirs.dtype).replace("torch.", "")


def raises_like(fn, match=None):
    """``fn(lib)`` raises the same exception type in lamina as in torch."""
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(type(theirs.value), match=match):
        fn(L)


def test_augmented_assignment_updates_in_place_and_aliases_see_it():
    def run(lib):
        a = lib.tensor([1.0, 2.0])
        alias = a
        view = a[:1]
        a += 1
        a *= 3
        a -= 1
        a /= 2
        return alias, view

    (mine, mview), (theirs, tview) = both(run)
    assert_same(mine, theirs)
    assert_same(mview, tview)


def test_hand_written_sgd_step_changes_the_parameter():
    def run(lib):
        lib.manual_seed(0)
        w = lib.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
        x = lib.tensor([[1.0, 2.0]])
        for _ in range(3):
            loss = ((x @ w) ** 2).sum()
            loss.backward()
            with lib.no_grad():
                w -= 0.1 * w.grad
                w.grad.zero_()
        return w

    mine, theirs = both(run)
    assert_same(mine, theirs)


def test_in_place_on_a_non_leaf_is_recorded():
    def run(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        y.mul_(3)
        y.add_(x, alpha=2)
        y.sum().backward()
        return x.grad, y

    (g, y), (tg, ty) = both(run)
    assert_same(g, tg)
    assert_same(y, ty)
    assert y.grad_fn is not None


def test_in_place_with_a_grad_requiring_other_reaches_it():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        z = lib.tensor([3.0, -1.0], requires_grad=True)
        y = x * 1
        y.mul_(z)
        (y * y).sum().backward()
        return x.grad, z.grad

    (gx, gz), (tx, tz) = both(run)
    assert_same(gx, tx)
    assert_same(gz, tz)


def test_modifying_a_saved_tensor_raises_at_backward():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        z = y * y  # saves y
        y.add_(1)
        z.sum().backward()

    raises_like(run, match="modified by an inplace operation")


def test_in_place_on_a_leaf_that_requires_grad_raises_outside_no_grad():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        x.add_(1)

    raises_like(run, match="leaf Variable that requires grad")

    def setitem(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        x[0] = 5.0

    raises_like(setitem)


def test_setitem_is_differentiable_on_non_leaves():
    def run(lib):
        x = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        v = lib.tensor([10.0, 20.0], requires_grad=True)
        y = x * 1
        y[1:3] = v * 2
        (y * lib.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
        return x.grad, v.grad, y

    (gx, gv, y), (tx, tv, ty) = both(run)
    assert_same(gx, tx)
    assert_same(gv, tv)
    assert_same(y, ty)


def test_writing_a_tensor_with_history_into_a_plain_tensor_makes_it_require_grad():
    def run(lib):
        v = lib.tensor([2.0], requires_grad=True)
        buf = lib.zeros(3)
        buf[1] = v[0] * 3
        buf.sum().backward()
        return buf.requires_grad, v.grad

    (req, g), (treq, tg) = both(run)
    assert req == treq is True
    assert_same(g, tg)


def test_data_is_a_tensor_sharing_memory_without_history():
    def run(lib):
        p = lib.tensor([1.0, 2.0], requires_grad=True)
        d = p.data
        d.add_(1)
        p.data.mul_(2)
        p.data.copy_(p.data * 2)
        return p, d.requires_grad, d.grad_fn

    (p, req, fn), (tp, treq, tfn) = both(run)
    assert_same(p, tp)
    assert req is treq is False and fn is None and tfn is None


def test_setting_data_keeps_the_parameter_working():
    def run(lib):
        p = lib.nn.Parameter(lib.zeros(2))
        p.data = lib.tensor([1.0, 3.0])
        (p * p).sum().backward()
        p.data.zero_()
        return p, p.grad

    (p, g), (tp, tg) = both(run)
    assert_same(p, tp)
    assert_same(g, tg)


def test_numpy_on_a_tensor_requiring_grad_raises():
    raises_like(lambda lib: lib.ones(2, requires_grad=True).numpy(), match="detach")
    x = L.ones(2, requires_grad=True)
    assert np.shares_memory(x.detach().numpy(), x.data.numpy())


def test_in_place_ops_that_would_change_dtype_raise():
    raises_like(lambda lib: lib.tensor([1, 2]).div_(2), match="can't be cast")
    raises_like(lambda lib: lib.tensor([1, 2]).add_(0.5))

    def ok(lib):
        x = lib.tensor([1.0, 2.0])
        x.add_(lib.tensor([1.0, 1.0], dtype=lib.float64))
        return x

    assert_same(*both(ok))


def test_in_place_broadcast_to_a_larger_shape_raises():
    raises_like(lambda lib: lib.ones(3).add_(lib.ones(2, 3)))


def test_raise_where_torch_raises():
    raises_like(lambda lib: lib.ones(4)[::-1], match="step must be greater than zero")
    raises_like(lambda lib: lib.ones(2, 3).t().view(6), match=r"reshape")
    raises_like(lambda lib: lib.arange(24.0).reshape(2, 3, 4)[:, 1].view(-1), match="reshape")
    raises_like(lambda lib: lib.ones(2, 3, 4).t(), match="<= 2 dimensions")
    raises_like(lambda lib: lib.ones(2, 3).squeeze(2), match="Dimension out of range")
    raises_like(lambda lib: lib.ones(2, 3).permute(0, 2), match="Dimension out of range")
    raises_like(lambda lib: lib.ones(2, 3).transpose(0, 2), match="Dimension out of range")
    raises_like(lambda lib: lib.ones(2, 3).flatten(0, 3), match="Dimension out of range")
    raises_like(lambda lib: lib.ones(2, 3).unbind(2), match="Dimension out of range")
    raises_like(lambda lib: lib.ones(2, 3).sum(2), match="Dimension out of range")
    raises_like(lambda lib: lib.ones(2, 3).unsqueeze(3), match="Dimension out of range")


def test_view_of_a_contiguous_or_compatible_tensor_works():
    def run(lib):
        x = lib.arange(24.0).reshape(2, 3, 4)
        p = x.permute(1, 0, 2)
        return x.view(6, 4), p.view(3, 2, 4), x[:, :, :2].view(2, 3, 2, 1), p.view(3, 2, 2, 2)

    for mine, theirs in zip(*both(run)):
        assert_same(mine, theirs)


def test_zero_dim_reductions_and_unbind_narrow_clone():
    def run(lib):
        s = lib.tensor(2.0, requires_grad=True)
        m = s.mean(0) + s.sum(-1)
        m.backward()
        x = lib.arange(12.0).reshape(3, 4)
        return m, s.grad, x.unbind(1)[2], x.narrow(1, 1, 2), x.narrow(0, -2, 2).clone()

    for mine, theirs in zip(*both(run)):
        assert_same(mine, theirs)


def test_narrow_is_a_view():
    x = L.zeros(3, 4)
    x.narrow(1, 1, 2).fill_(1.0)
    assert x.sum().item() == 6.0


def test_detach_shares_the_version_counter():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        z = y * y
        y.detach().add_(1)
        z.sum().backward()

    raises_like(run, match="modified by an inplace operation")


def test_numpy_array_protocol_copies_when_asked():
    t = L.tensor([1.0, 2.0])
    np.array(t)[0] = 5.0  # np.array copies by default
    assert t.tolist() == [1.0, 2.0]
    np.asarray(t)[0] = 7.0  # np.asarray shares memory, as with torch
    assert t.tolist() == [7.0, 2.0]


def test_deepcopy_keeps_a_tensors_grad_drops_a_parameters_and_refuses_non_leaves():
    import copy

    def run(lib):
        x = lib.ones(2, requires_grad=True)
        (x * 2).sum().backward()
        y = copy.deepcopy(x)
        m = lib.nn.Linear(2, 2)
        m(lib.ones(1, 2)).sum().backward()
        m2 = copy.deepcopy(m)
        with lib.no_grad():
            m2.weight.zero_()
        pair = copy.deepcopy({"a": x, "b": x})
        return y, m2.weight.grad, float(m.weight.abs().sum()), pair["a"] is pair["b"]

    (y, g, s, same), (ty, tg, ts, tsame) = both(run)
    assert_same(y.grad, ty.grad)
    assert y.requires_grad and ty.requires_grad
    assert g is None and tg is None and same and tsame
    assert s > 0 and ts > 0  # zeroing the copy left the original alone
    raises_like(lambda lib: copy.deepcopy(lib.ones(2, requires_grad=True) * 2))
